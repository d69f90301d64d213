#include "ctl_replay.h"

#include <math.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../telemetry/tel_csv.h"

int ctl_replay_run(struct ctl_replay *r, char *err, size_t errlen) {
  struct ctl_target *t = NULL;
  struct tel_source *src = NULL;
  struct act *act = NULL;
  struct tel_samples smp = {0};
  struct pw_clock clk;
  int64_t step_ms = (int64_t)(r->cfg.policy.step_s * 1000);
  int rc;

  r->desired = pw_calloc(r->n ? r->n : 1, sizeof(double));
  r->quantile = pw_calloc(r->n ? r->n : 1, sizeof(double));
  r->reasons = pw_calloc(r->n ? r->n : 1, sizeof(unsigned));
  if(!r->desired || !r->quantile || !r->reasons)
    return PW_ENOMEM;
  rc = ctl_target_new(&r->cfg, &t, err, errlen);
  if(rc)
    goto out;
  rc = tel_csv_new(r->load, r->n, r->cfg.start_ms, step_ms, &src);
  if(rc == 0)
    rc = act_sim_new(r->warmup_steps, &act);
  if(rc)
    goto out;
  pw_clock_sim(&clk, r->cfg.start_ms);
  double t0 = pw_clock_mono_ms();
  int64_t from = r->cfg.start_ms;
  for(size_t i = 0; i < r->n; i++) {
    /* Step i is observed when it ends; the decision is made then. */
    int64_t now = r->cfg.start_ms + (int64_t)(i + 1) * step_ms;
    clk.ops->sleep_until(&clk, now);
    smp.n = 0;
    rc = tel_fetch(src, from, clk.ops->now_ms(&clk), &smp);
    if(rc)
      goto out;
    from = now;
    ctl_target_observe(t, smp.ts_ms, smp.v, smp.n);
    struct ctl_decision d;
    struct act_capacity cap;
    rc = ctl_target_tick(t, now, act, &d, &cap);
    if(rc)
      goto out;
    const struct ctl_target_stats *st = ctl_target_stats(t);
    r->desired[i] = (double)d.desired;
    r->reasons[i] = d.reasons;
    r->quantile[i] = d.reasons & CTL_R(FALLBACK) ? (double)NAN
                                                 : st->quantile_at_lead;
    if(r->progress && (i % 1024 == 0 || i + 1 == r->n))
      r->progress(r->progress_arg, i + 1, r->n);
  }
  r->elapsed_ms = pw_clock_mono_ms() - t0;
  r->period = ctl_target_period(t, &r->period2);
  const struct fc_model *m = ctl_target_model(t);
  r->have_model = m != NULL;
  r->kind = m ? m->spec.kind : FC_SNAIVE;
  r->stats = *ctl_target_stats(t);

out:
  tel_samples_cleanup(&smp);
  act_free(&act);
  tel_source_free(&src);
  ctl_target_free(&t);
  return rc;
}

void ctl_replay_cleanup(struct ctl_replay *r) {
  pw_free(r->desired);
  pw_free(r->quantile);
  pw_free(r->reasons);
  r->desired = r->quantile = NULL;
  r->reasons = NULL;
}
