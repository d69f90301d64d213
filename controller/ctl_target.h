/*
 * A target: one scaled thing (a Deployment, a Lambda alias) with its
 * history, its model and its policy.  One tick:
 *
 *   observe new samples -> update the model (O(1) a step)
 *   -> refit on schedule (hourly, and early when the error drifts), choose
 *      the period and the model again daily -> forecast -> decide
 *   -> actuate -> remember what was decided.
 *
 * The same code runs in the daemon and in `prewarm plan`; only the clock,
 * the source and the actuator differ.  Everything it needs per tick is
 * allocated when the target is made.
 *
 * Threading: a target belongs to one thread at a time.
 */
#ifndef CTL_TARGET_H
#define CTL_TARGET_H

#include <stdint.h>

#include "../actuators/act_actuator.h"
#include "../forecast/fc_model.h"
#include "../forecast/fc_series.h"
#include "ctl_policy.h"
#include "ctl_slo.h"

struct ctl_target_cfg {
  struct ctl_policy policy;
  int period, period2;     /* in steps; 0 = detect from the history */
  int model_auto;          /* choose among the models, else `kind` */
  enum fc_kind kind;
  double clip_k;           /* robust fitting, 0 = off */
  int refit_steps;         /* warm refit every this many steps, >= 1 */
  int reselect_steps;      /* detect the period and choose the model again
                            * every this many steps, >= refit_steps */
  int history_steps;       /* steps kept; fits use the last fit_seasons */
  int fit_seasons;         /* seasons of the longest period in a fit */
  int64_t start_ms;        /* start of the first step */
  int64_t lag_ms;          /* how far behind now a step is final: the
                            * data is stale only past that */
  double phase;            /* in [0, 1): how far into their schedules the
                            * refits and reselects start, so that many
                            * targets do not all refit on one tick; 0 for
                            * a replay */
  struct ctl_slo_cfg slo;  /* kind CTL_SLO_NONE: no objective */
};

/* Counters and the last decision, for logs, metrics and reports. */
/* What the last fit was: a model chosen afresh, a full fit of the model
 * in use, or the hourly refit from its last parameters. */
enum ctl_fit_kind { CTL_FIT_SELECT, CTL_FIT_FULL, CTL_FIT_REFIT,
                    CTL_FIT_KINDS };

struct ctl_target_stats {
  long ticks, refits, fit_failures, fallbacks;
  long rejected;           /* forecasts rejected as implausible */
  long fits;               /* fits run, failed ones included */
  enum ctl_fit_kind fit_kind_last;
  double fit_ms_last, fit_ms_total;
  double error_ratio;      /* NAN until measured */
  double forecast_at_lead; /* mean forecast at the lead time (load units) */
  double quantile_at_lead; /* the policy quantile there */
  /* SLO feedback (NAN / 0 without an objective). */
  double slo_measured;     /* the share missed over the window */
  double quantile, headroom; /* the setting in use now */
  long slo_moves_up, slo_moves_down;
  /* Measured warm-up: a high percentile of the times from a rise asked
   * for to its capacity seen ready (NAN until CTL_WARMUP_MIN_SAMPLES),
   * and the lead time in use. */
  double warmup_measured_s;
  long warmup_samples;
  int lead_steps;
  /* The calibrated surge guard: 1 while it has paid and acts on a
   * surge, 0 while it only runs in the shadow; -1 without one. */
  int surge_active;
};

/* Measured warm-up: the last CTL_WARMUP_SAMPLES rises are kept, and from
 * CTL_WARMUP_MIN_SAMPLES on, their CTL_WARMUP_PERCENTILE (plus the tick
 * that asks) is the lead time, never above the configured warm-up's.  A
 * platform that reports capacity ready at once (the dry run) gives no
 * sample: only a rise seen pending is timed. */
#define CTL_WARMUP_SAMPLES 32
#define CTL_WARMUP_MIN_SAMPLES 5
#define CTL_WARMUP_PERCENTILE 0.9

struct ctl_target;

/* Makes a target; 0, PW_EINVAL (err says why) or PW_ENOMEM.  Free it with
 * ctl_target_free(). */
int ctl_target_new(const struct ctl_target_cfg *cfg, struct ctl_target **out,
                   char *err, size_t errlen) PW_WUR;
void ctl_target_free(struct ctl_target **tp);

/* Feeds samples stamped ts_ms[i] (any order of arrival is handled as
 * fc_series_put() does).  O(1) a step. */
void ctl_target_observe(struct ctl_target *t, const int64_t *ts_ms,
                        const double *v, size_t n);

/*
 * Decides at now_ms and, when act is not NULL, requests the decision.
 * On an actuator error the decision stands, *cap says what the platform
 * kept (requested = -1 when unknown) and the error is returned; the
 * target's idea of its current capacity is not changed by a failed set.
 */
int ctl_target_tick(struct ctl_target *t, int64_t now_ms, struct act *act,
                    struct ctl_decision *dec, struct act_capacity *cap);

/*
 * The actuation half of ctl_target_tick(): requests dec->desired, adds
 * the actuator's platform_limit / refused reasons to dec, and on success
 * takes what the platform now has as the target's current capacity.  The
 * daemon calls it outside its lock, as it may wait on the network; it
 * touches only the target's current capacity.
 */
int ctl_target_actuate(struct ctl_target *t, struct act *act,
                       struct ctl_decision *dec, struct act_capacity *cap)
  PW_WUR;

/* The capacity last requested successfully, -1 before any. */
long ctl_target_current(const struct ctl_target *t);

/* Frees the calling thread's fit scratch buffer (a thread that ticked
 * targets calls it before it ends). */
void ctl_target_scratch_free(void);

/* Read-only views. */
const struct ctl_target_stats *ctl_target_stats(const struct ctl_target *t);
const struct fc_model *ctl_target_model(const struct ctl_target *t);
const struct ctl_policy *ctl_target_policy(const struct ctl_target *t);
/* The last forecast (horizons 1..lead), meaningful when the last tick's
 * decision was not a fallback. */
const struct fc_path *ctl_target_path(const struct ctl_target *t);
const struct fc_series *ctl_target_series(const struct ctl_target *t);
int ctl_target_period(const struct ctl_target *t, int *period2);

#endif
