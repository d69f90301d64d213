/*
 * The remote-write buffer: selection, summing on the step grid, counters,
 * stale markers, late samples, and refusal of bad payloads.
 */
#include <math.h>
#include <stdint.h>

#include <snappy-c.h>

#include "../../common/pw_alloc.h"
#include "../../proto/pb_remote.h"
#include "../../telemetry/tel_rw.h"
#include "test_util.h"

#define T0 1800000000000LL  /* ms, a whole minute */

static void send(struct tel_rw *rw, const struct pb_series *s, size_t n,
                 struct tel_rw_stats *st) {
  void *buf;
  size_t len;
  char err[128];
  ASSERT_OK(pb_write_encode(s, n, &buf, &len));
  ASSERT_OK(tel_rw_ingest(rw, buf, len, st, err, sizeof(err)));
  pw_free(buf);
}

static double stale_nan(void) {
  uint64_t bits = PB_STALE_NAN_BITS;
  double v;
  memcpy(&v, &bits, sizeof(v));
  return v;
}

static void sums_matching_series_per_step(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  struct tel_source *src = NULL;
  struct tel_samples out = {0};
  struct tel_rw_stats st = {0};
  char err[128];
  const char *m[] = {"service=checkout"};
  struct tel_rw_selector sel = {"http_requests", m, 1, 0, 60000};
  ASSERT_OK(tel_rw_new(1 << 20, &rw));
  ASSERT_OK(tel_rw_source(rw, &sel, T0, &src, err, sizeof(err)));
  struct pb_label a[] = {{"__name__", "http_requests"}, {"pod", "a"},
                         {"service", "checkout"}};
  struct pb_label b[] = {{"__name__", "http_requests"}, {"pod", "b"},
                         {"service", "checkout"}};
  struct pb_label c[] = {{"__name__", "http_requests"}, {"pod", "c"},
                         {"service", "cart"}};
  struct pb_sample sa[] = {{1, T0}, {5, T0 + 30000}, {7, T0 + 60000}};
  struct pb_sample sb[] = {{10, T0 + 10000}, {20, T0 + 70000}};
  struct pb_sample sc[] = {{1000, T0}};
  struct pb_series s[] = {{a, 3, sa, 3}, {b, 3, sb, 2}, {c, 3, sc, 1}};
  send(rw, s, 3, &st);
  assert_int_equal(st.series, 3);
  assert_int_equal(st.kept, 5);
  ASSERT_OK(tel_fetch(src, T0, T0 + 120000, &out));
  /* Step T0: a's last value 5 + b's 10; step T0+60s: 7 + 20. */
  assert_int_equal(out.n, 2);
  assert_int_equal(out.ts_ms[0], T0);
  ASSERT_NEAR(out.v[0], 15, 0);
  ASSERT_NEAR(out.v[1], 27, 0);
  /* Handed out once: a late sample for those steps is counted, not
   * added, and the next fetch of the same range is empty. */
  struct pb_sample late[] = {{99, T0 + 61000}};
  struct pb_series sl[] = {{a, 3, late, 1}};
  st = (struct tel_rw_stats){0};
  send(rw, sl, 1, &st);
  assert_int_equal(st.late, 1);
  out.n = 0;
  ASSERT_OK(tel_fetch(src, T0, T0 + 120000, &out));
  assert_int_equal(out.n, 0);
  tel_samples_cleanup(&out);
  tel_source_free(&src);
  tel_rw_free(&rw);
}

/* Two series of 1e308 in one step sum to +Inf: that step is no load (it
 * stays missing, counted as rejected), the next one is kept. */
static void an_overflowing_sum_is_refused(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  struct tel_source *src = NULL;
  struct tel_samples out = {0};
  struct tel_rw_stats st = {0};
  char err[128];
  struct tel_rw_selector sel = {"load", NULL, 0, 0, 60000};
  ASSERT_OK(tel_rw_new(1 << 20, &rw));
  ASSERT_OK(tel_rw_source(rw, &sel, T0, &src, err, sizeof(err)));
  struct pb_label a[] = {{"__name__", "load"}, {"pod", "a"}};
  struct pb_label b[] = {{"__name__", "load"}, {"pod", "b"}};
  struct pb_sample sa[] = {{1e308, T0}, {1, T0 + 60000}};
  struct pb_sample sb[] = {{1e308, T0}, {2, T0 + 60000}};
  struct pb_series s[] = {{a, 2, sa, 2}, {b, 2, sb, 2}};
  send(rw, s, 2, &st);
  ASSERT_OK(tel_fetch(src, T0, T0 + 120000, &out));
  assert_int_equal(out.n, 1);
  assert_int_equal(out.ts_ms[0], T0 + 60000);
  ASSERT_NEAR(out.v[0], 3, 0);
  assert_int_equal(src->rejected, 1);
  tel_samples_cleanup(&out);
  tel_source_free(&src);
  tel_rw_free(&rw);
}

static void counters_become_rates_and_stale_ends_a_series(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  struct tel_source *src = NULL;
  struct tel_samples out = {0};
  struct tel_rw_stats st = {0};
  char err[128];
  struct tel_rw_selector sel = {"reqs_total", NULL, 0, 1, 60000};
  ASSERT_OK(tel_rw_new(1 << 20, &rw));
  ASSERT_OK(tel_rw_source(rw, &sel, T0, &src, err, sizeof(err)));
  struct pb_label a[] = {{"__name__", "reqs_total"}, {"pod", "a"}};
  /* 10/s, a restart (to 30 after 60 s: 0.5/s), a stale marker, then a
   * new start that only primes, then 10/s again. */
  struct pb_sample x[] = {{100, T0}, {700, T0 + 60000}, {30, T0 + 120000},
                          {stale_nan(), T0 + 150000}, {5000, T0 + 180000},
                          {5600, T0 + 240000}};
  struct pb_series s[] = {{a, 2, x, 6}};
  send(rw, s, 1, &st);
  assert_int_equal(st.stale, 1);
  ASSERT_OK(tel_fetch(src, T0, T0 + 300000, &out));
  assert_int_equal(out.n, 3);
  assert_int_equal(out.ts_ms[0], T0 + 60000);
  ASSERT_NEAR(out.v[0], 10, 1e-12);
  ASSERT_NEAR(out.v[1], 0.5, 1e-12);
  assert_int_equal(out.ts_ms[2], T0 + 240000);
  ASSERT_NEAR(out.v[2], 10, 1e-12);
  tel_samples_cleanup(&out);
  tel_source_free(&src);
  tel_rw_free(&rw);
}

static void bad_payloads_are_refused(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  char err[128];
  ASSERT_OK(tel_rw_new(1000, &rw));
  const unsigned char framed[] = {0xff, 0x06, 0, 0, 's', 'N', 'a', 'P', 'p',
                                  'Y', 1, 2, 3};
  assert_int_equal(tel_rw_ingest(rw, framed, sizeof(framed), NULL, err,
                                 sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, "framed"));
  assert_int_equal(tel_rw_ingest(rw, "\xff\xff\xff\xff\xff\xff", 6, NULL,
                                 err, sizeof(err)), PW_EPARSE);
  /* A snappy preamble that declares 2,000,000 bytes: refused before any
   * allocation of that size. */
  const unsigned char bomb[] = {0x80, 0x89, 0x7a, 0x00};
  assert_int_equal(tel_rw_ingest(rw, bomb, sizeof(bomb), NULL, err,
                                 sizeof(err)), PW_ETOOBIG);
  assert_non_null(strstr(err, "2000000"));
  /* A valid request whose series no selector wants. */
  struct pb_label l[] = {{"__name__", "x"}};
  struct pb_sample x[] = {{1, T0}};
  struct pb_series s[] = {{l, 1, x, 1}};
  void *buf;
  size_t len;
  ASSERT_OK(pb_write_encode(s, 1, &buf, &len));
  ASSERT_OK(tel_rw_ingest(rw, buf, len, NULL, err, sizeof(err)));
  /* Metadata-only requests (no series) are fine. */
  pw_free(buf);
  ASSERT_OK(pb_write_encode(NULL, 0, &buf, &len));
  ASSERT_OK(tel_rw_ingest(rw, buf, len, NULL, err, sizeof(err)));
  /* Allocation failures anywhere are reported, never a crash or leak. */
  for(long n = 0; n < 8; n++) {
    pw_alloc_fail_after(n);
    int rc = tel_rw_ingest(rw, buf, len, NULL, err, sizeof(err));
    pw_alloc_fail_after(-1);
    assert_true(rc == 0 || rc == PW_ENOMEM || rc == PW_EPARSE);
  }
  pw_free(buf);
  struct tel_rw_stats tot;
  tel_rw_totals(rw, &tot);
  assert_true(tot.requests >= 2);
  tel_rw_free(&rw);
}

/* Appends a protobuf varint. */
static size_t put_varint(unsigned char *p, uint64_t v) {
  size_t n = 0;
  do {
    p[n++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while(v);
  return n;
}

/* Snappy-compresses raw protobuf bytes into a new buffer (pw_free). */
static void *compress(const void *raw, size_t len, size_t *outlen) {
  size_t clen = snappy_max_compressed_length(len);
  char *c = pw_malloc(clen);
  assert_non_null(c);
  assert_int_equal(snappy_compress(raw, len, c, &clen), SNAPPY_OK);
  *outlen = clen;
  return c;
}

/* Ingests a crafted raw protobuf (snappy-compressed here) with the first
 * `allow` allocations after compression succeeding (-1: all). */
static int ingest_raw(struct tel_rw *rw, const void *raw, size_t len,
                      long allow, char *err, size_t errlen) {
  size_t clen;
  void *c = compress(raw, len, &clen);
  err[0] = '\0';
  pw_alloc_fail_after(allow);
  int rc = tel_rw_ingest(rw, c, clen, NULL, err, errlen);
  pw_alloc_fail_after(-1);
  pw_free(c);
  return rc;
}

/* Fills p with n copies of the two bytes {tag, 0}: n empty elements. */
static size_t empties(unsigned char *p, unsigned char tag, size_t n) {
  for(size_t i = 0; i < n; i++) {
    p[2 * i] = tag;
    p[2 * i + 1] = 0;
  }
  return 2 * n;
}

/* One series holding n empty elements of field `tag` (labels 0x0a,
 * samples 0x12). */
static unsigned char *one_series(unsigned char tag, size_t n, size_t *len) {
  unsigned char *p = pw_malloc(2 * n + 16);
  assert_non_null(p);
  size_t k = 0;
  p[k++] = 0x0a;
  k += put_varint(p + k, 2 * n);
  k += empties(p + k, tag, n);
  *len = k;
  return p;
}

/* Issue #12 item 3: a small body that decodes to a large protobuf is
 * refused by its declared size before anything is allocated, even when
 * the caller allows 64 MiB (as the daemon does). */
static void decoded_size_is_capped_before_allocating(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  char err[200];
  ASSERT_OK(tel_rw_new(64u << 20, &rw));
  size_t n = (33u << 20), k = 0;
  unsigned char *raw = pw_calloc(1, n + 16);
  assert_non_null(raw);
  raw[k++] = 0x1a;  /* field 3 (metadata, unknown to us): 33 MiB */
  k += put_varint(raw + k, n);
  assert_int_equal(ingest_raw(rw, raw, k + n, 0, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "33554432"));
  pw_free(raw);
  struct tel_rw_stats tot;
  tel_rw_totals(rw, &tot);
  assert_int_equal(tot.requests, 0);
  assert_int_equal(tot.rejected, 1);
  tel_rw_free(&rw);
}

/* Issue #12 item 3: element counts are checked on the wire before
 * protobuf-c unpacks (allocation 1, the decompressed buffer, is allowed;
 * protobuf-c's first would fail). */
static void element_counts_are_capped_before_unpacking(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  char err[200];
  size_t len;
  unsigned char *raw;
  ASSERT_OK(tel_rw_new(64u << 20, &rw));
  /* 1,000,001 empty samples in one series (2 MB of protobuf). */
  raw = one_series(0x12, PB_MAX_SAMPLES + 1, &len);
  assert_int_equal(ingest_raw(rw, raw, len, 1, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "samples"));
  pw_free(raw);
  /* 65 empty labels in one series. */
  raw = one_series(0x0a, PB_MAX_SERIES_LABELS + 1, &len);
  assert_int_equal(ingest_raw(rw, raw, len, 1, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "labels"));
  pw_free(raw);
  /* 100,001 empty series. */
  raw = pw_malloc(2 * (PB_MAX_SERIES + 1));
  assert_non_null(raw);
  len = empties(raw, 0x0a, PB_MAX_SERIES + 1);
  assert_int_equal(ingest_raw(rw, raw, len, 1, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "series"));
  pw_free(raw);
  /* 1,000,001 unknown fields (field 3, empty) at the top. */
  raw = pw_malloc(2 * (PB_MAX_OTHER + 1));
  assert_non_null(raw);
  len = empties(raw, 0x1a, PB_MAX_OTHER + 1);
  assert_int_equal(ingest_raw(rw, raw, len, 1, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "other"));
  pw_free(raw);
  /* 20,000 series of 60 empty labels: 1.2 M labels in all. */
  size_t ns = 20000, nl = 60, k = 0;
  raw = pw_malloc(ns * (2 * nl + 4));
  assert_non_null(raw);
  for(size_t i = 0; i < ns; i++) {
    raw[k++] = 0x0a;
    k += put_varint(raw + k, 2 * nl);
    k += empties(raw + k, 0x0a, nl);
  }
  assert_int_equal(ingest_raw(rw, raw, k, 1, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "labels"));
  pw_free(raw);
  /* A label value of 4097 bytes. */
  char big[PB_MAX_LABEL_LEN + 2];
  memset(big, 'v', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  struct pb_label l[] = {{"__name__", big}};
  struct pb_sample x[] = {{1, T0}};
  struct pb_series s[] = {{l, 1, x, 1}};
  void *buf;
  ASSERT_OK(pb_write_encode(s, 1, &buf, &len));
  assert_int_equal(tel_rw_ingest(rw, buf, len, NULL, err, sizeof(err)),
                   PW_ETOOBIG);
  assert_non_null(strstr(err, "4097"));
  pw_free(buf);
  /* A start-group wire type (protobuf-c has none): 400. */
  const unsigned char group[] = {0x0b, 0x0c};
  assert_int_equal(ingest_raw(rw, group, sizeof(group), 1, err,
                              sizeof(err)), PW_EPARSE);
  /* At the caps: 64 labels of 4096 bytes each is accepted. */
  big[PB_MAX_LABEL_LEN] = '\0';
  struct pb_label many[PB_MAX_SERIES_LABELS];
  for(size_t i = 0; i < PB_MAX_SERIES_LABELS; i++)
    many[i] = (struct pb_label){"k", big};
  struct pb_series sm[] = {{many, PB_MAX_SERIES_LABELS, x, 1}};
  ASSERT_OK(pb_write_encode(sm, 1, &buf, &len));
  ASSERT_OK(tel_rw_ingest(rw, buf, len, NULL, err, sizeof(err)));
  pw_free(buf);
  struct tel_rw_stats tot;
  tel_rw_totals(rw, &tot);
  assert_int_equal(tot.requests, 1);
  assert_int_equal(tot.rejected, 7);
  tel_rw_free(&rw);
}

/* Issue #12 item 9: timestamps outside [0, year 9999] and non-finite
 * values (other than the stale marker) are refused and counted; extreme
 * timestamps no longer overflow (UBSan in the checked build). */
static void bad_timestamps_and_values_are_refused(void **state) {
  (void)state;
  struct tel_rw *rw = NULL;
  struct tel_source *g = NULL, *c = NULL;
  struct tel_samples out = {0};
  struct tel_rw_stats st = {0};
  char err[128];
  struct tel_rw_selector sg = {"gauge", NULL, 0, 0, 60000};
  struct tel_rw_selector sc = {"ctr_total", NULL, 0, 1, 60000};
  ASSERT_OK(tel_rw_new(1 << 20, &rw));
  ASSERT_OK(tel_rw_source(rw, &sg, T0, &g, err, sizeof(err)));
  ASSERT_OK(tel_rw_source(rw, &sc, T0, &c, err, sizeof(err)));
  struct pb_label lg[] = {{"__name__", "gauge"}};
  struct pb_label lc[] = {{"__name__", "ctr_total"}};
  struct pb_sample x[] = {{1, INT64_MIN}, {2, INT64_MAX}, {3, -1},
                          {4, TEL_RW_MAX_TS_MS + 1},
                          {(double)INFINITY, T0}, {-(double)INFINITY, T0},
                          {(double)NAN, T0}, {5, T0 + 1000}};
  struct pb_sample y[] = {{1, INT64_MIN}, {2, INT64_MAX}, {10, T0},
                          {3, INT64_MAX}, {(double)INFINITY, T0 + 30000},
                          {70, T0 + 60000}};
  struct pb_series s[] = {{lg, 1, x, 8}, {lc, 1, y, 6}};
  send(rw, s, 2, &st);
  assert_int_equal(st.refused, 7 + 4);
  assert_int_equal(st.kept, 2);  /* 5 at T0, and the rate at T0+60s */
  ASSERT_OK(tel_fetch(g, T0, T0 + 120000, &out));
  assert_int_equal(out.n, 1);
  ASSERT_NEAR(out.v[0], 5, 0);
  out.n = 0;
  ASSERT_OK(tel_fetch(c, T0, T0 + 120000, &out));
  assert_int_equal(out.n, 1);
  ASSERT_NEAR(out.v[0], 1, 1e-12);  /* (70 - 10) / 60 s */
  tel_samples_cleanup(&out);
  tel_source_free(&g);
  tel_source_free(&c);
  tel_rw_free(&rw);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sums_matching_series_per_step),
    cmocka_unit_test(an_overflowing_sum_is_refused),
    cmocka_unit_test(counters_become_rates_and_stale_ends_a_series),
    cmocka_unit_test(bad_payloads_are_refused),
    cmocka_unit_test(decoded_size_is_capped_before_allocating),
    cmocka_unit_test(element_counts_are_capped_before_unpacking),
    cmocka_unit_test(bad_timestamps_and_values_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
