#include "ctl_policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const reason_names[CTL_RB_COUNT] = {
#define CTL_XX_(name, str) str,
  CTL_REASON_MAP(CTL_XX_)
#undef CTL_XX_
};

/* Rounds capacity up, forgiving floating-point dust: 2.0000000001 is 2. */
static long ceil_instances(double x) {
  if(!(x > 1e-9))
    return 0;
  double c = ceil(x - 1e-9);
  return c > 1e15 ? (long)1e15 : (long)c;
}

int ctl_policy_check(const struct ctl_policy *p, char *err, size_t errlen) {
  const char *what = NULL;
  if(!(p->unit_capacity > 0) || !isfinite(p->unit_capacity))
    what = "unit capacity must be a positive number";
  else if(!(p->step_s > 0))
    what = "step must be positive";
  else if(!(p->duration_ms >= 0) || !isfinite(p->duration_ms))
    what = "duration must be zero or positive";
  else if(p->lead_steps < 1)
    what = "lead time must be at least one step";
  else if(!(p->quantile > 0 && p->quantile < 1))
    what = "quantile must be strictly between 0 and 1";
  else if(!(p->headroom >= 0 && p->headroom <= 10))
    what = "headroom must be from 0 to 10";
  else if(!(p->floor_utilization >= 0 && p->floor_utilization <= 1))
    what = "floor utilization must be 0 (off) or in (0, 1]";
  else if(!(p->fallback_utilization >= 0 && p->fallback_utilization <= 1))
    what = "fallback utilization must be 0 (off) or in (0, 1]";
  else if(p->min < 0 || p->max < p->min)
    what = "bounds must satisfy 0 <= min <= max";
  else if(!(p->budget_instance_hours >= 0))
    what = "budget must be zero (none) or positive";
  else if(p->stabilization_steps < 0)
    what = "stabilization window must not be negative";
  else if(!(p->max_step_down >= 0 && p->max_step_down <= 1))
    what = "max step down must be a fraction from 0 to 1";
  else if(!(p->max_error_ratio > 0))
    what = "max error ratio must be positive";
  else if(!(p->momentum >= 0 && p->momentum <= 10))
    what = "momentum must be from 0 to 10";
  else if(!(p->surge_ratio >= 0 && p->surge_ratio <= 100) ||
          (p->surge_ratio > 0 && p->surge_ratio <= 1))
    what = "surge ratio must be 0 (off), or above 1 and at most 100";
  else if(p->surge_ratio > 0 &&
          !(p->surge_factor >= 1 && p->surge_factor <= 100))
    what = "surge factor must be from 1 to 100";
  else if(p->surge_ratio > 0 && p->surge_hold_steps < 1)
    what = "surge hold must be at least one step";
  else if(!(p->surge_pay >= 0 && p->surge_pay <= 100))
    what = "surge pay must be from 0 to 100";
  if(what) {
    snprintf(err, errlen, "%s", what);
    return PW_EINVAL;
  }
  return 0;
}

double ctl_policy_instances(const struct ctl_policy *p, double load) {
  double k = p->duration_ms > 0 ? p->duration_ms / 1000.0 / p->step_s : 1.0;
  return load * k / p->unit_capacity;
}

long ctl_policy_forecast_capacity(const struct ctl_policy *p, double load) {
  return ceil_instances(ctl_policy_instances(p, load) * (1 + p->headroom));
}

/* The forecast part: the highest quantile over the lead window. */
static long predictive(const struct ctl_policy *p, const struct fc_path *path,
                       double *predicted) {
  double top = 0;
  for(int k = 0; k < p->lead_steps; k++) {
    double q = path->q[k * path->nq];
    if(isfinite(q) && q > top)
      top = q;
  }
  *predicted = top;
  return ctl_policy_forecast_capacity(p, top);
}

double ctl_surge_step(const struct ctl_policy *p, struct ctl_surge *sg,
                      double load, double before) {
  if(!(p->surge_ratio > 0))
    return 0;
  if(sg->left > 0)
    sg->left--;
  if(isfinite(load)) {
    /* A rise from nothing is a start, not a surge. */
    if(isfinite(before) && before > 0 && load > p->surge_ratio * before) {
      if(sg->left == 0) {
        sg->base = before;
        sg->peak = load;
      }
      sg->left = p->surge_hold_steps;
    }
    if(sg->left > 0 && load > sg->peak)
      sg->peak = load;
  }
  if(sg->left == 0)
    return 0;
  return sg->base + p->surge_factor * (sg->peak - sg->base);
}

void ctl_surge_account(const struct ctl_policy *p, struct ctl_surge *sg,
                       double load, long ready_with, long ready_without,
                       long added) {
  if(added > 0)
    sg->spend += (double)added;
  if(!isfinite(load))
    return;
  sg->steps++;
  double need = ctl_policy_instances(p, load);
  /* One more instance at every step would have served this much. */
  if(need > (double)ready_without)
    sg->margin_gain += fmin(1.0, need - (double)ready_without);
  /* What the guard's extra capacity would have served. */
  if(ready_with > ready_without && need > (double)ready_without)
    sg->gain += fmin(need, (double)ready_with) - (double)ready_without;
}

int ctl_surge_pays(const struct ctl_policy *p, const struct ctl_surge *sg) {
  if(!(p->surge_pay > 0))
    return 1;
  /* Its gain per instance-step against one instance more everywhere. */
  return sg->gain > 0 &&
         sg->gain * sg->steps >= p->surge_pay * sg->margin_gain * sg->spend;
}

/* Scheduled floors active now (from one lead time before their start). */
static long scheduled(const struct ctl_policy *p, int64_t now_ms) {
  int64_t lead_ms = (int64_t)(p->lead_steps * p->step_s * 1000);
  long floor = 0;
  for(int i = 0; i < p->nschedules; i++) {
    const struct ctl_schedule *e = &p->schedules[i];
    if(now_ms >= e->start_ms - lead_ms && now_ms < e->end_ms &&
       e->min_instances > floor)
      floor = e->min_instances;
  }
  return floor;
}

/* The reactive floor: the current load, extended by the momentum of a
 * rise, at the floor's utilisation. */
static long floor_of(const struct ctl_policy *p,
                     const struct ctl_target_state *s) {
  if(!(p->floor_utilization > 0))
    return 0;
  if(!isfinite(s->current_load))
    return s->current > 0 ? s->current : 0;
  double load = s->current_load;
  if(p->momentum > 0 && isfinite(s->lag_load) && load > s->lag_load) {
    /* A step (a promotion switched on) is not a ramp: the extension is
     * capped at half the current load. */
    double ext = p->momentum * (load - s->lag_load);
    load += fmin(ext, 0.5 * s->current_load);
  }
  return ceil_instances(ctl_policy_instances(p, load) /
                        p->floor_utilization);
}

/* The forecast above the floor, or without a usable forecast what a
 * reactive scaler would ask. */
static long base_of(const struct ctl_policy *p,
                    const struct ctl_target_state *s,
                    const struct fc_path *path, struct ctl_decision *out,
                    unsigned *why) {
  int usable = s->forecast_ok && path && path->h >= p->lead_steps &&
               path->nq >= 1 && !(s->error_ratio > p->max_error_ratio);
  long rec;
  if(usable) {
    out->predictive = predictive(p, path, &out->predicted);
    *why |= out->predictive >= out->floor ? CTL_R(PREDICTIVE)
                                          : CTL_R(REACTIVE_FLOOR);
    return out->predictive >= out->floor ? out->predictive : out->floor;
  }
  /* Act as a reactive scaler would, and say so. */
  if(!(p->fallback_utilization > 0))
    rec = 0;
  else if(isfinite(s->current_load))
    rec = ceil_instances(ctl_policy_instances(p, s->current_load) /
                         p->fallback_utilization);
  else
    rec = out->floor;
  *why |= CTL_R(FALLBACK);
  return rec < out->floor ? out->floor : rec;
}

/* The surge guard, the budget and the scheduled floors on top. */
static long extras(const struct ctl_policy *p,
                   const struct ctl_target_state *s, long rec, long floor,
                   int guard, unsigned *why) {
  if(guard && p->surge_ratio > 0 && s->surge_load > 0) {
    long surge = ceil_instances(ctl_policy_instances(p, s->surge_load));
    if(surge > rec) {
      rec = surge;
      *why |= CTL_R(SURGE);
    }
  }
  if(p->budget_instance_hours > 0 &&
     s->spent_s >= p->budget_instance_hours * 3600 && rec > floor) {
    rec = floor;
    *why |= CTL_R(BUDGET);
  }
  long sched = scheduled(p, s->now_ms);
  if(sched > rec) {
    rec = sched;
    *why |= CTL_R(SCHEDULED);
  }
  return rec;
}

/* From the recommendation to the request: stale data, stabilisation, the
 * step limit and the bounds. */
static long limits(const struct ctl_policy *p,
                   const struct ctl_target_state *s, long desired,
                   unsigned *why) {
  if(s->stale && s->current > desired) {
    /* Old data is no reason to give capacity back. */
    desired = s->current;
    *why |= CTL_R(STALE);
  }
  for(int i = 0; i < s->nrecent; i++) {
    if(s->recent[i] > desired) {
      desired = s->recent[i];
      *why |= CTL_R(STABILIZED);
    }
  }
  if(p->max_step_down > 0 && s->current > desired) {
    long lo = s->current - ceil_instances((double)s->current * p->max_step_down);
    if(lo > desired) {
      desired = lo;
      *why |= CTL_R(STEP_LIMIT);
    }
  }
  if(desired < p->min) {
    desired = p->min;
    *why |= CTL_R(MIN);
  }
  if(desired > p->max) {
    desired = p->max;
    *why |= CTL_R(MAX);
  }
  return desired;
}

void ctl_policy_decide(const struct ctl_policy *p,
                       const struct ctl_target_state *s,
                       const struct fc_path *path, struct ctl_decision *out) {
  unsigned why = 0;
  memset(out, 0, sizeof(*out));
  out->predictive = -1;
  out->predicted = (double)NAN;
  out->floor = floor_of(p, s);
  long rec = base_of(p, s, path, out, &why);
  unsigned ignored = 0;
  out->unsurged = extras(p, s, rec, out->floor, 0, &ignored);
  out->recommendation = extras(p, s, rec, out->floor, 1, &why);
  out->desired = limits(p, s, out->recommendation, &why);
  out->reasons = why;
}

void ctl_reasons_format(unsigned reasons, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = '\0';
  for(int i = 0; i < CTL_RB_COUNT; i++) {
    if(!(reasons & (1u << i)))
      continue;
    int w = snprintf(buf + n, len - n, "%s%s", n ? "," : "", reason_names[i]);
    if(w < 0 || (size_t)w >= len - n)
      break;
    n += (size_t)w;
  }
}
