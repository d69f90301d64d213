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

struct ctl_store_stats {
  long queued, written, dropped, flush_failures;
  int schema_version;    /* 0 until migrated */
};

struct ctl_store;

/* Makes the store; it connects and migrates at the first flush or read.
 * 0, PW_EINVAL with err, or PW_ENOMEM.  Free with ctl_store_close(). */
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

/* Writes what is queued.  0, or PW_EIO / PW_EREMOTE with the reason in
 * ctl_store_why(); the rows stay queued for the next try. */
int ctl_store_flush(struct ctl_store *s) PW_WUR;

/* Appends the stored observations of target in [from_ms, to_ms), oldest
 * first, to out (NULL loads as NAN).  0 or an error as for flush. */
int ctl_store_history(struct ctl_store *s, const char *target,
                      int64_t from_ms, int64_t to_ms,
                      struct tel_samples *out) PW_WUR;

void ctl_store_stats(const struct ctl_store *s, struct ctl_store_stats *out);
const char *ctl_store_why(const struct ctl_store *s);

#endif
