/*
 * The daemon's internals, shared by ctl_daemon.c (building, reloading,
 * recording), ctl_metrics.c (/metrics) and ctl_api.c (/api, probes, the
 * routing of GET requests).  Not included outside controller/.
 *
 * Who owns what, and which lock guards it:
 * - cfg, units[], the loop, the store thread: made by the thread that
 *   builds the daemon, then read-only until it is freed.  A unit's step
 *   state belongs to the worker stepping it; what handlers read of a unit
 *   is its snapshot, under the unit's publish lock (ctl_unit.h).
 * - now_ms, the loop's clock, is an atomic the loop thread writes and
 *   handlers read (staleness is judged against it).
 * - dlog_mu guards the decision log (disk I/O); only workers take it.
 * - rec_mu guards the queue of rows for the store and the record side's
 *   counters, for memory copies only; workers, the store thread and
 *   handlers (the counters) take it.
 * - store_mu guards the store (and its network I/O); only the store
 *   thread, and ctl_daemon_flush() at exit, take it.
 * - mu guards the reload counters and wakes the store thread; handlers
 *   take it briefly.
 * - Sharding: units[i] is NULL while target i's shard is another
 *   replica's.  Only the loop thread (in ctl_daemon_tick()) puts a unit
 *   in or takes one out, under units_mu written (a pointer swap: the
 *   build, the store's history and the free happen outside it); handlers
 *   read under units_mu (ctl_daemon_get() takes it), the loop thread
 *   reads without it.  The shard counters are under mu.
 */
#ifndef CTL_DAEMON_INT_H
#define CTL_DAEMON_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "../common/pw_aws.h"
#include "ctl_daemon.h"
#include "ctl_dlog.h"
#include "ctl_loop.h"
#include "ctl_build.h"
#include "ctl_shard.h"
#include "ctl_store.h"
#include "ctl_unit.h"

/* One row waiting for the store: an observation (desired < 0) or a
 * decision. */
struct ctl_rec_row {
  char target[64];
  int64_t ts_ms;
  double load;
  long desired;
  char reasons[160];
  double fc_mean, fc_upper;
};

struct ctl_daemon {
  struct cfg *cfg;
  struct pw_aws *aws;
  int aws_borrowed;        /* the previous daemon's, until adopted */
  /* A reload's targets taken over from the previous daemon: carry[i] is
   * 1 + the index there, or 0 for a target built anew; NULL when none. */
  size_t *carry;
  struct tel_rw *rw;       /* borrowed */
  int uses_rw;
  int dry_run;
  int64_t started_ms;
  struct ctl_unit **units;
  size_t n;
  struct ctl_loop *loop;
  unsigned workers;
  _Atomic int64_t now_ms;  /* the loop's clock at its last tick */
  struct ctl_lease *lease;   /* borrowed, or NULL */
  const atomic_int *stop;  /* borrowed, or NULL */

  pthread_mutex_t mu;      /* guards the reload counters and the store
                            * thread's wake-up (store_cv, _kick, _quit) */
  long reloads_ok, reloads_refused;

  pthread_mutex_t dlog_mu; /* guards the decision log (disk I/O: no
                            * handler takes it) */
  struct ctl_dlog *dlog;   /* or NULL */
  pthread_mutex_t rec_mu;  /* guards the row queue and the counters below;
                            * held for memory only */
  int dlog_failing;        /* to log a failure streak once */
  long dlog_errors;
  char dlog_why[160];      /* the last write error's text */
  struct ctl_rec_row *rows;  /* a ring of max_rows */
  size_t rows_head, rows_n, max_rows;
  long rows_dropped;       /* the queue was full: the oldest went */

  pthread_mutex_t store_mu;
  pthread_cond_t store_cv;
  struct ctl_store *store;   /* or NULL */
  struct ctl_rec_row *batch; /* the store thread's scratch */
  pthread_t store_thread;
  int store_running, store_quit, store_kick;
  long store_failures;
  struct ctl_store_stats store_stats;  /* under rec_mu: the last write's */

  /* Sharding (cfg->shards > 0), else all NULL / 0. */
  pthread_rwlock_t units_mu;
  struct ctl_shard *shards;  /* owned; a reload's adoption moves it */
  long *shard_of;            /* per target, cfg_shard_of() */
  long *shard_units;         /* per shard, units built (loop thread) */
  char *shard_held;          /* per shard, the loop thread's scratch */
  unsigned char *shard_warned;  /* per target: a failed build was logged */
  struct ctl_build_env benv; /* what a takeover's builds share */
  int replay;
  long shard_builds, shard_build_failures, shard_history_loads,
       shard_frees;          /* under mu */
  double shard_rebuild_s;    /* under mu: building units on takeovers */
};

/* With sharding: prewarm_shard_* families into b (ctl_daemon.c).  0 or
 * PW_ENOMEM / PW_ETOOBIG. */
int ctl_daemon_shard_metrics(struct ctl_daemon *d, struct pw_buf *b) PW_WUR;

/* /api/v1/shards: this replica's shards, their targets, and every
 * shard's holder (where to find the others).  An HTTP status. */
unsigned ctl_daemon_shards_json(struct ctl_daemon *d, struct pw_buf *b);

/* /metrics into b (ctl_metrics.c).  0 or PW_ENOMEM / PW_ETOOBIG. */
int ctl_metrics_render(struct ctl_daemon *d, struct pw_buf *b) PW_WUR;

/* 1 when this replica acts (no lease, or the lease is held). */
int ctl_daemon_leading(struct ctl_daemon *d);


#endif
