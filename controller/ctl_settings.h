/*
 * A target's loop settings from its configuration: the one place where a
 * configured target becomes the policy, model and schedule settings the
 * loop runs with.  The daemon, `prewarm plan` (which states its flags as a
 * struct cfg_target), the tests and the benchmarks all go through it, so
 * no default is restated anywhere else.
 */
#ifndef CTL_SETTINGS_H
#define CTL_SETTINGS_H

#include <stdint.h>

#include "../config/cfg.h"
#include "ctl_target.h"

/*
 * The defaults and fixed constants, each with the evidence behind it.
 */

/* The forecast quantile provisioned when the configuration names none.
 * A cold start hits a user's request, and a sparse function's forecast at
 * 0.95 often rounds down to no environment at all, so Lambda provisions
 * at 0.99 (Azure 2019 trace: the 75th-percentile cold-start fraction
 * 0.148 at 0.95, 0.090 at 0.99, for 6% more instance-seconds). */
#define CTL_QUANTILE_KUBERNETES 0.95
#define CTL_QUANTILE_LAMBDA 0.99

/* The utilisation a fallback decision (no usable forecast) provisions
 * for: the HPA's customary target. */
#define CTL_FALLBACK_UTILIZATION 0.7

/* Fall back when the forecast's recent error at the lead time exceeds
 * this multiple of persistence's.  On Lambda a fallback provisions
 * nothing, and an intermittent function's smeared forecast piles up small
 * errors where persistence's zeros have none, so only a model four times
 * worse is dropped (Azure 2019: 75th-percentile cold-start fraction 0.096
 * at 2, 0.069 at 4, for 0.4% more instance-seconds). */
#define CTL_MAX_ERROR_RATIO_KUBERNETES 2.0
#define CTL_MAX_ERROR_RATIO_LAMBDA 4.0

/* The fewest steps of history a target keeps, whatever forecast.history
 * says: the period detector and the error tracker need this many. */
#define CTL_MIN_HISTORY_STEPS 64

/* Seasons of the longest period in one fit: a week of a daily cycle,
 * enough for the seasonal indices and short enough to follow a change. */
#define CTL_FIT_SEASONS 7

/* The period and the model are chosen again once a day (or at every
 * refit, when refits are rarer). */
#define CTL_RESELECT_MS 86400000

/* SLO feedback's bounds when the configuration names none: the quantile
 * moves from the median (a forecast that meets the objective at its
 * median needs no more) to 0.995 on Kubernetes and 0.999 on Lambda (the
 * highest a model's tail calibration supports), then headroom up to 50%
 * (beyond that the forecast is not what is wrong). */
#define CTL_SLO_QUANTILE_MIN 0.5
#define CTL_SLO_QUANTILE_MAX_KUBERNETES 0.995
#define CTL_SLO_QUANTILE_MAX_LAMBDA 0.999
#define CTL_SLO_HEADROOM_MAX 0.5

/* The surge guard when the configuration names neither its ratio nor
 * surge_pay: it calibrates itself (CTL_SURGE_PAY) at a rise to 1.5x the
 * highest of the 8 steps before, and the calibration decides where it
 * acts.  Measured in its shadow over the whole of each benchmark trace,
 * the load it serves per instance-step it adds, divided by what one
 * instance more at every step serves, is 1.14 on World Cup (flash crowds
 * in clusters) and 0 to 0.2 elsewhere (NAB AMZN 0.15, GOOG 0.19, FB 0.16,
 * ELB 0.14, nyc_taxi 0, the made flash crowds 0.20, level shifts and
 * holidays 0): 0.5 lies between.  On World Cup it then acts from day 11
 * on: unserved at equal cost 0.47 -> 0.40 of the reactive frontier's.
 * Not on Lambda, where only the forecast provisions by default (see
 * ctl_settings_target()). */
#define CTL_SURGE_RATIO_AUTO 1.5
#define CTL_SURGE_PAY 0.5

/* How far behind now a step of c's signal is final: its configured lag,
 * else one step for remote-write (pushes arrive a few seconds late), the
 * settling time for CloudWatch (TEL_CW_SETTLE_MS), else 0. */
int64_t ctl_settings_lag(const struct cfg_target *c);

/* Steps covering ms, rounded up. */
int ctl_settings_steps(int64_t ms, int64_t step_ms);

/* The quantile c provisions: its own, or its platform's default. */
double ctl_settings_quantile(const struct cfg_target *c);

/*
 * Fills *tc for the target configured as c, whose series starts at
 * start_ms.  phase in [0, 1) spreads refits of many targets over the
 * refit interval (0 for one target or a replay).  The schedules are
 * allocated into *sched (the caller frees it with pw_free() after the
 * target is gone: tc->policy.schedules points into it).  Platform rules:
 * on Lambda only the forecast provisions (no reactive floor, no
 * fallback), since Lambda scales on demand by itself and provisioned
 * concurrency that follows current load only takes that traffic from
 * warm on-demand environments.  0, PW_ENOMEM, or PW_EINVAL for a model
 * name that does not parse (config/ has checked it).
 */
int ctl_settings_target(const struct cfg_target *c, int64_t start_ms,
                        double phase, struct ctl_target_cfg *tc,
                        struct ctl_schedule **sched) PW_WUR;

#endif
