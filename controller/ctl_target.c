#include "ctl_target.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"
#include "../forecast/fc_fit.h"
#include "../forecast/fc_period.h"
#include "../forecast/fc_select.h"

/* The prominence a newly found period needs to replace one in use. */
#define SWITCH_STRENGTH 0.4

/* Data older than this many steps is stale: capacity is held. */
#define STALE_STEPS 3

struct ctl_target {
  struct ctl_target_cfg cfg;
  struct fc_series hist;
  struct ctl_surge surge;
  size_t surge_seen;        /* hist.total when the guard last stepped */
  double surge_load;        /* what it asks to serve, or 0 */
  /* The calibrated guard's shadow: the last L requests with the guard
   * acting and without it (a ring; sg_n valid). */
  long *sg_with, *sg_without;
  int sg_n, sg_head;
  struct fc_model *model;
  int period, period2;      /* in use; 0 while unknown */
  long since_refit, since_select;
  int L;                    /* lead steps */
  struct fc_path path;
  /* Forecast error at the lead time against persistence at the same lead:
   * pend_* hold, per slot, what was forecast for step pend_step. */
  double *pend_f, *pend_y;
  size_t *pend_step;
  double ew_err, ew_naive;
  /* Recommendations of the last stabilisation window: a ring whose first
   * recent_n slots are the valid ones (the policy takes their maximum, so
   * their order does not matter). */
  long *recent;
  int recent_n, recent_head;
  /* Requests of the trailing day, for the budget (a ring). */
  long *spent;
  size_t spent_cap, spent_n, spent_head;
  double spent_s;
  long current;             /* last capacity requested successfully */
  double sane_max;          /* forecasts above this are rejected */
  int64_t now_ms;           /* the tick's time */
  /* SLO feedback (when cfg.slo.kind): the capacity that was ready when
   * the last step arrived, -1 when unknown. */
  struct ctl_slo slo;
  long ready_last;
  int64_t ready_at_ms;      /* when it was read */
  /* Measured warm-up: a rise in flight (wu_want > 0) asked at wu_since,
   * and the last samples (ms), a ring. */
  int64_t wu_since;
  long wu_want;
  double wu[CTL_WARMUP_SAMPLES];
  int wu_n, wu_head;
  int day_seen;             /* the history has held three days */
  struct ctl_target_stats st;
};

static int fail(char *err, size_t len, const char *msg) {
  snprintf(err, len, "%s", msg);
  return PW_EINVAL;
}

static int check_cfg(const struct ctl_target_cfg *c, char *err, size_t len) {
  int rc = ctl_policy_check(&c->policy, err, len);
  if(rc)
    return rc;
  if(c->period < 0 || c->period2 < 0 ||
     (c->period2 && c->period2 <= c->period))
    return fail(err, len, "period2 must be longer than period");
  if(c->refit_steps < 1 || c->reselect_steps < c->refit_steps)
    return fail(err, len, "refit interval must be at least one step and "
                "no longer than the reselect interval");
  if(c->history_steps < 16 || c->fit_seasons < 2)
    return fail(err, len, "history must hold at least 16 steps and fits "
                "at least two seasons");
  if(c->slo.kind != CTL_SLO_NONE &&
     (rc = ctl_slo_check(&c->slo, err, len)) != 0)
    return rc;
  if(c->period && 2 * (long)(c->period2 ? c->period2 : c->period) >
                    c->history_steps)
    return fail(err, len, "history must hold two seasons of the period");
  return 0;
}

int ctl_target_new(const struct ctl_target_cfg *cfg, struct ctl_target **out,
                   char *err, size_t errlen) {
  struct ctl_target *t;
  int rc;

  *out = NULL;
  rc = check_cfg(cfg, err, errlen);
  if(rc)
    return rc;
  t = pw_calloc(1, sizeof(*t));
  if(!t)
    return PW_ENOMEM;
  t->cfg = *cfg;
  t->L = cfg->policy.lead_steps;
  t->current = -1;
  t->period = cfg->period;
  t->period2 = cfg->period2;
  t->st.error_ratio = (double)NAN;
  t->st.forecast_at_lead = (double)NAN;
  t->st.quantile_at_lead = (double)NAN;
  t->st.slo_measured = (double)NAN;
  t->st.warmup_measured_s = (double)NAN;
  t->st.quantile = cfg->policy.quantile;
  t->st.headroom = cfg->policy.headroom;
  t->st.lead_steps = t->L;
  t->st.surge_active = cfg->policy.surge_ratio > 0 &&
                           cfg->policy.surge_pay > 0 ? 0 : -1;
  t->ready_last = -1;
  size_t hs = (size_t)cfg->history_steps, L = (size_t)t->L;
  size_t rs = (size_t)(cfg->policy.stabilization_steps > 0
                         ? cfg->policy.stabilization_steps : 1);
  t->spent_cap = (size_t)ceil(86400.0 / cfg->policy.step_s);
  rc = fc_series_init(&t->hist, hs,
                      (int64_t)(cfg->policy.step_s * 1000), cfg->start_ms);
  if(rc)
    goto fail;
  rc = fc_path_init(&t->path, t->L, 1);
  if(rc)
    goto fail;
  t->pend_f = pw_malloc(L * sizeof(double));
  t->pend_y = pw_malloc(L * sizeof(double));
  t->pend_step = pw_calloc(L, sizeof(size_t));
  t->recent = pw_calloc(rs, sizeof(long));
  t->spent = pw_calloc(t->spent_cap, sizeof(long));
  t->sg_with = pw_calloc(L, sizeof(long));
  t->sg_without = pw_calloc(L, sizeof(long));
  if(!t->pend_f || !t->pend_y || !t->pend_step ||
     !t->recent || !t->spent || !t->sg_with || !t->sg_without) {
    rc = PW_ENOMEM;
    goto fail;
  }
  for(size_t i = 0; i < L; i++)
    t->pend_step[i] = (size_t)-1;
  if(cfg->slo.kind != CTL_SLO_NONE) {
    rc = ctl_slo_init(&t->slo, &cfg->slo, cfg->policy.quantile,
                      cfg->policy.headroom);
    if(rc)  /* check_cfg() has checked the settings */
      goto fail;
  }
  *out = t;
  return 0;

fail:
  ctl_target_free(&t);
  return rc;
}

void ctl_target_free(struct ctl_target **tp) {
  struct ctl_target *t = *tp;
  if(!t)
    return;
  fc_model_free(&t->model);
  fc_series_cleanup(&t->hist);
  fc_path_cleanup(&t->path);
  pw_free(t->pend_f);
  pw_free(t->pend_y);
  pw_free(t->pend_step);
  pw_free(t->recent);
  pw_free(t->spent);
  pw_free(t->sg_with);
  pw_free(t->sg_without);
  ctl_slo_cleanup(&t->slo);
  pw_free(t);
  *tp = NULL;
}

/* One step arrived (it is already in the history). */
static void on_step(struct ctl_target *t, double y, int64_t ts_ms) {
  size_t idx = t->hist.total - 1, slot = idx % (size_t)t->L;
  if(t->model)
    fc_update(t->model, y);
  if(t->pend_step[slot] == idx) {
    if(!isnan(y) && isfinite(t->pend_f[slot]) && !isnan(t->pend_y[slot])) {
      /* The error averages follow about a season (30 steps at least). */
      double k = 1.0 / fmax(30.0, (double)t->period);
      double ef = fabs(y - t->pend_f[slot]), en = fabs(y - t->pend_y[slot]);
      t->ew_err += k * (ef - t->ew_err);
      t->ew_naive += k * (en - t->ew_naive);
      t->st.error_ratio = t->ew_naive > 1e-9 ? t->ew_err / t->ew_naive
                          : t->ew_err > 1e-9 ? (double)INFINITY : 0;
    }
    t->pend_step[slot] = (size_t)-1;
  }
  t->since_refit++;
  t->since_select++;
  /* Only a step that ran while the last reading of ready capacity held
   * is judged by it: history read at start or caught up after an outage
   * is not. */
  long ready = ts_ms >= t->ready_at_ms - t->hist.step_ms ? t->ready_last : -1;
  if(t->cfg.slo.kind != CTL_SLO_NONE &&
     ctl_slo_observe(&t->slo, y, ready) != 0) {
    t->cfg.policy.quantile = ctl_slo_quantile(&t->slo);
    t->cfg.policy.headroom = ctl_slo_headroom(&t->slo);
    t->st.quantile = t->cfg.policy.quantile;
    t->st.headroom = t->cfg.policy.headroom;
    t->st.slo_moves_up = t->slo.moves_up;
    t->st.slo_moves_down = t->slo.moves_down;
  }
  if(t->cfg.slo.kind != CTL_SLO_NONE)
    t->st.slo_measured = ctl_slo_measured(&t->slo);
}

void ctl_target_observe(struct ctl_target *t, const int64_t *ts_ms,
                        const double *v, size_t n) {
  for(size_t i = 0; i < n; i++) {
    size_t k = fc_series_put(&t->hist, ts_ms[i], v[i]);
    /* fc_series_put() appended k - 1 missing steps, then the value. */
    for(size_t j = 0; j < k; j++)
      on_step(t, j + 1 < k ? (double)NAN : v[i], ts_ms[i]);
  }
}

/* Steps in a day, or 0 when a day is not a whole number of steps. */
static int day_steps(const struct ctl_target *t) {
  double day = 86400.0 / t->cfg.policy.step_s;
  return day >= 2 && fabs(day - round(day)) < 1e-9 ? (int)round(day) : 0;
}

/*
 * The buffer a fit or a period detection copies the history into: one per
 * thread, shared by every target that thread ticks (a target's own would
 * double its memory).  Grows to the longest history asked for; NULL when
 * out of memory.
 */
static _Thread_local double *scratch_buf;
static _Thread_local size_t scratch_cap;

void ctl_target_scratch_free(void) {
  pw_free(scratch_buf);
  scratch_buf = NULL;
  scratch_cap = 0;
}

static double *scratch(size_t n) {
  double *buf = scratch_buf;
  size_t cap = scratch_cap;
  if(n > cap) {
    double *b = pw_realloc(buf, n * sizeof(double));
    if(!b)
      return NULL;
    scratch_buf = buf = b;
    scratch_cap = n;
  }
  return buf;
}

/* Finds the period (and a second one) from the history so far. */
static void detect_period(struct ctl_target *t) {
  struct fc_period_info pi;
  size_t n = t->hist.n;
  double *buf = scratch(n);
  if(n < 16 || !buf)
    return;
  fc_series_copy_last(&t->hist, n, buf);
  /* Up to two seasons (the fit's minimum); the detector asks for strong
   * evidence past three.  Once three days are seen, the day is preferred,
   * and a cycle of whole days (a tournament's match days) is taken as the
   * day. */
  if(fc_period_detect_calendar(buf, n, (int)(n / 2), t->period,
                                day_steps(t), &pi) ||
     pi.period < 2)
    return;
  /* An established period gives way only to a clearly strong new one. */
  if(t->period && pi.period != t->period && pi.strength < SWITCH_STRENGTH)
    return;
  int p2 = t->cfg.model_auto && pi.period2 ? pi.period2 : 0;
  /* A second period, once found, stays while the first one does. */
  if(pi.period == t->period && t->period2)
    p2 = t->period2;
  if(pi.period != t->period || p2 != t->period2) {
    pw_logf(PW_LOG_INFO,
            PW_LF(PW_LF_NUM("period", pi.period), PW_LF_NUM("period2", p2),
                  PW_LF_NUM("old_period", t->period),
                  PW_LF_NUM("old_period2", t->period2),
                  PW_LF_NUM("strength", pi.strength),
                  PW_LF_NUM("steps", (double)t->hist.total)),
            "season length detected");
    t->period = pi.period;
    t->period2 = p2;
    fc_model_free(&t->model);  /* a new season needs a new model */
  }
}

/*
 * Looks for the period when it is time: every refit until the history holds
 * four seasons of it (early finds rest on little data), often while there
 * is none (a timer's third firing is worth catching), once when the history
 * first holds three days, and at every reselect.  Returns whether this is a
 * reselect (the model is to be chosen again).
 */
static int maybe_detect(struct ctl_target *t) {
  const struct ctl_target_cfg *c = &t->cfg;
  int reselect = t->since_select >= c->reselect_steps;
  int young = t->period == 0 || (t->hist.n < 4 * (size_t)t->period &&
                                 t->hist.n < t->hist.cap);
  int day = day_steps(t);
  if(day && !t->day_seen && t->hist.n >= 3 * (size_t)day) {
    t->day_seen = 1;
    reselect = 1;
  }
  long look = t->period == 0 ? (c->refit_steps + 11) / 12 : c->refit_steps;
  if(c->period == 0 && (reselect || (young && t->since_refit >= look))) {
    int before = t->period;
    detect_period(t);
    if(t->period == 0 || t->period != before)
      t->since_refit = t->period == 0 ? 0 : c->refit_steps;
  }
  return reselect;
}

/* Is a fit due: no model yet, a reselect, the hour, or a drifting error? */
static int fit_due(const struct ctl_target *t, int reselect) {
  const struct ctl_target_cfg *c = &t->cfg;
  if(!t->model || reselect || t->since_refit >= c->refit_steps)
    return 1;
  return t->st.error_ratio > 0.8 * c->policy.max_error_ratio &&
         t->since_refit >= c->refit_steps / 4;
}

/* Fits on the last fit_seasons of history: chooses the model when asked,
 * else refits the one there.  On failure the old model stays. */
static void fit(struct ctl_target *t, int reselect) {
  const struct ctl_target_cfg *c = &t->cfg;
  size_t M = (size_t)(t->period2 ? t->period2 : t->period);
  size_t n = M * (size_t)c->fit_seasons;
  if(n > t->hist.n)
    n = t->hist.n;
  double *buf = scratch(n);
  if(!buf) {
    t->st.fit_failures++;
    return;
  }
  fc_series_copy_last(&t->hist, n, buf);
  double top = 0;
  for(size_t i = 0; i < n; i++)
    top = isnan(buf[i]) ? top : fmax(top, buf[i]);
  struct fc_spec spec = {
    .kind = t->model ? t->model->spec.kind : c->kind,
    .period = t->period,
    .period2 = t->period2,
    .clip_k = c->clip_k,
    .fit_h = t->L < t->period ? t->L : t->period};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  double t0 = pw_clock_mono_ms();
  int rc;
  if(c->model_auto && (!t->model || reselect)) {
    t->st.fit_kind_last = CTL_FIT_SELECT;
    rc = fc_select(buf, n, &spec, t->L, &m, &ch, NULL);
  }
  else if(t->model && !reselect) {
    /* The hourly refit: from the last parameters, keeping the quantile
     * tables, which the daily full fit renews. */
    t->st.fit_kind_last = CTL_FIT_REFIT;
    rc = fc_refit(buf, n, t->model, &m, NULL);
  }
  else {
    t->st.fit_kind_last = CTL_FIT_FULL;
    if(spec.kind != FC_DSHW)
      spec.period2 = 0;
    rc = fc_fit(buf, n, &spec, t->model ? &t->model->par : NULL, &m,
                NULL);
  }
  t->st.fits++;
  t->st.fit_ms_last = pw_clock_mono_ms() - t0;
  t->st.fit_ms_total += t->st.fit_ms_last;
  t->since_refit = 0;
  if(reselect || !t->model)
    t->since_select = 0;
  if(!t->model && c->phase > 0) {
    /* The first fit: start this target's schedules part-way, so that a
     * daemon's targets spread their refits over the hour and their
     * reselects over the day. */
    t->since_refit = (long)(c->phase * c->refit_steps);
    t->since_select = (long)(c->phase * c->reselect_steps);
  }
  if(rc) {
    t->st.fit_failures++;
    pw_logf(PW_LOG_DEBUG, PW_LF(PW_LF_STR("error", pw_strerror(rc))),
            "fit failed, the previous model stays");
    return;
  }
  fc_model_free(&t->model);
  t->model = m;
  t->sane_max = 4 * top + 1;
  t->st.refits++;
}

/* Detects, fits or refits when due. */
static void maybe_fit(struct ctl_target *t) {
  int reselect = maybe_detect(t);
  if(t->period == 0 || !fit_due(t, reselect))
    return;
  size_t M = (size_t)(t->period2 ? t->period2 : t->period);
  if(t->hist.n < 2 * M)
    return;  /* under two seasons: the policy acts reactively */
  fit(t, reselect);
}

/* Remembers the forecast at the lead time to score it when it arrives. */
static void remember_forecast(struct ctl_target *t) {
  size_t origin = t->hist.total - 1, target = origin + (size_t)t->L;
  size_t slot = target % (size_t)t->L;
  t->pend_step[slot] = target;
  t->pend_f[slot] = t->path.mean[t->L - 1];
  t->pend_y[slot] = fc_series_back(&t->hist, 0);
}

static void record(struct ctl_target *t, const struct ctl_decision *d) {
  int cap = t->cfg.policy.stabilization_steps;
  if(cap > 0) {
    t->recent[t->recent_head] = d->recommendation;
    t->recent_head = (t->recent_head + 1) % cap;
    if(t->recent_n < cap)
      t->recent_n++;
  }
  if(t->spent_n == t->spent_cap)
    t->spent_s -= (double)t->spent[t->spent_head] * t->cfg.policy.step_s;
  else
    t->spent_n++;
  t->spent[t->spent_head] = d->desired;
  t->spent_head = (t->spent_head + 1) % t->spent_cap;
  t->spent_s += (double)d->desired * t->cfg.policy.step_s;
}

/* Steps the surge guard once for each tick that brought a new step. */
static void surge_step(struct ctl_target *t) {
  if(!(t->cfg.policy.surge_ratio > 0) || t->hist.total == t->surge_seen)
    return;
  t->surge_seen = t->hist.total;
  double before = (double)NAN;
  for(size_t i = 1; i <= CTL_SURGE_LOOKBACK && i < t->hist.n; i++) {
    double v = fc_series_back(&t->hist, i);
    if(isfinite(v) && !(v <= before))
      before = v;
  }
  t->surge_load = ctl_surge_step(&t->cfg.policy, &t->surge,
                                fc_series_back(&t->hist, 0), before);
}

/* The lowest of the last n entries of a ring of L whose newest is before
 * head. */
static long ring_min(const long *r, int L, int head, int n) {
  long lo = -1;
  for(int i = 1; i <= n; i++) {
    long v = r[(head - i + L) % L];
    if(lo < 0 || v < lo)
      lo = v;
  }
  return lo;
}

/* The calibrated guard's shadow for the step just decided: what would
 * have been ready with the guard and without it, and what it adds. */
static void surge_account(struct ctl_target *t,
                          const struct ctl_decision *dec) {
  const struct ctl_policy *p = &t->cfg.policy;
  if(!(p->surge_ratio > 0 && p->surge_pay > 0))
    return;
  long without = dec->unsurged, with = without;
  if(t->surge_load > 0) {
    double need = ctl_policy_instances(p, t->surge_load);
    long g = (long)ceil(need - 1e-9);
    if(g > with)
      with = g;
  }
  t->sg_with[t->sg_head] = with;
  t->sg_without[t->sg_head] = without;
  t->sg_head = (t->sg_head + 1) % t->L;
  if(t->sg_n < t->L)
    t->sg_n++;
  int n = p->lead_steps < t->sg_n ? p->lead_steps : t->sg_n;
  ctl_surge_account(p, &t->surge, fc_series_back(&t->hist, 0),
                    ring_min(t->sg_with, t->L, t->sg_head, n),
                    ring_min(t->sg_without, t->L, t->sg_head, n),
                    with - without);
  t->st.surge_active = ctl_surge_pays(p, &t->surge);
}

int ctl_target_tick(struct ctl_target *t, int64_t now_ms, struct act *act,
                    struct ctl_decision *dec, struct act_capacity *cap) {
  struct ctl_target_state s;
  int rc = 0;

  t->st.ticks++;
  t->now_ms = now_ms;
  surge_step(t);
  maybe_fit(t);
  int have = t->model && t->hist.total > 0 &&
             fc_forecast(t->model, t->L, &t->cfg.policy.quantile, 1,
                         &t->path) == 0;
  /* A forecast far above anything in the fitted history is a model gone
   * wrong (an outage reported as zeros can do that): act reactively. */
  for(int k = 0; have && k < t->L; k++) {
    if(!(t->path.q[k] <= t->sane_max) || !isfinite(t->path.mean[k])) {
      have = 0;
      t->st.rejected++;
    }
  }
  if(have) {
    remember_forecast(t);
    t->st.forecast_at_lead = t->path.mean[t->L - 1];
    t->st.quantile_at_lead = t->path.q[t->L - 1];
  }
  s = (struct ctl_target_state){
    .now_ms = now_ms,
    .current_load = fc_series_back(&t->hist, 0),
    .lag_load = fc_series_back(&t->hist, (size_t)t->L),
    .current = t->current,
    .forecast_ok = have,
    .error_ratio = t->st.error_ratio,
    .stale = now_ms - t->cfg.lag_ms - t->hist.next_ms >=
             STALE_STEPS * t->hist.step_ms,
    .spent_s = t->spent_s,
    .recent = t->recent,
    .nrecent = t->recent_n,
    .surge_load = ctl_surge_pays(&t->cfg.policy, &t->surge)
                    ? t->surge_load : 0};
  ctl_policy_decide(&t->cfg.policy, &s, have ? &t->path : NULL, dec);
  surge_account(t, dec);
  /* The forecast part was sized by a setting the objective moved. */
  if(t->cfg.slo.kind != CTL_SLO_NONE && (dec->reasons & CTL_R(PREDICTIVE)) &&
     (t->slo.moves_up || t->slo.moves_down))
    dec->reasons |= CTL_R(SLO);
  if(dec->reasons & CTL_R(FALLBACK))
    t->st.fallbacks++;
  record(t, dec);
  if(act)
    rc = ctl_target_actuate(t, act, dec, cap);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The lead time from the measured warm-ups, when there are enough. */
static void measured_lead(struct ctl_target *t) {
  double v[CTL_WARMUP_SAMPLES];
  int n = t->wu_n;
  if(n < CTL_WARMUP_MIN_SAMPLES)
    return;
  memcpy(v, t->wu, (size_t)n * sizeof(double));
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  double pos = CTL_WARMUP_PERCENTILE * (n - 1);
  int i = (int)pos;
  double p = i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
  t->st.warmup_measured_s = p / 1000;
  /* The warm-up in steps, plus the tick that asks. */
  int lead = (int)ceil(p / (double)t->hist.step_ms - 1e-9) + 1;
  if(lead < 1)
    lead = 1;
  if(lead > t->L)
    lead = t->L;
  t->cfg.policy.lead_steps = lead;
  t->st.lead_steps = lead;
}

/* Times rises: from the tick that asked for more than was ready to the
 * tick that sees it ready.  A rise given up (asked back down before it
 * was ready) is no sample; a platform that cannot say what is ready
 * gives none. */
static void time_warmup(struct ctl_target *t, long requested, long ready) {
  if(ready < 0)
    return;
  if(t->wu_want > 0 && ready >= t->wu_want) {
    t->wu[t->wu_head] = (double)(t->now_ms - t->wu_since);
    t->wu_head = (t->wu_head + 1) % CTL_WARMUP_SAMPLES;
    if(t->wu_n < CTL_WARMUP_SAMPLES)
      t->wu_n++;
    t->st.warmup_samples++;
    t->wu_want = 0;
    measured_lead(t);
  } else if(t->wu_want > 0 && requested < t->wu_want) {
    t->wu_want = 0;
  }
  if(t->wu_want == 0 && requested > ready) {
    t->wu_want = requested;
    t->wu_since = t->now_ms;
  }
}

int ctl_target_actuate(struct ctl_target *t, struct act *act,
                       struct ctl_decision *dec, struct act_capacity *cap) {
  cap->flags = 0;
  int rc = act_set(act, dec->desired, cap);
  /* The platform's own limits and refusals become reasons, so the
   * decision says why less than `desired` was asked for. */
  if(cap->flags & ACT_F_LIMITED)
    dec->reasons |= CTL_R(PLATFORM_LIMIT);
  if(rc == PW_EREFUSED || (cap->flags & ACT_F_REFUSED))
    dec->reasons |= CTL_R(REFUSED);
  if(rc == 0)
    t->current = cap->requested >= 0 ? cap->requested : dec->desired;
  if(rc == 0)
    time_warmup(t, t->current, cap->ready);
  /* What serves the next step, for the objective: what the platform
   * says is ready (unknown after a failure or when it cannot tell). */
  t->ready_last = rc == 0 ? cap->ready : -1;
  t->ready_at_ms = t->now_ms;
  return rc;
}

long ctl_target_current(const struct ctl_target *t) {
  return t->current;
}

const struct ctl_target_stats *ctl_target_stats(const struct ctl_target *t) {
  return &t->st;
}

const struct fc_path *ctl_target_path(const struct ctl_target *t) {
  return &t->path;
}

const struct ctl_policy *ctl_target_policy(const struct ctl_target *t) {
  return &t->cfg.policy;
}

const struct fc_model *ctl_target_model(const struct ctl_target *t) {
  return t->model;
}

const struct fc_series *ctl_target_series(const struct ctl_target *t) {
  return &t->hist;
}

int ctl_target_period(const struct ctl_target *t, int *period2) {
  if(period2)
    *period2 = t->period2;
  return t->period;
}
