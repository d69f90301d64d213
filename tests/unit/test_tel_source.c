/*
 * Source helpers without a server: counters to rates with a reset, and
 * the parsing of Prometheus replies (duplicates, order, grid, values).
 */
#include <math.h>

#include "../../telemetry/tel_prom.h"
#include "test_util.h"

static void counter_rates_survive_a_reset(void **state) {
  (void)state;
  struct tel_counter c = {0};
  struct tel_samples s = {0};
  /* 10/s for 3 steps of 10 s, a restart (back to 5), a gap, 10/s. */
  const double v[] = {1000, 1100, 1200, 5, (double)NAN, 205};
  for(int i = 0; i < 6; i++)
    ASSERT_OK(tel_samples_push(&s, (int64_t)i * 10000, v[i]));
  assert_int_equal(tel_counter_apply(&c, &s, 0), 5);
  ASSERT_NEAR(s.v[0], 10, 1e-12);
  ASSERT_NEAR(s.v[1], 10, 1e-12);
  ASSERT_NEAR(s.v[2], 0.5, 1e-12);  /* the new value, 5, over 10 s */
  assert_true(isnan(s.v[3]));
  ASSERT_NEAR(s.v[4], 10, 1e-12);   /* 200 over the 20 s since 5 */
  assert_int_equal(c.resets, 1);
  /* The state carries over to the next fetch; a repeat is not counted. */
  s.n = 0;
  ASSERT_OK(tel_samples_push(&s, 50000, 205));
  ASSERT_OK(tel_samples_push(&s, 60000, 305));
  assert_int_equal(tel_counter_apply(&c, &s, 0), 1);
  ASSERT_NEAR(s.v[0], 10, 1e-12);
  tel_samples_cleanup(&s);
}

static void prometheus_reply_is_checked_sample_by_sample(void **state) {
  (void)state;
  struct tel_samples s = {0};
  long rejected = 0;
  char err[200];
  const char *ok =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
    "[{\"metric\":{},\"values\":[[60,\"1\"],[120,\"1e-07\"],[120,\"9\"],"
    "[90,\"9\"],[150,\"9\"],[180,\"NaN\"],[240,\"+Inf\"],[300,\"-2\"],"
    "[360,\"2.5\"],[900,\"1\"]]}]}}";
  ASSERT_OK(tel_prom_parse(ok, strlen(ok), 60000, 600000, 60000, &s,
                           &rejected, err, sizeof(err)));
  /* kept: 60, 120, 180 (NaN: missing), 360; refused: the duplicate 120,
   * 90 (out of order), 150 (off the grid), +Inf, -2, 900 (outside). */
  assert_int_equal(s.n, 4);
  assert_int_equal(s.ts_ms[1], 120000);
  ASSERT_NEAR(s.v[1], 1e-7, 1e-20);
  assert_true(isnan(s.v[2]));
  ASSERT_NEAR(s.v[3], 2.5, 0);
  assert_int_equal(rejected, 6);
  const char *bad[] = {
    "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"boom\"}",
    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
    "\"result\":[]}}",
    "[1,2]",
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
    "[{\"values\":[[60,1]]}]}}",
  };
  const int want[] = {PW_EREMOTE, PW_EPARSE, PW_EPARSE, PW_EPARSE};
  for(int i = 0; i < 4; i++)
    assert_int_equal(tel_prom_parse(bad[i], strlen(bad[i]), 0, 600000, 60000,
                                    &s, &rejected, err, sizeof(err)),
                     want[i]);
  assert_string_equal(err, "a sample is not [time, \"value\"]");
  tel_samples_cleanup(&s);
}

/* A counter that jumps by 1e308 in one second: 1e308 * 1000 overflowed
 * to +Inf before the division; no rate that is not finite comes out. */
static void counter_rates_are_finite(void **state) {
  (void)state;
  struct tel_counter c = {0};
  struct tel_samples s = {0};
  const double v[] = {0, 1e308, 1e308, 1.5e308, -1.7e308, 1.7e308};
  for(int i = 0; i < 6; i++)
    ASSERT_OK(tel_samples_push(&s, (int64_t)i * 1000, v[i]));
  size_t n = tel_counter_apply(&c, &s, 0);
  for(size_t i = 0; i < n; i++)
    if(!isfinite(s.v[i]) || s.v[i] < 0)
      fail_msg("rate %zu is %g", i, s.v[i]);
  /* 1e308/s, 0 and 0.5e308/s are finite and kept; the reset to -1.7e308
   * (a negative "increase") and the jump from it to 1.7e308 (+Inf) are
   * refused. */
  assert_int_equal(n, 3);
  ASSERT_NEAR(s.v[0], 1e308, 1e293);
  assert_int_equal(c.rejected, 2);
  tel_samples_cleanup(&s);
}

/* No series is not "no samples": it is an error the daemon reports, so
 * the target goes stale instead of falling to its minimum. */
static void prometheus_no_series_is_an_error(void **state) {
  (void)state;
  struct tel_samples s = {0};
  long rejected = 0;
  char err[200] = "";
  const char *empty = "{\"status\":\"success\",\"data\":{\"resultType\":"
                      "\"matrix\",\"result\":[]}}";
  assert_int_equal(tel_prom_parse(empty, strlen(empty), 0, 600000, 60000, &s,
                                  &rejected, err, sizeof(err)),
                   PW_ENOTFOUND);
  assert_string_equal(err, "query matched no series");
  assert_int_equal(s.n, 0);
  tel_samples_cleanup(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(counter_rates_survive_a_reset),
    cmocka_unit_test(counter_rates_are_finite),
    cmocka_unit_test(prometheus_no_series_is_an_error),
    cmocka_unit_test(prometheus_reply_is_checked_sample_by_sample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
