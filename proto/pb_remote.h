/*
 * Remote-write 1.0 payloads: snappy (block format) around a protobuf
 * prometheus.WriteRequest, decoded with the protobuf-c code generated
 * from proto/remote.proto at build time.  Nothing outside proto/ includes
 * the generated header.
 */
#ifndef PB_REMOTE_H
#define PB_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"

struct pb_label {
  const char *name, *value;
};

struct pb_sample {
  double value;
  int64_t ts_ms;
};

struct pb_series {
  const struct pb_label *labels;
  size_t nlabels;
  const struct pb_sample *samples;
  size_t nsamples;
};

/*
 * Caps on one request, checked before anything of that size is
 * allocated.  The decoded size is the snappy preamble's declared length
 * (the caller's max_bytes applies too, whichever is lower).  The counts
 * are taken by a pre-scan of the protobuf wire format, before protobuf-c
 * unpacks (which allocates per element): each label, sample and unknown
 * field (metadata, exemplars, histograms) costs protobuf-c one or more
 * allocations, even when empty.  Prometheus sends at most a few thousand
 * samples a request (queue_config.max_samples_per_send, 500 in 2.42), so
 * these leave room while bounding one request to ~250 MiB of memory.
 */
#define PB_MAX_DECODED (32u << 20)       /* bytes of protobuf */
#define PB_MAX_SERIES 100000             /* series a request */
#define PB_MAX_SERIES_LABELS 64          /* labels a series */
#define PB_MAX_LABELS 1000000            /* labels a request */
#define PB_MAX_SAMPLES 1000000           /* samples a request */
#define PB_MAX_OTHER 1000000             /* unknown fields a request */
#define PB_MAX_LABEL_LEN 4096            /* bytes of a name or value */

/* A decoded request; views into it live until pb_write_free(). */
struct pb_write;

/*
 * Decodes a snappy-compressed WriteRequest.  The uncompressed length the
 * sender declares is checked against max_bytes and PB_MAX_DECODED before
 * anything is allocated (a decompression-bomb guard), then the element
 * counts and label lengths against the PB_MAX_* caps before protobuf-c
 * unpacks: over any cap is PW_ETOOBIG (answer 413).  A framed snappy
 * stream, a bad block or bad protobuf wire format (PW_EPARSE, 400).
 * PW_ENOMEM.  err says which cap or what is wrong.  Thread-safe (no
 * shared state); *out is the caller's, freed with pb_write_free().
 */
int pb_write_decode(const void *body, size_t len, size_t max_bytes,
                    struct pb_write **out, char *err, size_t errlen) PW_WUR;

size_t pb_write_nseries(const struct pb_write *w);
/* The i-th series (i < nseries); the views live as long as w. */
void pb_write_series(const struct pb_write *w, size_t i,
                     struct pb_series *out);
void pb_write_free(struct pb_write **wp);

/*
 * Encodes a WriteRequest (for tests and tools): series[0..n) packed and
 * snappy-compressed into a new buffer the caller frees with pw_free().
 */
int pb_write_encode(const struct pb_series *series, size_t n, void **out,
                    size_t *outlen) PW_WUR;

/* The stale marker Prometheus writes when a series ends: a NaN with this
 * exact bit pattern (test the bits, not isnan()). */
#define PB_STALE_NAN_BITS 0x7ff0000000000002ULL
int pb_is_stale(double v);

#endif
