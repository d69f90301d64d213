#include "ctl_replay.h"

#include <math.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../telemetry/tel_csv.h"
#include "ctl_loop.h"
#include "ctl_unit.h"

/* What the replay keeps of each step (the loop's record hook). */
struct capture {
  struct ctl_replay *r;
  size_t i;
};

static void captured(void *ud, struct ctl_unit *u, int rc,
                     const struct ctl_step *st) {
  struct capture *c = ud;
  struct ctl_replay *r = c->r;
  (void)rc, (void)st;
  r->desired[c->i] = (double)u->dec.desired;
  r->reasons[c->i] = u->dec.reasons;
  r->quantile[c->i] = u->dec.reasons & CTL_R(FALLBACK)
                        ? (double)NAN
                        : ctl_target_stats(u->t)->quantile_at_lead;
  r->q_used[c->i] = ctl_target_stats(u->t)->quantile;
  r->h_used[c->i] = ctl_target_stats(u->t)->headroom;
}

int ctl_replay_run(struct ctl_replay *r, char *err, size_t errlen) {
  struct ctl_unit *u = NULL;
  struct ctl_loop *loop = NULL;
  struct tel_source *src = NULL;
  struct act *act = NULL;
  struct pw_clock clk;
  int64_t step_ms = r->target->step_ms;
  int rc;

  r->desired = pw_calloc(r->n ? r->n : 1, sizeof(double));
  r->quantile = pw_calloc(r->n ? r->n : 1, sizeof(double));
  r->reasons = pw_calloc(r->n ? r->n : 1, sizeof(unsigned));
  r->q_used = pw_calloc(r->n ? r->n : 1, sizeof(double));
  r->h_used = pw_calloc(r->n ? r->n : 1, sizeof(double));
  if(!r->desired || !r->quantile || !r->reasons || !r->q_used || !r->h_used)
    return PW_ENOMEM;
  /* The seam: the trace from start_ms, the platform model. */
  rc = tel_csv_new(r->load, r->n, r->start_ms, step_ms, &src);
  if(rc == 0)
    rc = act_sim_new_seq(r->warmup_steps, r->warmup_seq, r->nwarmup_seq,
                         &act);
  if(rc) {
    tel_source_free(&src);
    return rc;
  }
  rc = ctl_unit_new(r->target, src, act, r->start_ms, 0, r->start_ms, 0, &u,
                    err, errlen);
  struct capture cap = {r, 0};
  struct ctl_loop_hooks hooks = {NULL, captured, &cap};
  if(rc == 0)
    rc = ctl_loop_new(&u, 1, 0, &hooks, &loop);
  if(rc)
    goto out;
  pw_clock_sim(&clk, r->start_ms);
  double t0 = pw_clock_mono_ms();
  for(size_t i = 0; i < r->n; i++) {
    /* Step i is observed when it ends; the decision is made then. */
    clk.ops->sleep_until(&clk, r->start_ms + (int64_t)(i + 1) * step_ms);
    cap.i = i;
    (void)ctl_loop_tick(loop, clk.ops->now_ms(&clk), 1);
    if(r->progress && (i % 1024 == 0 || i + 1 == r->n))
      r->progress(r->progress_arg, i + 1, r->n);
  }
  r->elapsed_ms = pw_clock_mono_ms() - t0;
  r->period = ctl_target_period(u->t, &r->period2);
  const struct fc_model *m = ctl_target_model(u->t);
  r->have_model = m != NULL;
  r->kind = m ? m->spec.kind : FC_SNAIVE;
  r->stats = *ctl_target_stats(u->t);

out:
  ctl_loop_free(&loop);
  ctl_unit_free(&u);
  return rc;
}

void ctl_replay_cleanup(struct ctl_replay *r) {
  pw_free(r->desired);
  pw_free(r->quantile);
  pw_free(r->reasons);
  pw_free(r->q_used);
  pw_free(r->h_used);
  r->desired = r->quantile = r->q_used = r->h_used = NULL;
  r->reasons = NULL;
}
