#include "ctl_unit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"
#include "ctl_settings.h"

#define NaN ((double)NAN)

const char *const ctl_act_result_names[CTL_ACT_RESULTS] = {
  "ok", "unchanged", "refused", "error", "standby", "pending"};

int ctl_unit_new(const struct cfg_target *c, struct tel_source *src,
                 struct act *act, int64_t start_ms, int64_t history_ms,
                 int64_t now_ms, double phase, struct ctl_unit **out,
                 char *err, size_t errlen) {
  struct ctl_target_cfg tc;
  struct ctl_unit *u = pw_calloc(1, sizeof(*u));
  *out = NULL;
  if(!u) {
    tel_source_free(&src);
    act_free(&act);
    return PW_ENOMEM;
  }
  u->c = c;
  u->src = src;
  u->act = act;
  pthread_mutex_init(&u->snap_mu, NULL);
  int rc = ctl_settings_target(c, start_ms, phase, &tc, &u->sched);
  if(rc == PW_EINVAL)
    snprintf(err, errlen, "model '%s' is not known", c->model);
  if(rc == 0)
    rc = ctl_target_new(&tc, &u->t, err, errlen);
  if(rc == 0)
    rc = fc_path_init(&u->outlook, CTL_SNAP_OUTLOOK, 1);
  int L = tc.policy.lead_steps;
  if(rc == 0) {
    u->snap.path_mean = pw_calloc((size_t)L, sizeof(double));
    u->snap.path_upper = pw_calloc((size_t)L, sizeof(double));
    if(!u->snap.path_mean || !u->snap.path_upper)
      rc = PW_ENOMEM;
  }
  if(rc) {
    ctl_unit_free(&u);
    return rc;
  }
  ctl_feed_init(&u->feed, u->src, c->step_ms, ctl_settings_lag(c),
                history_ms, now_ms);
  u->snap.requested = u->snap.ready = -1;
  u->snap.newest_ms = -1;
  u->snap.load = u->snap.forecast_mean = u->snap.forecast_upper = NaN;
  u->snap.error_ratio = NaN;
  u->snap.quantile = u->snap.headroom = u->snap.slo_objective = NaN;
  u->snap.slo_miss = u->snap.warmup_s = u->snap.lead_s = NaN;
  u->snap.surge_active = NaN;
  u->snap.step_ms = c->step_ms;
  *out = u;
  return 0;
}

void ctl_unit_free(struct ctl_unit **up) {
  struct ctl_unit *u = *up;
  if(!u)
    return;
  act_free(&u->act);
  tel_source_free(&u->src);
  ctl_target_free(&u->t);
  ctl_feed_cleanup(&u->feed);
  fc_path_cleanup(&u->outlook);
  pw_free(u->sched);
  pw_free(u->snap.path_mean);
  pw_free(u->snap.path_upper);
  pthread_mutex_destroy(&u->snap_mu);
  pw_free(u);
  *up = NULL;
}

int ctl_snap_stale(const struct ctl_snap *s, int64_t lag_ms, int64_t now_ms) {
  return s->newest_ms < 0 ||
         now_ms - lag_ms - s->newest_ms > CTL_STALE_STEPS * s->step_ms;
}


static enum ctl_act_result result_of(int rc, const struct act_capacity *cap,
                                     int lead) {
  if(!lead)
    return CTL_ACT_STANDBY;
  if(rc == 0 && (cap->flags & ACT_F_UNCHANGED))
    return CTL_ACT_UNCHANGED;
  if(rc == 0 && (cap->flags & ACT_F_DEFERRED))
    return CTL_ACT_PENDING;
  if(rc == 0)
    return CTL_ACT_OK;
  if(rc == PW_EREFUSED)
    return CTL_ACT_REFUSED;
  return CTL_ACT_ERROR;
}

/* The outlook for /ui: the model's forecast over the next quarter of the
 * load shown, computed by the stepping thread so handlers only copy. */
static size_t outlook(struct ctl_unit *u, int forecasting, size_t nload) {
  const struct fc_model *m = ctl_target_model(u->t);
  const struct ctl_policy *pol = ctl_target_policy(u->t);
  size_t h = nload / 4;
  if(!u->want_outlook || !m || !forecasting || h == 0)
    return 0;
  if(h > CTL_SNAP_OUTLOOK)
    h = CTL_SNAP_OUTLOOK;
  if(fc_forecast(m, (int)h, &pol->quantile, 1, &u->outlook) != 0)
    return 0;
  for(size_t k = 0; k < h; k++) {
    u->out_mean[k] = u->outlook.mean[k];
    u->out_upper[k] = u->outlook.q[k];
  }
  return h;
}

static void log_step(const struct ctl_unit *u, enum ctl_act_result res) {
  char reasons[256];
  ctl_reasons_format(u->dec.reasons, reasons, sizeof(reasons));
  if(res == CTL_ACT_ERROR)
    pw_logf(PW_LOG_WARN,
            PW_LF(PW_LF_NUM("desired", u->dec.desired),
                  PW_LF_STR("error", u->act->why[0] ? u->act->why
                                                    : pw_strerror(u->act_rc))),
            "actuation failed, capacity kept");
  /* A refusal is logged by the actuator, once per distinct message. */
  /* Each change of decision, at info: what an operator follows.  The
   * stepping thread is the snapshot's only writer, so it reads its own
   * last publication without the lock. */
  if(u->snap.have && u->snap.desired != u->dec.desired)
    pw_logf(PW_LOG_INFO,
            PW_LF(PW_LF_NUM("desired", u->dec.desired),
                  PW_LF_NUM("previous", u->snap.desired),
                  PW_LF_STR("reasons", reasons)),
            "desired changed");
  pw_logf(PW_LOG_DEBUG,
          PW_LF(PW_LF_NUM("desired", u->dec.desired),
                PW_LF_NUM("requested", u->cap.requested >= 0
                                       ? (double)u->cap.requested : NaN),
                PW_LF_NUM("ready", u->cap.ready >= 0 ? (double)u->cap.ready
                                                     : NaN),
                PW_LF_STR("reasons", reasons)),
          "decided");
}

/* Copies the step's results into the published snapshot. */
static void publish(struct ctl_unit *u, enum ctl_act_result res,
                    size_t nout) {
  const struct ctl_target_stats *st = ctl_target_stats(u->t);
  const struct fc_series *s = ctl_target_series(u->t);
  const struct fc_path *p = ctl_target_path(u->t);
  const struct ctl_policy *pol = ctl_target_policy(u->t);
  int forecasting = !(u->dec.reasons & CTL_R(FALLBACK));
  size_t nl = s->n < CTL_SNAP_HIST ? s->n : CTL_SNAP_HIST;
  struct ctl_snap *z = &u->snap;

  pthread_mutex_lock(&u->snap_mu);
  /* A previous decision is kept on screen when a step only failed to
   * reach the platform: what the platform has is in requested/ready. */
  z->have = 1;
  z->at_ms = u->at_ms;
  z->desired = u->dec.desired;
  z->requested = u->cap.requested;
  z->ready = u->cap.ready;
  z->reasons = u->dec.reasons;
  z->load = fc_series_back(s, 0);
  z->forecast_mean = forecasting ? st->forecast_at_lead : NaN;
  z->forecast_upper = forecasting ? st->quantile_at_lead : NaN;
  z->error_ratio = st->error_ratio;
  z->fit_s = st->fit_ms_last / 1000.0;
  z->quantile = st->quantile;
  z->headroom = st->headroom;
  z->slo_objective = u->c->slo_unserved > 0    ? u->c->slo_unserved
                     : u->c->slo_cold_start > 0 ? u->c->slo_cold_start
                                               : NaN;
  z->slo_miss = st->slo_measured;
  z->warmup_s = st->warmup_measured_s;
  z->lead_s = st->lead_steps * (double)s->step_ms / 1000.0;
  z->surge_active = st->surge_active >= 0 ? st->surge_active : NaN;
  z->newest_ms = u->feed.newest_ms;
  z->answered = u->feed.answered;
  z->src_failing = u->src_rc != 0;
  z->act_last = res;
  z->act_stale = (u->cap.flags & ACT_F_STALE) != 0;
  snprintf(z->src_why, sizeof(z->src_why), "%s",
           u->src_rc ? u->src->why : "");
  /* The actuator's last word: what failed, limited or refused this step;
   * empty after a clean success (an old error is not kept). */
  snprintf(z->act_why, sizeof(z->act_why), "%s", u->act->why);
  for(int b = 0; b < CTL_RB_COUNT; b++)
    if(u->dec.reasons & (1u << b))
      z->by_reason[b]++;
  z->acts[res]++;
  z->src_failures = u->feed.failures;
  z->src_rejected = u->src->rejected;
  z->path_h = forecasting && p->h ? p->h : 0;
  if(z->path_h > pol->lead_steps)
    z->path_h = pol->lead_steps;
  for(int k = 0; k < z->path_h; k++) {
    z->path_mean[k] = p->mean[k];
    z->path_upper[k] = p->q[k * p->nq];
  }
  z->nload = nl;
  z->load_start_ms = s->next_ms - (int64_t)nl * s->step_ms;
  for(size_t i = 0; i < nl; i++)
    z->load_hist[i] = fc_series_back(s, nl - 1 - i);
  z->outlook_start_ms = s->next_ms;
  z->nout = nout;
  for(size_t k = 0; k < nout; k++) {
    z->out_mean[k] = u->out_mean[k];
    z->out_upper[k] = u->out_upper[k];
    double v = u->out_upper[k];
    long c = ctl_policy_forecast_capacity(pol, v);
    z->out_cap[k] = isfinite(v) ? (double)(c < pol->min ? pol->min
                                           : c > pol->max ? pol->max : c)
                                : NaN;
  }
  z->points[z->head] = (struct ctl_snap_point){u->at_ms, u->dec.desired,
                                               u->cap.ready, u->dec.reasons};
  z->head = (z->head + 1) % CTL_SNAP_HIST;
  if(z->npoints < CTL_SNAP_HIST)
    z->npoints++;
  pthread_mutex_unlock(&u->snap_mu);
}

int ctl_unit_step(struct ctl_unit *u, int64_t now_ms, int lead,
                  struct ctl_step *out) {
  /* Reading may be abandoned at once when the process stops. */
  pw_http_scope(PW_HTTP_SCOPE_READ);
  u->src_rc = ctl_feed_tick(&u->feed, now_ms, u->t);
  pw_http_scope(PW_HTTP_SCOPE_NONE);
  if(u->src_rc)
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", u->src->why[0]
                                                  ? u->src->why
                                                  : pw_strerror(u->src_rc))),
            "reading load failed, capacity held");
  const struct ctl_target_stats *st = ctl_target_stats(u->t);
  memset(out, 0, sizeof(*out));
  (void)ctl_target_tick(u->t, now_ms, NULL, &u->dec, &u->cap);
  if(st->fits != u->fits_seen) {
    u->fits_seen = st->fits;
    out->fitted = 1;
    out->fit_kind = st->fit_kind_last;
    out->fit_s = st->fit_ms_last / 1000.0;
  }
  out->read = &u->feed.buf;
  out->src_rc = u->src_rc;
  /* The actuator may wait on the network; a follower keeps its model
   * warm and acts not at all. */
  u->cap = (struct act_capacity){-1, -1, -1, 0};
  u->act_rc = 0;
  if(lead && u->fence && !u->fence(u->fence_ud, u))
    lead = 0;  /* the target's shard is not held any more */
  /* No data is not zero load: before any data has come, and before this
   * target has set the platform's capacity once, the platform keeps what
   * it has (the policy's stale hold needs a capacity to hold). */
  int nodata = ctl_feed_stale(&u->feed, now_ms, CTL_STALE_STEPS) &&
               ctl_target_current(u->t) < 0;
  if(lead && nodata) {
    u->dec.reasons |= CTL_R(STALE);
    act_why(u->act, "no data yet: the platform's capacity is left as it is");
    u->cap.flags = ACT_F_UNCHANGED;
  } else if(lead) {
    /* The request in flight finishes when the process stops; no retry
     * starts after. */
    pw_http_scope(PW_HTTP_SCOPE_WRITE);
    u->act_rc = ctl_target_actuate(u->t, u->act, &u->dec, &u->cap);
    pw_http_scope(PW_HTTP_SCOPE_NONE);
  } else {
    act_why(u->act, "not the leader: deciding only");
  }
  if(u->dry_run)
    u->dec.reasons |= CTL_R(DRY_RUN);
  u->at_ms = now_ms;
  enum ctl_act_result res = result_of(u->act_rc, &u->cap, lead);
  log_step(u, res);
  size_t nl = ctl_target_series(u->t)->n;
  size_t nout = outlook(u, !(u->dec.reasons & CTL_R(FALLBACK)),
                        nl < CTL_SNAP_HIST ? nl : CTL_SNAP_HIST);
  publish(u, res, nout);
  out->result = res;
  return u->act_rc ? u->act_rc : u->src_rc;
}
