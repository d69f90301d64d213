/*
 * The loop engine: steps a set of targets (struct ctl_unit) on a clock.
 *
 *   prewarm run   the wall clock (times `speed`), a tick every tick_ms,
 *                 steps spread over a small pool of worker threads;
 *   prewarm plan  a simulated clock, one step per trace row, stepped on
 *                 the calling thread (workers = 0), deterministic;
 *   run --replay  the daemon's targets on a simulated clock.
 *
 * Threads and locks.  The thread that calls ctl_loop_tick() (the loop
 * thread) only hands units to workers; it never reads, fits or acts, so
 * it cannot be held up by a slow source, actuator or store.  A unit is on
 * at most one worker at a time: a unit whose previous step still runs
 * when its next tick comes is skipped (and counted), so a hung source or
 * actuator delays only its own target.  The loop's mutex guards the
 * queue, the units' busy flags and the statistics below, and is held for
 * bookkeeping only.  HTTP handlers read the statistics with
 * ctl_loop_stats() (a copy under that mutex) and each unit's snapshot
 * under the unit's own publish lock (ctl_unit.h).
 */
#ifndef CTL_LOOP_H
#define CTL_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_unit.h"

/* A Prometheus histogram: cumulative bucket counts at the bounds le. */
#define CTL_HIST_MAX_LE 12
struct ctl_histogram {
  const double *le;
  size_t nle;
  long bucket[CTL_HIST_MAX_LE];
  long count;
  double sum_s;
};

struct ctl_loop_stats {
  long ticks;                /* ticks dispatched */
  long steps;                /* unit steps completed */
  long skipped;              /* unit steps skipped: the last still ran */
  double last_tick_mono_ms;  /* when the loop last dispatched, 0: never */
  double last_step_mono_ms;  /* when a step last completed, 0: never */
  long busy;                 /* units stepping now */
  struct ctl_histogram tick;           /* a tick's dispatch to its last
                                        * unit done */
  struct ctl_histogram fit[CTL_FIT_KINDS];
};

struct ctl_loop_hooks {
  /* Whether to act on the platform now (leader election, stopping);
   * NULL: always.  Called on the stepping thread. */
  int (*lead)(void *ud);
  /* After each unit's step, on the stepping thread: the decision log and
   * the store.  May do I/O (no handler waits on it); NULL: nothing. */
  void (*recorded)(void *ud, struct ctl_unit *u, int rc,
                   const struct ctl_step *st);
  void *ud;
};

struct ctl_loop;

/*
 * Makes a loop over units[0..n) (the array and the units are borrowed
 * and must outlive the loop).  workers 0 steps units on the thread that
 * calls ctl_loop_tick(); otherwise that many threads are started.  0,
 * PW_ENOMEM or PW_EIO (a thread could not start).
 */
int ctl_loop_new(struct ctl_unit *const *units, size_t n, unsigned workers,
                 const struct ctl_loop_hooks *hooks, struct ctl_loop **out)
  PW_WUR;

/* Waits for the steps in flight and frees the loop; NULL-safe. */
void ctl_loop_free(struct ctl_loop **lp);

/*
 * One tick at now_ms: every unit not still stepping is handed to a
 * worker (or stepped here with workers 0).  With wait, returns once they
 * are all done, with the number whose step failed; without, at once,
 * with 0.
 */
int ctl_loop_tick(struct ctl_loop *l, int64_t now_ms, int wait);

/* Whether u (one of the loop's) is stepping or queued now.  The caller
 * that ticks may then take a unit that is not out of units[] (set it to
 * NULL) before the next tick: a NULL unit is skipped. */
int ctl_loop_busy(struct ctl_loop *l, const struct ctl_unit *u);

/* Waits until no unit is stepping (a reload's adoption, exit). */
void ctl_loop_drain(struct ctl_loop *l);

/* A copy of the statistics (under the loop's mutex). */
void ctl_loop_stats(struct ctl_loop *l, struct ctl_loop_stats *out);

/* Carries a previous loop's statistics on (a reload). */
void ctl_loop_carry(struct ctl_loop *l, const struct ctl_loop_stats *st);

/* Histogram buckets as Prometheus wants them (used by /metrics). */
extern const char *const ctl_fit_kind_names[CTL_FIT_KINDS];

#endif
