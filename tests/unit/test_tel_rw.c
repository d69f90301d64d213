/*
 * The remote-write buffer: selection, summing on the step grid, counters,
 * stale markers, late samples, and refusal of bad payloads.
 */
#include <math.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sums_matching_series_per_step),
    cmocka_unit_test(counters_become_rates_and_stale_ends_a_series),
    cmocka_unit_test(bad_payloads_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
