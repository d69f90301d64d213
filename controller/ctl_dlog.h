/*
 * The decision log: every decision as a length-delimited protobuf record
 * (proto/prewarm.proto) in a file that rotates at max_bytes, keeping
 * `keep` old files (PATH.1 the newest of them).  `prewarm log show FILE`
 * prints a file as JSON lines.
 *
 * Whole records only: a write that fails part-way (disk full, a file
 * size limit) is cut back to the end of the last whole record, so that
 * the records after it can still be read.  Files are created with mode
 * 0600 whatever the umask (decisions name targets and their load); an
 * existing file keeps its mode.  When the file goes away (its directory
 * deleted and made again, a rotation by another tool), or could not be
 * opened, the log opens PATH again on a later write, at most every
 * CTL_DLOG_RETRY_MS.
 *
 * Threads: one thread writes (ctl_dlog_write); ctl_dlog_failures() and
 * ctl_dlog_failing() may be read from any thread.
 */
#ifndef CTL_DLOG_H
#define CTL_DLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/pw_err.h"
#include "../proto/pb_decision.h"

/* How often a broken log tries PATH again, and checks that PATH is still
 * the file it writes. */
#define CTL_DLOG_RETRY_MS 10000

struct ctl_dlog;

/* Opens (appends to) path, creating it with mode 0600.  0, PW_ENOMEM,
 * or PW_EIO with err naming the file and the system's reason. */
int ctl_dlog_open(const char *path, long max_bytes, int keep,
                  struct ctl_dlog **out, char *err, size_t errlen) PW_WUR;

/*
 * Appends one record, rotating first when it would not fit.  Returns 0,
 * or on a failure PW_ENOSPC (no space left, or over a quota), PW_EIO
 * (any other system error; ctl_dlog_last_error() has its text), PW_ENOMEM
 * or PW_ETOOBIG; the record is then lost, the file still ends with a
 * whole record, and ctl_dlog_failures() counts it.  The caller logs a
 * failure streak once, with ctl_dlog_last_error().
 */
int ctl_dlog_write(struct ctl_dlog *l, const struct pb_decision *d) PW_WUR;

/*
 * Records lost since open: the daemon renders it as the counter
 * prewarm_decision_log_errors_total.  Any thread; 0 for NULL.
 */
uint64_t ctl_dlog_failures(const struct ctl_dlog *l);

/* 1 while the last write failed (for /healthz), else 0.  Any thread. */
int ctl_dlog_failing(const struct ctl_dlog *l);

/*
 * The last failure, as "decision log PATH: cannot write: REASON" with
 * the system's text (strerror), or "" when nothing failed yet.  Owned
 * by l, valid until the next write or close; the writing thread only.
 */
const char *ctl_dlog_last_error(const struct ctl_dlog *l);

/* Test hook: the retry interval in milliseconds (CTL_DLOG_RETRY_MS by
 * default; 0 retries on every write). */
void ctl_dlog_set_retry_ms(struct ctl_dlog *l, int64_t retry_ms);

/* Closes the file and frees l; *lp becomes NULL.  NULL is a no-op. */
void ctl_dlog_close(struct ctl_dlog **lp);

/*
 * Prints every record of a decision log read from `in` as JSON lines on
 * `out` (what `prewarm log show` does).  Returns 0 at a clean end, or
 * PW_EPARSE (a truncated or malformed record: err says at which byte;
 * the records before it were printed) or PW_ENOMEM.  The caller keeps
 * and closes both streams.
 */
int ctl_dlog_print(FILE *in, FILE *out, char *err, size_t errlen) PW_WUR;

/* prewarm log show FILE */
int ctl_dlog_main(int argc, char **argv);

#endif
