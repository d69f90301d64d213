/*
 * The optional PostgreSQL store: per-target history (the load observed
 * each step) and decisions (with the forecast that led to them), in
 * tables prewarm creates and migrates itself, so that a restarted
 * controller resumes with its history and capacity planners can query
 * what was predicted against what happened.
 *
 * Writes never block the loop on the database: rows are queued in memory
 * (bounded: past max_rows the oldest are dropped and counted) and written
 * in batches by ctl_store_flush(), in one transaction, idempotently
 * (ON CONFLICT on target and time), so a retried batch never doubles a
 * row.  A database outage only delays the writes; the connection is
 * re-made with backoff.
 *
 * Schema (version 1), migrated under an advisory lock so that two
 * replicas starting together do not race:
 *   prewarm_schema(version)
 *   prewarm_observations(target, ts, load)            PK (target, ts)
 *   prewarm_decisions(target, ts, load, desired, reasons,
 *                     forecast_mean, forecast_upper)  PK (target, ts)
 *
 * One thread uses a store at a time.
 */
#ifndef CTL_STORE_H
#define CTL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"
#include "../telemetry/tel_source.h"

struct ctl_store_cfg {
  const char *conninfo;  /* libpq string or URI; NULL or "": PG* vars */
  size_t max_rows;       /* queued rows kept during an outage; 0: 100000 */
  long timeout_ms;       /* connect and statement timeout; 0: 5 s */
};

/*
 * Counters since the store was made, for /metrics.  The daemon renders
 * the row counts as
 *   prewarm_store_rows_total{result="written"}  written
 *   prewarm_store_rows_total{result="failed"}   failed
 *   prewarm_store_rows_total{result="dropped"}  dropped
 * and flush_failures as prewarm_store_flush_failures_total.
 */
struct ctl_store_stats {
  long queued;           /* rows queued */
  long written;          /* rows written (committed) */
  long failed;           /* rows in a flush that failed; they stay queued
                          * and count again if the next flush fails too */
  long dropped;          /* rows dropped unwritten: the queue was full */
  long flush_failures;   /* flushes that failed */
  int schema_version;    /* 0 until migrated */
};

struct ctl_store;

/* Makes the store; it connects and migrates at the first flush or read.
 * 0; PW_EINVAL with err when the connection string is malformed (libpq's
 * reason, scrubbed of secrets); or PW_ENOMEM.  Free with
 * ctl_store_close(). */
int ctl_store_open(const struct ctl_store_cfg *cfg, struct ctl_store **out,
                   char *err, size_t errlen) PW_WUR;
/* Tries one last flush, then frees; NULL-safe. */
void ctl_store_close(struct ctl_store **sp);

/* Queue one row (copied; never touches the database).  0 or PW_ENOMEM. */
int ctl_store_observation(struct ctl_store *s, const char *target,
                          int64_t ts_ms, double load) PW_WUR;
int ctl_store_decision(struct ctl_store *s, const char *target,
                       int64_t ts_ms, double load, long desired,
                       const char *reasons, double fc_mean,
                       double fc_upper) PW_WUR;

/* Writes what is queued.  0, or PW_EIO / PW_EREMOTE with libpq's
 * reason in ctl_store_why() (also while backing off after a failed
 * connection); the rows stay queued for the next try. */
int ctl_store_flush(struct ctl_store *s) PW_WUR;

/* Appends the stored observations of target in [from_ms, to_ms), oldest
 * first, to out (NULL loads as NAN).  0 or an error as for flush. */
int ctl_store_history(struct ctl_store *s, const char *target,
                      int64_t from_ms, int64_t to_ms,
                      struct tel_samples *out) PW_WUR;

/* Copies the counters; the store's thread only. */
void ctl_store_stats(const struct ctl_store *s, struct ctl_store_stats *out);
/* Why the last flush or read failed ("" before any failure), scrubbed of
 * secrets; valid until the next call on s. */
const char *ctl_store_why(const struct ctl_store *s);

#endif
