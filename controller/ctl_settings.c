#include "ctl_settings.h"

#include <string.h>

#include "../common/pw_alloc.h"
#include "../telemetry/tel_cw.h"

int ctl_settings_steps(int64_t ms, int64_t step_ms) {
  return (int)((ms + step_ms - 1) / step_ms);
}

int64_t ctl_settings_lag(const struct cfg_target *c) {
  if(c->lag_ms)
    return c->lag_ms;
  if(c->source == CFG_SRC_REMOTE_WRITE)
    return c->step_ms;
  /* CloudWatch hands out a minute only once it has settled: the data is
   * that far behind, and is not stale for it. */
  if(c->source == CFG_SRC_CLOUDWATCH)
    return TEL_CW_SETTLE_MS;
  return 0;
}

double ctl_settings_quantile(const struct cfg_target *c) {
  if(c->quantile > 0)
    return c->quantile;
  return cfg_target_lambda(c) ? CTL_QUANTILE_LAMBDA
                                       : CTL_QUANTILE_KUBERNETES;
}

static struct ctl_policy policy_of(const struct cfg_target *c) {
  int lambda = cfg_target_lambda(c);
  int w = ctl_settings_steps(c->warmup_ms, c->step_ms);
  int stab = ctl_settings_steps(c->stabilization_ms, c->step_ms);
  int hold = ctl_settings_steps(c->surge_hold_ms, c->step_ms);
  /* A ratio given alone is the guard as configured, acting on every
   * surge; none given, the guard calibrates itself, except on Lambda,
   * where only the forecast provisions by default. */
  double pay = c->surge_pay >= 0 ? c->surge_pay
               : c->surge_ratio > 0 || lambda ? 0 : CTL_SURGE_PAY;
  return (struct ctl_policy){
    .unit_capacity = c->unit_capacity,
    .duration_ms = lambda ? c->duration_ms : 0,
    .step_s = (double)c->step_ms / 1000.0,
    /* Under the platform model a request made at step t serves steps t
     * to t + w; as DESIGN's lead time, each decision covers one tick more
     * (w + 1 steps), which also absorbs a timer firing a step early. */
    .lead_steps = w + 1,
    .quantile = ctl_settings_quantile(c),
    .headroom = c->headroom,
    .floor_utilization = lambda ? 0 : c->floor_utilization,
    .fallback_utilization = lambda ? 0 : CTL_FALLBACK_UTILIZATION,
    .min = c->min,
    .max = c->max,
    .budget_instance_hours = c->budget_instance_hours,
    /* The window includes the current step, as the HPA's does. */
    .stabilization_steps = stab > 0 ? stab - 1 : 0,
    .max_error_ratio = lambda ? CTL_MAX_ERROR_RATIO_LAMBDA
                              : CTL_MAX_ERROR_RATIO_KUBERNETES,
    .momentum = c->momentum,
    /* No ratio: the calibrated guard at its own, unless surge_pay is 0. */
    .surge_ratio = c->surge_ratio > 0 ? c->surge_ratio
                   : pay > 0          ? CTL_SURGE_RATIO_AUTO : 0,
    .surge_factor = c->surge_factor,
    .surge_hold_steps = hold > 0 ? hold : 1,
    .surge_pay = pay};
}

/* The SLO feedback's settings: none without an objective. */
static struct ctl_slo_cfg slo_of(const struct cfg_target *c,
                                 const struct ctl_policy *p) {
  struct ctl_slo_cfg s = {0};
  if(!(c->slo_unserved > 0) && !(c->slo_cold_start > 0))
    return s;
  int lambda = cfg_target_lambda(c);
  s.kind = c->slo_cold_start > 0 ? CTL_SLO_COLD_START : CTL_SLO_UNSERVED;
  s.objective = c->slo_cold_start > 0 ? c->slo_cold_start : c->slo_unserved;
  s.window_steps = ctl_settings_steps(c->slo_window_ms, c->step_ms);
  if(s.window_steps < 4)
    s.window_steps = 4;
  s.quantile_min = c->slo_quantile_min > 0 ? c->slo_quantile_min
                                           : CTL_SLO_QUANTILE_MIN;
  s.quantile_max = c->slo_quantile_max > 0
                     ? c->slo_quantile_max
                     : lambda ? CTL_SLO_QUANTILE_MAX_LAMBDA
                              : CTL_SLO_QUANTILE_MAX_KUBERNETES;
  if(s.quantile_min > s.quantile_max)
    s.quantile_min = s.quantile_max;
  s.headroom_max = c->slo_headroom_max >= 0 ? c->slo_headroom_max
                                            : CTL_SLO_HEADROOM_MAX;
  if(s.headroom_max < p->headroom)
    s.headroom_max = p->headroom;
  s.unit = p->unit_capacity;
  s.k = p->duration_ms > 0 ? p->duration_ms / 1000.0 / p->step_s : 1.0;
  s.keepalive_steps = ctl_settings_steps(c->slo_keepalive_ms, c->step_ms);
  return s;
}

int ctl_settings_target(const struct cfg_target *c, int64_t start_ms,
                        double phase, struct ctl_target_cfg *tc,
                        struct ctl_schedule **sched) {
  memset(tc, 0, sizeof(*tc));
  *sched = pw_calloc(c->nschedules ? c->nschedules : 1, sizeof(**sched));
  if(!*sched)
    return PW_ENOMEM;
  for(size_t i = 0; i < c->nschedules; i++)
    (*sched)[i] = (struct ctl_schedule){c->schedules[i].start_ms,
                                        c->schedules[i].end_ms,
                                        c->schedules[i].min};
  tc->policy = policy_of(c);
  tc->policy.schedules = *sched;
  tc->policy.nschedules = (int)c->nschedules;
  tc->period = c->period;
  tc->model_auto = !c->model || strcmp(c->model, "auto") == 0;
  if(!tc->model_auto && fc_kind_parse(c->model, &tc->kind)) {
    pw_free(*sched);
    *sched = NULL;
    return PW_EINVAL;
  }
  tc->refit_steps = ctl_settings_steps(c->refit_ms, c->step_ms);
  if(tc->refit_steps < 1)
    tc->refit_steps = 1;
  int day = ctl_settings_steps(CTL_RESELECT_MS, c->step_ms);
  tc->reselect_steps = day > tc->refit_steps ? day : tc->refit_steps;
  tc->history_steps = ctl_settings_steps(c->history_ms, c->step_ms);
  if(tc->history_steps < CTL_MIN_HISTORY_STEPS)
    tc->history_steps = CTL_MIN_HISTORY_STEPS;
  tc->fit_seasons = CTL_FIT_SEASONS;
  tc->start_ms = start_ms;
  tc->lag_ms = ctl_settings_lag(c);
  tc->phase = phase;
  tc->slo = slo_of(c, &tc->policy);
  return 0;
}
