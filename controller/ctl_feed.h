/*
 * Feeds one target from its source, tick by tick, without gaps or double
 * counting: at start it backfills the configured history in one fetch,
 * then each tick fetches the window from where the last successful fetch
 * ended up to now minus the source's lag (step-aligned).  A failed fetch
 * moves nothing, so the same window is asked again next tick and no data
 * is lost; a sample for a step the target already has is dropped by the
 * target's series (fc_series_put), so nothing is counted twice.
 *
 * It also says when the data is stale (no new sample for `steps` steps),
 * so the policy can hold capacity instead of trusting old data.
 */
#ifndef CTL_FEED_H
#define CTL_FEED_H

#include <stdint.h>

#include "../telemetry/tel_source.h"
#include "ctl_target.h"

struct ctl_feed {
  struct tel_source *src;  /* borrowed */
  int64_t step_ms;
  int64_t lag_ms;          /* how far behind now a step is final */
  int64_t next_ms;         /* start of the next window to fetch */
  int64_t newest_ms;       /* the newest finite sample seen, -1 before
                            * any */
  long fetches, failures, samples;
  int answered;            /* a fetch has succeeded (for readiness) */
  struct tel_samples buf;  /* what the last tick read (empty when it
                            * read nothing or failed); reused */
};

/* Caller-owned storage: the first window starts history_ms before now,
 * step-aligned. */
void ctl_feed_init(struct ctl_feed *f, struct tel_source *src,
                   int64_t step_ms, int64_t lag_ms, int64_t history_ms,
                   int64_t now_ms);
void ctl_feed_cleanup(struct ctl_feed *f);

/*
 * Fetches what is new and hands it to t.  0, or the source's error (the
 * window stays for the next tick; src->why says what happened).
 */
int ctl_feed_tick(struct ctl_feed *f, int64_t now_ms, struct ctl_target *t)
  PW_WUR;

/*
 * Tells the feed what a store already held (s: oldest first, as
 * ctl_store_history() gives it, already handed to the target): the next
 * window starts one step after the last row, and the newest finite row
 * counts as data seen, so that a restart within the same step is not
 * stale.  Call it after ctl_feed_init() and before the first tick; a
 * no-op when s is empty.
 */
void ctl_feed_resumed(struct ctl_feed *f, const struct tel_samples *s);

/* 1 when no finite sample newer than `steps` steps before now has
 * arrived (NaNs are missing steps and do not count). */
int ctl_feed_stale(const struct ctl_feed *f, int64_t now_ms, int steps);

#endif
