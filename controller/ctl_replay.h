/*
 * Replay: runs a load trace through the loop engine (ctl_loop, the same
 * step the daemon runs: feed, model, forecast, decide, actuate) on a
 * simulated clock.  The seam where a replay differs from the daemon is
 * here and only here: the source is the trace (a csv source from
 * start_ms, the epoch unless told), the actuator is the sim platform model, and the steps run on
 * the calling thread.  Also the baseline policies `prewarm plan`
 * compares it with.
 */
#ifndef CTL_REPLAY_H
#define CTL_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "../actuators/act_sim.h"
#include "../config/cfg.h"
#include "ctl_baseline.h"
#include "ctl_target.h"

struct ctl_replay {
  /* In. */
  const double *load;       /* n steps, NAN where missing */
  size_t n;
  int64_t start_ms;         /* the time of load[0]: 0 for a trace, the
                             * real time for a configured target's history
                             * (its schedules are absolute times) */
  const struct cfg_target *target;  /* the settings, as configured
                                     * (ctl_settings_target()); borrowed */
  int warmup_steps;         /* of the sim actuator */
  const int *warmup_seq;    /* a warm-up that varies (act_sim_new_seq()),
                             * or NULL; borrowed */
  size_t nwarmup_seq;
  void (*progress)(void *arg, size_t done, size_t total);
  void *progress_arg;
  /* Out: arrays of n the caller frees with ctl_replay_cleanup(). */
  double *desired;          /* what the predictive policy requested */
  double *quantile;         /* the forecast quantile at the lead time
                             * (load units), NAN when not forecasting */
  unsigned *reasons;
  double *q_used, *h_used;  /* the quantile and headroom each step was
                             * decided with (SLO feedback moves them) */
  int period, period2;      /* the periods in use at the end */
  enum fc_kind kind;        /* the model in use at the end */
  int have_model;
  struct ctl_target_stats stats;
  double elapsed_ms;
};

/* Runs the replay.  0, PW_EINVAL (err says why) or PW_ENOMEM. */
int ctl_replay_run(struct ctl_replay *r, char *err, size_t errlen) PW_WUR;
void ctl_replay_cleanup(struct ctl_replay *r);

#endif
