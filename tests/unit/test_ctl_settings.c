/*
 * A target's settings from its configuration: the platform's defaults,
 * the constants, and the source's lag, which the policy's staleness
 * allows for (a CloudWatch target whose data is 3 minutes behind is not
 * stale, and gives capacity back).
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../actuators/act_dryrun.h"
#include "../../common/pw_alloc.h"
#include "../../controller/ctl_settings.h"
#include "../../telemetry/tel_cw.h"
#include "test_target.h"
#include "test_util.h"

static void platform_defaults(void **state) {
  (void)state;
  struct cfg_target t;
  struct ctl_target_cfg c;
  struct ctl_schedule *sched = NULL;
  test_target(&t, 60000, 120000, 10, 100);
  t.quantile = 0;
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.quantile, CTL_QUANTILE_KUBERNETES, 0);
  ASSERT_NEAR(c.policy.fallback_utilization, CTL_FALLBACK_UTILIZATION, 0);
  ASSERT_NEAR(c.policy.max_error_ratio, CTL_MAX_ERROR_RATIO_KUBERNETES, 0);
  assert_int_equal(c.policy.lead_steps, 3);  /* the warm-up and one tick */
  assert_int_equal(c.fit_seasons, CTL_FIT_SEASONS);
  pw_free(sched);
  t.actuator = CFG_ACT_DRYRUN;
  static char lambda[] = "lambda";
  t.dry_platform = lambda;  /* dryrun: {platform: lambda} */
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.quantile, CTL_QUANTILE_LAMBDA, 0);
  ASSERT_NEAR(c.policy.floor_utilization, 0, 0);
  ASSERT_NEAR(c.policy.fallback_utilization, 0, 0);
  ASSERT_NEAR(c.policy.max_error_ratio, CTL_MAX_ERROR_RATIO_LAMBDA, 0);
  pw_free(sched);
}

/* The surge guard: by default it calibrates itself on Kubernetes and is
 * off on Lambda; a ratio given alone is the guard acting on every surge;
 * surge_pay 0 without a ratio is no guard. */
static void surge_guard_defaults(void **state) {
  (void)state;
  struct cfg_target t;
  struct ctl_target_cfg c;
  struct ctl_schedule *sched = NULL;
  test_target(&t, 60000, 120000, 10, 100);
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.surge_ratio, CTL_SURGE_RATIO_AUTO, 0);
  ASSERT_NEAR(c.policy.surge_pay, CTL_SURGE_PAY, 0);
  assert_int_equal(c.policy.surge_hold_steps, 60);
  pw_free(sched);
  t.surge_ratio = 2;
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.surge_ratio, 2, 0);
  ASSERT_NEAR(c.policy.surge_pay, 0, 0);
  pw_free(sched);
  t.surge_pay = 0.25;
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.surge_pay, 0.25, 0);
  pw_free(sched);
  t.surge_ratio = 0;
  t.surge_pay = 0;
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.surge_ratio, 0, 0);
  pw_free(sched);
  /* Lambda: no guard unless configured. */
  t.surge_pay = -1;
  t.actuator = CFG_ACT_LAMBDA;
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_NEAR(c.policy.surge_ratio, 0, 0);
  ASSERT_NEAR(c.policy.surge_pay, 0, 0);
  pw_free(sched);
}

static void source_lags(void **state) {
  (void)state;
  struct cfg_target t;
  test_target(&t, 60000, 60000, 10, 100);
  t.source = CFG_SRC_PROMETHEUS;
  assert_int_equal(ctl_settings_lag(&t), 0);
  t.source = CFG_SRC_REMOTE_WRITE;
  assert_int_equal(ctl_settings_lag(&t), 60000);
  t.source = CFG_SRC_CLOUDWATCH;
  assert_int_equal(ctl_settings_lag(&t), TEL_CW_SETTLE_MS);
  t.lag_ms = 5000;
  assert_int_equal(ctl_settings_lag(&t), 5000);
}

/* Data that is as late as the source's lag is current: after a burst the
 * target gives capacity back instead of holding it as stale. */
static void late_by_its_lag_is_not_stale(void **state) {
  (void)state;
  struct cfg_target t;
  struct ctl_target_cfg c;
  struct ctl_schedule *sched = NULL;
  struct ctl_target *tg = NULL;
  struct act *act = NULL;
  char err[128];
  test_target(&t, 60000, 60000, 10, 100);
  t.source = CFG_SRC_CLOUDWATCH;
  ASSERT_OK(ctl_settings_target(&t, 0, 0, &c, &sched));
  ASSERT_OK(ctl_target_new(&c, &tg, err, sizeof(err)));
  ASSERT_OK(act_dryrun_new(NULL, &act));
  enum { N = 30 };
  int64_t ts[N + 1];
  double v[N + 1];
  for(int i = 0; i <= N; i++) {
    ts[i] = (int64_t)i * 60000;
    v[i] = i < N ? 500 : 20;  /* a burst, then the load falls */
  }
  struct ctl_decision d;
  struct act_capacity cap;
  ctl_target_observe(tg, ts, v, N);
  int64_t now = (int64_t)N * 60000 + TEL_CW_SETTLE_MS;
  ASSERT_OK(ctl_target_tick(tg, now, act, &d, &cap));
  long high = d.desired;
  assert_true(high >= 50);
  /* The next step arrives as late as CloudWatch's data does. */
  ctl_target_observe(tg, ts + N, v + N, 1);
  ASSERT_OK(ctl_target_tick(tg, now + 60000, act, &d, &cap));
  assert_false(d.reasons & CTL_R(STALE));
  assert_true(d.desired < high);
  /* (Without the lag the same data was 3 steps old: stale, and the
   * burst's capacity held.) */
  act_free(&act);
  ctl_target_free(&tg);
  pw_free(sched);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(platform_defaults),
    cmocka_unit_test(surge_guard_defaults),
    cmocka_unit_test(source_lags),
    cmocka_unit_test(late_by_its_lag_is_not_stale),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
