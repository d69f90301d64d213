/*
 * libFuzzer harness: remote-write decode and ingest on arbitrary bytes,
 * both as a snappy body as sent (the snappy path) and as raw protobuf
 * that the harness compresses first (so the fuzzer reaches the protobuf
 * pre-scan and protobuf-c directly).  Each input must be accepted or
 * refused with a message, never crash, leak or read out of bounds; what
 * decodes must be within the caps of proto/pb_remote.h (the pre-scan
 * never undercounts what protobuf-c unpacks).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "../../proto/pb_remote.h"
#include "../../telemetry/tel_rw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes directly and checks the decoded request against the caps. */
static void decode_checked(const void *body, size_t len) {
  struct pb_write *w = NULL;
  char err[256] = "";
  int rc = pb_write_decode(body, len, 1u << 20, &w, err, sizeof(err));
  if(rc != 0) {
    if(err[0] == '\0' && rc != PW_ENOMEM)
      __builtin_trap();  /* an error must say why */
    return;
  }
  size_t n = pb_write_nseries(w), labels = 0, samples = 0;
  if(n > PB_MAX_SERIES)
    __builtin_trap();
  for(size_t i = 0; i < n; i++) {
    struct pb_series s;
    pb_write_series(w, i, &s);
    if(s.nlabels > PB_MAX_SERIES_LABELS)
      __builtin_trap();
    for(size_t k = 0; k < s.nlabels; k++)
      if(strlen(s.labels[k].name) > PB_MAX_LABEL_LEN ||
         strlen(s.labels[k].value) > PB_MAX_LABEL_LEN)
        __builtin_trap();
    labels += s.nlabels;
    samples += s.nsamples;
  }
  if(labels > PB_MAX_LABELS || samples > PB_MAX_SAMPLES)
    __builtin_trap();
  pb_write_free(&w);
}

/* A buffer with two selectors (a gauge and a counter) kept across
 * inputs, so that state (series tables, counters, steps) builds up. */
static struct tel_rw *buffer(void) {
  static struct tel_rw *rw;
  static struct tel_source *g, *c;
  static const char *const lab[] = {"a=b"};
  char err[256];
  if(rw)
    return rw;
  struct tel_rw_selector sg = {"g", lab, 1, 0, 1000};
  struct tel_rw_selector sc = {"c", NULL, 0, 1, 60000};
  if(tel_rw_new(1u << 20, &rw) ||
     tel_rw_source(rw, &sg, 0, &g, err, sizeof(err)) ||
     tel_rw_source(rw, &sc, 0, &c, err, sizeof(err)))
    abort();
  return rw;
}

static void ingest(const void *body, size_t len) {
  char err[256] = "";
  struct tel_rw_stats st = {0};
  int rc = tel_rw_ingest(buffer(), body, len, &st, err, sizeof(err));
  if(rc != 0 && err[0] == '\0' && rc != PW_ENOMEM)
    __builtin_trap();
  if(rc == 0 && st.kept + st.stale + st.late + st.refused < 0)
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The snappy path: the bytes as a request body. */
  decode_checked(data, size);
  ingest(data, size);
  /* The protobuf path: the bytes as the decoded WriteRequest. */
  size_t clen = snappy_max_compressed_length(size);
  char *c = malloc(clen ? clen : 1);
  if(!c)
    return 0;
  if(snappy_compress((const char *)data, size, c, &clen) == SNAPPY_OK) {
    decode_checked(c, clen);
    ingest(c, clen);
  }
  free(c);
  return 0;
}
