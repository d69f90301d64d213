/*
 * Period detection on synthetic, timer-like and aperiodic series.
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../common/pw_alloc.h"
#include "../../forecast/fc_period.h"
#include "test_util.h"

static void sine_with_noise_and_trend(void **state) {
  (void)state;
  static double y[2000];
  uint64_t s = 1;
  for(int t = 0; t < 2000; t++)
    y[t] = 50 + 0.05 * t + 10 * sin(2 * M_PI * t / 24.0) +
           8 * test_noise(&s);
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect(y, 2000, 0, &pi));
  assert_int_equal(pi.period, 24);
  assert_true(pi.strength > 0.5);
}

/* A function fired by a timer every 15 minutes, idle otherwise. */
static void timer_every_15_steps(void **state) {
  (void)state;
  double y[480];
  uint64_t s = 2;
  for(int t = 0; t < 480; t++) {
    y[t] = t % 15 == 0 ? 1 : 0;
    if(test_noise(&s) > 0.45)
      y[t] += 1;  /* occasional other invocations */
  }
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect(y, 480, 0, &pi));
  assert_int_equal(pi.period, 15);
}

/* An hourly timer whose firing drifts by a minute: still about 60. */
static void jittered_hourly_timer(void **state) {
  (void)state;
  double y[480] = {0};
  uint64_t s = 3;
  for(int k = 0; k < 8; k++) {
    int t = 60 * k + 5 + (test_noise(&s) > 0.2 ? 1 : 0);
    y[t] = 30;
    y[t + 1] = 12;
  }
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect(y, 480, 0, &pi));
  assert_true(pi.period >= 59 && pi.period <= 61);
}

static void daily_inside_weekly(void **state) {
  (void)state;
  static double y[24 * 7 * 6];
  size_t n = sizeof(y) / sizeof(y[0]);
  uint64_t s = 4;
  for(size_t t = 0; t < n; t++) {
    double day = 20 * sin(2 * M_PI * (double)t / 24.0);
    double week = (t / 24) % 7 >= 5 ? 0.4 : 1.0;
    y[t] = 100 + day * week + 5 * test_noise(&s);
  }
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect(y, n, 0, &pi));
  assert_int_equal(pi.period, 24);
  assert_int_equal(pi.period2, 168);
}

static void no_period_in_noise_or_constant(void **state) {
  (void)state;
  static double y[3000];
  uint64_t s = 5;
  for(int t = 0; t < 3000; t++)
    y[t] = 10 + test_noise(&s);
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect(y, 3000, 0, &pi));
  assert_int_equal(pi.period, 0);
  /* Intermittent without a timer: rare random invocations. */
  for(int t = 0; t < 3000; t++)
    y[t] = test_noise(&s) > 0.48 ? 1 : 0;
  ASSERT_OK(fc_period_detect(y, 3000, 0, &pi));
  assert_int_equal(pi.period, 0);
  for(int t = 0; t < 3000; t++)
    y[t] = 7;
  ASSERT_OK(fc_period_detect(y, 3000, 0, &pi));
  assert_int_equal(pi.period, 0);
}

static void missing_values_and_limits(void **state) {
  (void)state;
  static double y[1000];
  for(int t = 0; t < 1000; t++)
    y[t] = (t % 100 > 80) ? (double)NAN : 10 * sin(2 * M_PI * t / 20.0);
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect(y, 1000, 0, &pi));
  assert_int_equal(pi.period, 20);
  /* max_period below the true period finds nothing at 20. */
  ASSERT_OK(fc_period_detect(y, 1000, 10, &pi));
  assert_true(pi.period != 20);
  double few[5] = {1, 2, 3, 4, 5};
  assert_int_equal(fc_period_detect(few, 5, 0, &pi), PW_ETOOSHORT);
}

/* Two humps a day, 10 hours apart: without the calendar the strongest
 * short cycle wins; knowing the day, the day does. */
static void calendar_prefers_the_day(void **state) {
  (void)state;
  static double y[288 * 7];
  size_t n = sizeof(y) / sizeof(y[0]);
  uint64_t s = 6;
  for(size_t t = 0; t < n; t++) {
    double h = (double)(t % 288) / 12.0;
    y[t] = 10 + 40 * exp(-pow((h - 10) / 1.5, 2)) +
           30 * exp(-pow((h - 20) / 1.5, 2)) + 2 * test_noise(&s);
  }
  struct fc_period_info pi;
  ASSERT_OK(fc_period_detect_calendar(y, n, 0, 0, 288, &pi));
  assert_int_equal(pi.period, 288);
  /* Too little history for three days: the calendar has no say. */
  ASSERT_OK(fc_period_detect_calendar(y, 288 * 2, 0, 0, 288, &pi));
  assert_true(pi.period != 288);
  /* A period of whole days is the day. */
  static double z[288 * 12];
  for(size_t t = 0; t < 288 * 12; t++)
    z[t] = (t / 288) % 3 == 0 ? 50 + 10 * sin(2 * M_PI * (double)t / 288)
                              : 10 + 10 * sin(2 * M_PI * (double)t / 288);
  ASSERT_OK(fc_period_detect_calendar(z, 288 * 12, 0, 0, 288, &pi));
  assert_int_equal(pi.period, 288);
}

/*
 * A constant series has no period, and detection says so without
 * allocating or running the FFT: a controller with an idle target
 * retries every few steps, and plan on 20,160 zero rows took 41.6 s
 * (issue #12 item 13).  No allocation stands in for "fast" here.
 */
static void constant_series_answered_without_work(void **state) {
  (void)state;
  static double y[20160];
  size_t n = sizeof(y) / sizeof(y[0]);
  struct fc_period_info pi;
  for(int v = 0; v < 2; v++) {
    for(size_t t = 0; t < n; t++)
      y[t] = v ? 250 : 0;
    y[7] = (double)NAN;
    pw_alloc_fail_after(0);
    int rc = fc_period_detect_calendar(y, n, 0, 0, 1440, &pi);
    pw_alloc_fail_after(-1);
    ASSERT_OK(rc);
    assert_int_equal(pi.period, 0);
  }
  /* Seven observed values are still too few. */
  for(size_t t = 0; t < 20; t++)
    y[t] = t < 7 ? 3 : (double)NAN;
  assert_int_equal(fc_period_detect(y, 20, 0, &pi), PW_ETOOSHORT);
  /* A straight line (rounding residuals only) has none either. */
  for(size_t t = 0; t < n; t++)
    y[t] = 1e6 + 3.7 * (double)t;
  ASSERT_OK(fc_period_detect(y, n, 0, &pi));
  assert_int_equal(pi.period, 0);
}

/* A few huge outliers do not hide the season from detection. */
static void huge_spikes_do_not_hide_the_period(void **state) {
  (void)state;
  static double y[1440 * 14];
  size_t n = sizeof(y) / sizeof(y[0]);
  uint64_t s = 9;
  for(size_t t = 0; t < n; t++)
    y[t] = 3000 + 1500 * sin(2 * M_PI * (double)t / 1440) +
           100 * test_noise(&s);
  struct fc_period_info pi;
  y[5000] = 1e15;
  ASSERT_OK(fc_period_detect_calendar(y, n, 0, 0, 1440, &pi));
  assert_int_equal(pi.period, 1440);
  ASSERT_OK(fc_period_detect(y, n, 0, &pi));
  assert_int_equal(pi.period, 1440);
  y[100] = 1e300;
  y[9000] = -1e12;
  y[15000] = 1e15;
  ASSERT_OK(fc_period_detect(y, n, 0, &pi));
  assert_int_equal(pi.period, 1440);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sine_with_noise_and_trend),
    cmocka_unit_test(timer_every_15_steps),
    cmocka_unit_test(jittered_hourly_timer),
    cmocka_unit_test(daily_inside_weekly),
    cmocka_unit_test(no_period_in_noise_or_constant),
    cmocka_unit_test(missing_values_and_limits),
    cmocka_unit_test(calendar_prefers_the_day),
    cmocka_unit_test(constant_series_answered_without_work),
    cmocka_unit_test(huge_spikes_do_not_hide_the_period),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
