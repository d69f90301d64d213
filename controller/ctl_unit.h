/*
 * One target in the loop engine: its configuration, source, actuator,
 * model and feed, and what it last published for the HTTP handlers.
 *
 * A step is the whole of one tick for the target, in order:
 *
 *   feed (read what is new) -> model (update, refit on schedule)
 *   -> forecast -> decide -> actuate (when leading) -> record -> publish
 *
 * The daemon (ctl_daemon) and the capacity planner (ctl_replay) both run
 * targets through ctl_unit_step(); they differ only in the source and the
 * actuator they hand in (the planner's seam: a replayed CSV and the sim
 * platform model) and in the clock that says what time it is.
 *
 * Threads and locks: a unit belongs to one thread at a time while it
 * steps (the loop hands it to one worker; ctl_loop_* guarantees that).
 * Everything the HTTP handlers read is in `struct ctl_snap`, written only
 * at the end of a step under the unit's publish lock (held for a copy,
 * never across I/O or a fit); handlers read it under the same lock with
 * ctl_unit_snap_lock() / ctl_unit_snap_unlock().
 */
#ifndef CTL_UNIT_H
#define CTL_UNIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../actuators/act_actuator.h"
#include "../config/cfg.h"
#include "../telemetry/tel_source.h"
#include "ctl_feed.h"
#include "ctl_target.h"

/* What /ui draws: the last CTL_SNAP_HIST steps of load and decisions; the
 * outlook spans a quarter of that. */
#define CTL_SNAP_HIST 720
#define CTL_SNAP_OUTLOOK (CTL_SNAP_HIST / 4)

/* A target is stale when no sample newer than this many steps (after the
 * source's lag) has arrived; /readyz is 503 while any target is. */
#define CTL_STALE_STEPS 3

/* The result of an actuation, as counted in
 * prewarm_actuations_total{result}. */
enum ctl_act_result {
  CTL_ACT_OK,         /* the platform took the request */
  CTL_ACT_UNCHANGED,  /* nothing needed writing */
  CTL_ACT_REFUSED,    /* the platform or our limits refused it */
  CTL_ACT_ERROR,      /* it failed; the platform keeps what it had */
  CTL_ACT_STANDBY,    /* not the leader: decided, not acted on */
  CTL_ACT_PENDING,    /* deferred: an earlier change is still being
                       * applied (Lambda IN_PROGRESS, a 409) */
  CTL_ACT_RESULTS
};
extern const char *const ctl_act_result_names[CTL_ACT_RESULTS];

struct ctl_snap_point {
  int64_t ts_ms;
  long desired, ready;
  unsigned reasons;
};

/* What a target last published.  Guarded by the unit's publish lock. */
struct ctl_snap {
  int have;                 /* a step has completed */
  int64_t at_ms;            /* when (the loop's clock) */
  long desired;
  long requested, ready;    /* -1: unknown */
  unsigned reasons;         /* CTL_R(...) */
  double load;              /* the last observed load, NAN if none */
  double forecast_mean;     /* at the lead time; NAN without a forecast */
  double forecast_upper;    /* the policy's quantile there */
  double error_ratio;
  double fit_s;             /* the last fit's duration */
  double quantile, headroom;/* the setting in use (SLO feedback moves it) */
  double slo_objective;     /* NAN without an objective */
  double slo_miss;          /* the share missed over its window, or NAN */
  double warmup_s;          /* measured warm-up, NAN until measured */
  double lead_s;            /* the lead time in use */
  double surge_active;      /* 1, 0, or NAN without a calibrated guard */
  int64_t newest_ms;        /* the newest finite sample, -1 before any */
  int answered;             /* the source has answered once */
  int src_failing;          /* the last read failed (src_why says why) */
  enum ctl_act_result act_last;
  int act_stale;            /* requested/ready are the last values read:
                             * the platform could not be read now */
  char src_why[256], act_why[256];
  long by_reason[CTL_RB_COUNT];
  long acts[CTL_ACT_RESULTS];
  long src_failures, src_rejected;
  /* The forecast over the lead window, horizons 1..path_h. */
  int path_h;
  double *path_mean, *path_upper;  /* lead_steps each, owned */
  /* The recent load, oldest first, the first at load_start_ms. */
  size_t nload;
  int64_t load_start_ms, step_ms;
  double load_hist[CTL_SNAP_HIST];
  /* The outlook: mean, quantile and the capacity it asks for, from
   * outlook_start_ms, step by step; nout 0 while acting without a
   * forecast. */
  int64_t outlook_start_ms;
  size_t nout;
  double out_mean[CTL_SNAP_OUTLOOK], out_upper[CTL_SNAP_OUTLOOK];
  double out_cap[CTL_SNAP_OUTLOOK];
  /* The recent decisions: a ring of npoints, the newest at head - 1. */
  struct ctl_snap_point points[CTL_SNAP_HIST];
  size_t head, npoints;
};

struct ctl_unit {
  const struct cfg_target *c;  /* borrowed: lives as long as the unit */
  struct tel_source *src;      /* owned */
  struct act *act;             /* owned */
  struct ctl_target *t;        /* owned */
  struct ctl_feed feed;
  struct ctl_schedule *sched;  /* owned, the policy points into it */
  /* The step's own state (the stepping thread's). */
  struct ctl_decision dec;
  struct act_capacity cap;
  int act_rc, src_rc;
  int64_t at_ms;
  long fits_seen;              /* the target's fit count at the last step */
  double out_mean[CTL_SNAP_OUTLOOK], out_upper[CTL_SNAP_OUTLOOK];
  struct fc_path outlook;      /* scratch for the outlook */
  int want_outlook;            /* publish the outlook (/ui reads it; a
                                * replay has no reader) */
  int dry_run;                 /* the actuator only records: decisions
                                * carry the dry_run reason */
  /* The fence (sharding): asked right before the actuation, after the
   * read and the fit; 0 makes the step a standby.  NULL: none. */
  int (*fence)(void *ud, const struct ctl_unit *u);
  void *fence_ud;
  /* Scheduling: guarded by the loop's mutex. */
  int busy;                    /* a worker has it */
  int64_t due_ms;              /* the tick it was handed out for */
  long due_gen;
  atomic_long ticks_skipped;   /* ticks missed while its step still ran
                                * (the loop counts, handlers read) */
  /* Published. */
  pthread_mutex_t snap_mu;
  struct ctl_snap snap;
};

/*
 * Makes a unit for the target configured as c (borrowed), taking src and
 * act over (freed on failure too).  Its series starts at start_ms; the
 * feed's first read covers history_ms before now_ms.  phase spreads
 * refits (see ctl_settings_target()).  0, PW_ENOMEM, or PW_EINVAL with
 * err.
 */
int ctl_unit_new(const struct cfg_target *c, struct tel_source *src,
                 struct act *act, int64_t start_ms, int64_t history_ms,
                 int64_t now_ms, double phase, struct ctl_unit **out,
                 char *err, size_t errlen) PW_WUR;
void ctl_unit_free(struct ctl_unit **up);

/* What a step tells its caller beyond the snapshot. */
struct ctl_step {
  int fitted;                  /* a fit ran: kind and duration below */
  enum ctl_fit_kind fit_kind;
  double fit_s;
  const struct tel_samples *read;  /* what this step read (the feed's
                                    * buffer), for the store */
  int src_rc;                  /* the read's result */
  enum ctl_act_result result;  /* the actuation's */
};

/*
 * One step at now_ms (see the top of this file).  `lead`: act on the
 * platform, else only decide (a follower, or while stopping).
 * Returns 0, or the source's or actuator's error (logged at warn with
 * the upstream's reason, counted, and published).
 */
int ctl_unit_step(struct ctl_unit *u, int64_t now_ms, int lead,
                  struct ctl_step *out);


/* Whether the published state says stale at now_ms. */
int ctl_snap_stale(const struct ctl_snap *s, int64_t lag_ms, int64_t now_ms);

static inline const struct ctl_snap *ctl_unit_snap_lock(struct ctl_unit *u) {
  pthread_mutex_lock(&u->snap_mu);
  return &u->snap;
}
static inline void ctl_unit_snap_unlock(struct ctl_unit *u) {
  pthread_mutex_unlock(&u->snap_mu);
}

#endif
