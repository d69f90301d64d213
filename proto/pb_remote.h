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

/* A decoded request; views into it live until pb_write_free(). */
struct pb_write;

/*
 * Decodes a snappy-compressed WriteRequest.  The uncompressed length the
 * sender declares is checked against max_bytes before anything is
 * allocated (a decompression-bomb guard): PW_ETOOBIG.  A framed snappy
 * stream, a bad block or a bad protobuf is PW_EPARSE; err says which.
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
