/*
 * The scaling policy: a pure function from what a target knows now to the
 * capacity it should request.  Same inputs, same decision; no I/O, no
 * clock, no allocation.
 *
 * Units: load is what the signal measures per step (requests or
 * invocations per step).  instances(x) = x * k / unit_capacity, where k is
 * 1, or duration_ms / 1000 / step_s for a Lambda function whose signal is
 * invocations and whose unit is concurrent executions (Little's law).
 */
#ifndef CTL_POLICY_H
#define CTL_POLICY_H

#include <stdint.h>

#include "../common/pw_err.h"
#include "../forecast/fc_model.h"

/* Why a decision is what it is; a decision carries a set of these. */
#define CTL_REASON_MAP(XX)                 \
  XX(PREDICTIVE, "predictive")             \
  XX(REACTIVE_FLOOR, "reactive_floor")     \
  XX(MIN, "min")                           \
  XX(MAX, "max")                           \
  XX(BUDGET, "budget")                     \
  XX(STABILIZED, "stabilized")             \
  XX(STEP_LIMIT, "step_limit")             \
  XX(FALLBACK, "fallback")                 \
  XX(SCHEDULED, "scheduled")               \
  XX(STALE, "stale")                       \
  XX(DRY_RUN, "dry_run")                   \
  XX(PLATFORM_LIMIT, "platform_limit")     \
  XX(REFUSED, "refused")                   \
  XX(SURGE, "surge")                       \
  XX(SLO, "slo")

enum ctl_reason_bit {
#define CTL_XX_(name, str) CTL_RB_##name,
  CTL_REASON_MAP(CTL_XX_)
#undef CTL_XX_
  CTL_RB_COUNT
};

#define CTL_R(name) (1u << CTL_RB_##name)

/* A known event: at least min_instances from start_ms (warm by then) to
 * end_ms. */
struct ctl_schedule {
  int64_t start_ms, end_ms;
  long min_instances;
};

struct ctl_policy {
  double unit_capacity;        /* load one instance serves, > 0 */
  double duration_ms;          /* > 0: Lambda (Little's law), else 0 */
  double step_s;               /* seconds per load sample, > 0 */
  int lead_steps;              /* forecast horizons 1..lead_steps are
                                * covered by each decision, >= 1 */
  double quantile;             /* the forecast quantile provisioned, (0,1) */
  double headroom;             /* extra fraction on the forecast, >= 0 */
  double floor_utilization;    /* reactive floor: current load at this
                                * utilisation, (0, 1]; 0 = no floor */
  double fallback_utilization; /* utilisation when acting reactively,
                                * (0, 1]; 0 = request nothing beyond min
                                * (for a platform that scales on demand by
                                * itself, as Lambda does) */
  long min, max;               /* bounds, 0 <= min <= max */
  double budget_instance_hours;/* per trailing day, 0 = none: past it,
                                * nothing is added above the floors */
  int stabilization_steps;     /* scale down to the highest recommendation
                                * of this many past steps (HPA) */
  double max_step_down;        /* scale down by at most this fraction of
                                * the current capacity a step; 0 = any */
  double max_error_ratio;      /* fall back when the recent forecast error
                                * exceeds this multiple of persistence's */
  double momentum;             /* the reactive floor extends the rise of the
                                * last lead_steps over the next ones by
                                * this factor (0 = off): a ramp in progress
                                * is met before the forecast catches up;
                                * at most half the current load is added */
  /* The surge guard (off when surge_ratio is 0): a load above
   * surge_ratio times the highest of the CTL_SURGE_LOOKBACK steps before
   * it (the base) starts a surge, and for surge_hold_steps from its last
   * such rise the capacity serves at least the base plus surge_factor
   * times the rise to the surge's peak.  Flash crowds grow faster than a
   * warm-up and come in clusters; this spends on them only while one is
   * under way. */
  double surge_ratio;          /* > 1, or 0 = off */
  double surge_factor;         /* >= 1 */
  int surge_hold_steps;        /* >= 1 when on */
  /* The calibrated guard (surge_pay > 0): the guard runs in the shadow
   * all the time and acts only while, over the history so far, the load
   * it would have served beyond what was ready without it (in instance-
   * steps) is at least surge_pay times the instance-steps it would have
   * added.  Where flash crowds cluster it pays for itself; on counts whose
   * noise alone crosses the ratio it does not, and stays off.  0: the
   * guard acts on every surge. */
  double surge_pay;            /* >= 0 */
  const struct ctl_schedule *schedules;
  int nschedules;
};

#define CTL_SURGE_LOOKBACK 8

/* A surge under way (left 0: none).  The target keeps it. */
struct ctl_surge {
  double base, peak;           /* the load before it, its highest */
  int left;                    /* steps the guard still holds */
  /* The calibration (see surge_pay), over the history, in instance-
   * steps: load the guard served beyond the capacity without it, what it
   * added, and what one instance more at every step would have served
   * over `steps` steps. */
  double gain, spend, margin_gain, steps;
};

/* What the target knows at decision time. */
struct ctl_target_state {
  int64_t now_ms;
  double current_load;   /* the last observed load, NAN if none */
  double lag_load;       /* the load lead_steps steps earlier, NAN if none */
  long current;          /* capacity requested now, -1 if unknown */
  int forecast_ok;       /* a model fitted on at least two seasons */
  double error_ratio;    /* recent forecast error / persistence error at the
                          * lead time; NAN when not yet measured */
  int stale;             /* the data is too old to trust */
  double spent_s;        /* instance-seconds spent over the trailing day */
  const long *recent;    /* recommendations of the last nrecent steps */
  int nrecent;
  double surge_load;     /* what the surge guard provisions for, or 0 */
};

struct ctl_decision {
  long desired;          /* the capacity to request */
  long recommendation;   /* before stabilisation and step limits: what
                          * later decisions stabilise over */
  long predictive;       /* the forecast part, -1 when not used */
  long floor;            /* the reactive floor */
  long unsurged;         /* the recommendation without the surge guard */
  double predicted;      /* the highest forecast quantile over the lead
                          * window, in load units (NAN when not used) */
  unsigned reasons;      /* CTL_R(...) bits */
};

/* Checks a policy; 0 or PW_EINVAL with a message in err. */
int ctl_policy_check(const struct ctl_policy *p, char *err, size_t errlen)
  PW_WUR;

/* Instances that serve `load` (not rounded). */
double ctl_policy_instances(const struct ctl_policy *p, double load);

/* The capacity a forecast of `load` asks for: its instances with the
 * headroom, rounded up (before any floor, limit or bound). */
long ctl_policy_forecast_capacity(const struct ctl_policy *p, double load);

/*
 * Decides.  path holds forecasts for horizons 1..path->h (h >=
 * p->lead_steps) with the policy's quantile as quantile 0, or is NULL.
 * Never fails: without a usable forecast it acts reactively and says so.
 */
void ctl_policy_decide(const struct ctl_policy *p,
                       const struct ctl_target_state *s,
                       const struct fc_path *path, struct ctl_decision *out);

/*
 * Advances the surge guard by one step: load is the step's load, before
 * the highest load of the CTL_SURGE_LOOKBACK steps before it (NAN when
 * unknown).  Returns the load the decision is to serve (the state's
 * surge_load): 0 when no surge is under way.  The caller keeps *sg.
 */
double ctl_surge_step(const struct ctl_policy *p, struct ctl_surge *sg,
                      double load, double before);

/*
 * The calibrated guard's bookkeeping for one step, pure: load is the
 * step's load, ready_with and ready_without the capacity ready for it
 * with the guard acting and without it (in the platform model, the
 * lowest request of the last lead_steps), and added the instances the
 * guard adds to this step's request.  Accumulates sg->gain and sg->spend.
 */
void ctl_surge_account(const struct ctl_policy *p, struct ctl_surge *sg,
                       double load, long ready_with, long ready_without,
                       long added);

/* Whether the guard acts: always when p->surge_pay is 0, else once it has
 * added something and its gain is at least surge_pay times its spend. */
int ctl_surge_pays(const struct ctl_policy *p, const struct ctl_surge *sg);

/* Writes the reason names, comma-separated, into buf. */
void ctl_reasons_format(unsigned reasons, char *buf, size_t len);

#endif
