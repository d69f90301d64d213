/*
 * The daemon's state: every configured target with its source, actuator,
 * model and feed; the shared AWS credentials, remote-write buffer and
 * store; and what /metrics and /api show.
 *
 * Threads: the loop calls ctl_daemon_tick(); the HTTP server calls
 * ctl_daemon_get().  One mutex guards the state; the loop drops it while
 * an actuator waits on the network.
 */
#ifndef CTL_DAEMON_H
#define CTL_DAEMON_H

#include <signal.h>
#include <stdint.h>

#include "../common/pw_buf.h"
#include "../config/cfg.h"
#include "../telemetry/tel_rw.h"

struct ctl_daemon;

/*
 * Builds everything the configuration names (cfg is taken over).  With
 * dry_run every actuator is wrapped in the dry-run one (which may still
 * read capacity).  now_ms is the (possibly scaled) clock's time.  rw is
 * the remote-write buffer remote_write targets read (borrowed; it
 * outlives daemons so that a reload keeps the receiver).  Returns 0, or
 * an error with err naming the target and the problem.
 */
int ctl_daemon_new(struct cfg *cfg, int dry_run, int64_t now_ms,
                   struct tel_rw *rw, struct ctl_daemon **out, char *err,
                   size_t errlen) PW_WUR;
void ctl_daemon_free(struct ctl_daemon **dp);

/*
 * A reload: builds the daemon for cfg as ctl_daemon_new() does, except
 * for the targets prev has with the same name and the same settings in
 * every key (and the same dry_run), which are left for
 * ctl_daemon_adopt().  prev is only read, and may go on serving.
 */
int ctl_daemon_reload(const struct ctl_daemon *prev, struct cfg *cfg,
                      int dry_run, int64_t now_ms, struct tel_rw *rw,
                      struct ctl_daemon **out, char *err, size_t errlen)
  PW_WUR;

/*
 * Moves the unchanged targets from prev into d, with their history,
 * model, source, actuator and counters, hands over the shared AWS
 * credentials, and carries the loop's tick count and histograms on; prev keeps only what d does not use and is to be freed.
 * Call it once, after a successful ctl_daemon_reload(d from prev) and
 * before d ticks; it cannot fail.  Returns the number of targets kept.
 */
size_t ctl_daemon_adopt(struct ctl_daemon *d, struct ctl_daemon *prev);

/* One pass over every target at now_ms: read, decide, act, record.
 * Returns how many targets had an error (each is logged and shown). */
int ctl_daemon_tick(struct ctl_daemon *d, int64_t now_ms);

/* The HTTP server's read-only endpoints (see ctl_http_cfg.get). */
unsigned ctl_daemon_get(void *d, const char *url, struct pw_buf *body,
                        const char **content_type);

/* Whether a target reads remote-write (the receiver is served then). */
int ctl_daemon_uses_rw(const struct ctl_daemon *d);

/* Configuration reloads so far, shown in /metrics. */
void ctl_daemon_set_reloads(struct ctl_daemon *d, long ok, long refused);
const struct cfg *ctl_daemon_cfg(const struct ctl_daemon *d);

/* Only the leader acts: with a lease, targets still read, forecast and
 * decide, but actuate only while ctl_lease_leading() (lease borrowed;
 * NULL: always act). */
struct ctl_lease;
void ctl_daemon_set_lease(struct ctl_daemon *d, struct ctl_lease *lease);

/* A tick ends early, between two targets, once *stop is set (a signal
 * handler's flag): the first tick of 10,000 targets fits every model and
 * can take a minute.  NULL: never. */
void ctl_daemon_set_stop(struct ctl_daemon *d,
                         const volatile sig_atomic_t *stop);

/* Writes what the store has queued (at exit). */
void ctl_daemon_flush(struct ctl_daemon *d);

#endif
