/*
 * The Prometheus remote-write receiver's buffer (CONTRACTS.md 5.3).
 *
 * The HTTP server hands each request body to tel_rw_ingest(), which
 * decodes it (proto/pb_remote: snappy, protobuf, a cap on the declared
 * size) and keeps only the series a selector asks for: a metric name and
 * equality label matchers.  For each selector, samples are put on its
 * step grid: each series' last value in a step counts, the matching
 * series are summed, and with `counter` each series is first turned into
 * a rate per second (resets handled).  A stale marker ends a series: its
 * counter state is dropped, so the next sample only primes.
 *
 * Each selector is read as a source (tel_rw_source()): a fetch of
 * [from, to) hands out the steps before `to` once and forgets them; a
 * sample for a step already handed out is late and counted, never added.
 * At most 256 steps ahead of the last one handed out and 4096 series per
 * selector are kept; more is refused and counted.
 *
 * Thread-safe: HTTP threads ingest while the loop fetches (one mutex).
 */
#ifndef TEL_RW_H
#define TEL_RW_H

#include <stddef.h>

#include "tel_source.h"

struct tel_rw_selector {
  const char *metric;          /* __name__ */
  const char *const *labels;   /* "name=value" matchers */
  size_t nlabels;
  int counter;
  int64_t step_ms;
};

/* Timestamps of samples taken: [0, this] ms, 9999-12-31T23:59:59.999Z.
 * Others are refused (and counted), like non-finite values other than
 * the stale marker. */
#define TEL_RW_MAX_TS_MS 253402300799999LL

/*
 * What requests brought.  requests: accepted requests; series, samples:
 * in them; kept, stale, late, refused: what became of the samples of the
 * series a selector wants (refused: a bad timestamp or value, too many
 * series, too far ahead).  rejected: requests refused whole (400, 413,
 * 415); unauthorized: requests with no or a wrong token (401).
 */
struct tel_rw_stats {
  long requests, series, samples, kept, stale, late, refused;
  long rejected, unauthorized;
};

struct tel_rw;

/* max_bytes caps the uncompressed size of one request (PB_MAX_DECODED,
 * 32 MiB, whichever is lower).  Free with tel_rw_free() after every
 * source made from it. */
int tel_rw_new(size_t max_bytes, struct tel_rw **out) PW_WUR;
void tel_rw_free(struct tel_rw **rp);

/*
 * Adds a selector and makes the source that reads it (owned by the
 * caller, freed with tel_source_free() before the tel_rw).  Steps start
 * being kept from now_ms.  0, PW_EINVAL with err, or PW_ENOMEM.
 */
int tel_rw_source(struct tel_rw *rw, const struct tel_rw_selector *sel,
                  int64_t now_ms, struct tel_source **out, char *err,
                  size_t errlen) PW_WUR;

/*
 * Takes one remote-write body.  0; PW_EPARSE (answer 400) or PW_ETOOBIG
 * (answer 413, a cap of proto/pb_remote.h passed) with err saying why,
 * counted in the totals as rejected; PW_ENOMEM.  Adds to *st if given.
 * Decodes outside the lock; several threads may ingest at once.
 */
int tel_rw_ingest(struct tel_rw *rw, const void *body, size_t len,
                  struct tel_rw_stats *st, char *err, size_t errlen) PW_WUR;

/* A request refused whole by the HTTP server before tel_rw_ingest():
 * its token (401), or its headers (413, 415).  Counted in the totals;
 * thread-safe. */
enum tel_rw_event { TEL_RW_UNAUTHORIZED, TEL_RW_REJECTED };
void tel_rw_note(struct tel_rw *rw, enum tel_rw_event ev);

/* Totals since the start (for metrics). */
void tel_rw_totals(struct tel_rw *rw, struct tel_rw_stats *out);

#endif
