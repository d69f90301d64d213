/*
 * The daemon: every configured target as a loop unit (ctl_unit), the loop
 * that steps them (ctl_loop), the shared AWS credentials, remote-write
 * buffer, decision log and store, and the read-only HTTP endpoints.
 *
 * Threads (ctl_daemon_int.h has the full list of who owns what):
 * - the loop thread calls ctl_daemon_tick(); it only hands targets to
 *   the workers, which read, fit, decide, act and record;
 * - the store thread writes the store's rows;
 * - the HTTP server's threads call ctl_daemon_get(), which reads the
 *   targets' published snapshots and never waits on I/O or a fit.
 */
#ifndef CTL_DAEMON_H
#define CTL_DAEMON_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../common/pw_buf.h"
#include "../config/cfg.h"
#include "../telemetry/tel_rw.h"
#include "ctl_store.h"

struct ctl_daemon;

struct ctl_daemon_opts {
  int dry_run;       /* every actuator only records (plus cfg's dry_run) */
  int replay;        /* prewarm run --replay: series and csv/demo rows
                      * start at now_ms with no history before, and the
                      * targets step on the calling thread in order */
  unsigned workers;  /* 0: the configuration's, else 8 */
};

/*
 * Builds everything the configuration names (cfg is taken over) and
 * starts the workers.  now_ms is the loop's clock.  rw is the
 * remote-write buffer remote_write targets read (borrowed; it outlives
 * daemons so that a reload keeps the receiver).  Returns 0, or an error
 * with err naming the target and the problem.
 */
int ctl_daemon_new(struct cfg *cfg, const struct ctl_daemon_opts *o,
                   int64_t now_ms, struct tel_rw *rw,
                   struct ctl_daemon **out, char *err, size_t errlen)
  PW_WUR;
/* Stops the workers (after their steps in flight) and frees; NULL-safe. */
void ctl_daemon_free(struct ctl_daemon **dp);

/*
 * A reload: builds the daemon for cfg as ctl_daemon_new() does, except
 * for the targets prev has with the same name and the same settings in
 * every key (and the same dry_run), which are left for
 * ctl_daemon_adopt().  prev is only read, and goes on running.
 */
int ctl_daemon_reload(const struct ctl_daemon *prev, struct cfg *cfg,
                      const struct ctl_daemon_opts *o, int64_t now_ms,
                      struct tel_rw *rw, struct ctl_daemon **out, char *err,
                      size_t errlen) PW_WUR;

/*
 * Stops prev's loop (waiting for its steps in flight), moves the
 * unchanged targets from prev into d with their history, model, source,
 * actuator and counters, hands over the shared AWS credentials, and
 * starts d's loop with prev's tick count and histograms.  prev keeps
 * only what d does not use and is to be freed.  Call it once, after a
 * successful ctl_daemon_reload(d from prev), on the loop thread.
 * *kept says how many targets were kept.  0, or PW_EIO (the workers
 * could not start) with err.
 */
int ctl_daemon_adopt(struct ctl_daemon *d, struct ctl_daemon *prev,
                     size_t *kept, char *err, size_t errlen) PW_WUR;

/* One tick at now_ms: every target not still busy with its last step is
 * stepped.  With wait, returns once all are done with how many had an
 * error (each is logged and shown); without, at once with 0. */
int ctl_daemon_tick(struct ctl_daemon *d, int64_t now_ms, int wait);

/* --replay: where the longest csv or demo history ends (the loop's clock
 * starts at 0), or -1 when a target reads another source. */
int64_t ctl_daemon_replay_end(const struct ctl_daemon *d);

/* The loop's tick in ms: the configured one, else the smallest step. */
int64_t ctl_daemon_tick_ms(const struct cfg *c);

/* Waits until no target is stepping. */
void ctl_daemon_drain(struct ctl_daemon *d);

/* The HTTP server's read-only endpoints (see ctl_http_cfg.get): safe to
 * call from several threads at once, and while the loop runs. */
unsigned ctl_daemon_get(void *d, const char *url, struct pw_buf *body,
                        const char **content_type);

/* Whether a target reads remote-write (the receiver is served then). */
int ctl_daemon_uses_rw(const struct ctl_daemon *d);

/* Configuration reloads so far, shown in /metrics. */
void ctl_daemon_set_reloads(struct ctl_daemon *d, long ok, long refused);
const struct cfg *ctl_daemon_cfg(const struct ctl_daemon *d);

/* Only the leader acts: with a lease, targets still read, forecast and
 * decide, but actuate only while ctl_lease_leading() (lease borrowed;
 * NULL: always act).  Set before the first tick. */
struct ctl_lease;
void ctl_daemon_set_lease(struct ctl_daemon *d, struct ctl_lease *lease);

/* Once *stop is set (a signal handler's flag) targets decide but act no
 * more.  NULL: never. */
void ctl_daemon_set_stop(struct ctl_daemon *d,
                         const atomic_int *stop);

/* Writes what the store has queued (at exit, --once).  0, or the
 * store's error with err saying how many rows and why (libpq's reason,
 * scrubbed). */
int ctl_daemon_flush(struct ctl_daemon *d, char *err, size_t errlen) PW_WUR;

/* The record side's counters, for /metrics and tests. */
struct ctl_daemon_store_stats {
  long queued, dropped;      /* rows waiting for the store; dropped when
                              * the queue was full */
  long dlog_errors;          /* decision-log writes that failed */
  int dlog_failing;          /* the last one failed */
  char dlog_why[160];        /* why, while failing */
  struct ctl_store_stats store;  /* the store's own, as of its last write */
};
void ctl_daemon_store_stats(struct ctl_daemon *d,
                            struct ctl_daemon_store_stats *out);

#endif
