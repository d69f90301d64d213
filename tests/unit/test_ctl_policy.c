/*
 * The policy rules, one by one.
 */
#include <math.h>

#include "../../controller/ctl_policy.h"
#include "test_util.h"

static struct ctl_policy base_policy(void) {
  return (struct ctl_policy){
    .unit_capacity = 10, .step_s = 60, .lead_steps = 3, .quantile = 0.95,
    .headroom = 0, .floor_utilization = 1, .fallback_utilization = 0.7,
    .min = 0, .max = 1000, .max_error_ratio = 2};
}

static struct ctl_target_state base_state(void) {
  return (struct ctl_target_state){
    .now_ms = 1000000, .current_load = 50, .lag_load = (double)NAN,
    .current = 5, .forecast_ok = 1, .error_ratio = 0.5};
}

/* A path whose quantile 0 at horizons 1..3 is q1, q2, q3. */
static struct fc_path path3(double q1, double q2, double q3) {
  static double mean[3], sd[3], q[3];
  q[0] = q1;
  q[1] = q2;
  q[2] = q3;
  return (struct fc_path){.h = 3, .nq = 1, .cap_h = 3, .cap_q = 1,
                          .mean = mean, .sd = sd, .q = q};
}

static void predictive_takes_highest_quantile_in_lead(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(40, 121, 80);
  struct ctl_decision d;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.predictive, 13);   /* ceil(121 / 10) */
  assert_int_equal(d.desired, 13);
  assert_int_equal(d.floor, 5);         /* ceil(50 / 10 / 1.0) */
  assert_int_equal(d.reasons, CTL_R(PREDICTIVE));
  ASSERT_NEAR(d.predicted, 121, 0);
  /* Headroom multiplies the forecast before rounding up. */
  p.headroom = 0.1;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 14);      /* ceil(13.31) */
  /* Exact multiples are not rounded up by floating-point dust. */
  p.headroom = 0;
  path = path3(30.000000000001, 0, 0);
  s.current_load = 0;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 3);
}

static void reactive_floor_and_momentum(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(10, 10, 10);
  struct ctl_decision d;
  s.current_load = 72;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 8);
  assert_int_equal(d.reasons, CTL_R(REACTIVE_FLOOR));
  p.floor_utilization = 0.8;            /* 72 / 10 / 0.8 = 9 */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 9);
  /* A rise of 30 over the lead steps is extended over the next ones. */
  p.floor_utilization = 1;
  p.momentum = 1;
  s.lag_load = 42;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.floor, 11);        /* ceil((72 + 30) / 10) */
  s.lag_load = 90;                      /* falling: no extension */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.floor, 8);
  /* No floor at all when its utilisation is 0 (Lambda). */
  p.floor_utilization = 0;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.floor, 0);
  assert_int_equal(d.desired, 1);
}

static void fallback_without_forecast_or_when_error_is_poor(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(500, 500, 500);
  struct ctl_decision d;
  s.forecast_ok = 0;                    /* under two seasons of history */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 8);       /* ceil(50 / 10 / 0.7) */
  assert_true(d.reasons & CTL_R(FALLBACK));
  assert_int_equal(d.predictive, -1);
  s.forecast_ok = 1;
  s.error_ratio = 2.5;                  /* worse than persistence */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 8);
  assert_true(d.reasons & CTL_R(FALLBACK));
  ctl_policy_decide(&p, &s, NULL, &d);  /* no path */
  assert_true(d.reasons & CTL_R(FALLBACK));
  /* Lambda: the fallback requests nothing beyond min. */
  p.fallback_utilization = 0;
  p.min = 2;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 5);       /* the floor (50/10) still holds */
  p.floor_utilization = 0;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 2);
  assert_true(d.reasons & CTL_R(MIN));
}

static void bounds(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(400, 0, 0);
  struct ctl_decision d;
  p.max = 25;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 25);
  assert_true(d.reasons & CTL_R(MAX));
  path = path3(0, 0, 0);
  s.current_load = 0;
  p.min = 3;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 3);
  assert_true(d.reasons & CTL_R(MIN));
}

static void scale_down_is_stabilised_and_stepped(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(20, 20, 20);
  struct ctl_decision d;
  long recent[3] = {9, 14, 6};
  s.current_load = 10;
  s.current = 14;
  s.recent = recent;
  s.nrecent = 3;
  p.stabilization_steps = 3;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.recommendation, 2);
  assert_int_equal(d.desired, 14);      /* the highest in the window */
  assert_true(d.reasons & CTL_R(STABILIZED));
  /* Scale-up is immediate whatever the window holds. */
  path = path3(300, 0, 0);
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 30);
  assert_false(d.reasons & CTL_R(STABILIZED));
  /* At most a step down: 20% of 14 is 2.8, so down to 11 at the least. */
  path = path3(20, 20, 20);
  s.nrecent = 0;
  p.max_step_down = 0.2;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 11);
  assert_true(d.reasons & CTL_R(STEP_LIMIT));
}

static void scheduled_floor_starts_one_lead_early(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(10, 10, 10);
  struct ctl_decision d;
  /* An event from t = 1,000,000 + 200 s, lead 3 steps of 60 s = 180 s. */
  struct ctl_schedule ev = {.start_ms = 1200000, .end_ms = 1800000,
                            .min_instances = 40};
  p.schedules = &ev;
  p.nschedules = 1;
  s.now_ms = 1200000 - 181000;          /* before the lead window */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 5);
  s.now_ms = 1200000 - 180000;          /* warm by the start */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 40);
  assert_true(d.reasons & CTL_R(SCHEDULED));
  s.now_ms = 1800000;                   /* over */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 5);
}

static void budget_stops_extra_capacity_not_the_floor(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(200, 200, 200);
  struct ctl_decision d;
  p.budget_instance_hours = 10;
  s.spent_s = 9.9 * 3600;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 20);
  s.spent_s = 10 * 3600;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 5);       /* the reactive floor stays */
  assert_true(d.reasons & CTL_R(BUDGET));
}

static void stale_data_holds_capacity(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(10, 10, 10);
  struct ctl_decision d;
  s.current = 30;
  s.stale = 1;                          /* load 50 and forecast say 5 */
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.recommendation, 5);
  assert_int_equal(d.desired, 30);
  assert_true(d.reasons & CTL_R(STALE));
  /* Without a load at all, the floor holds what is there. */
  s.stale = 0;
  s.current_load = (double)NAN;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.floor, 30);
  assert_int_equal(d.desired, 30);
}

static void lambda_uses_littles_law(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  /* 600 invocations a minute of 2 s each: 600 * 2 / 60 = 20 busy. */
  p.unit_capacity = 1;
  p.duration_ms = 2000;
  ASSERT_NEAR(ctl_policy_instances(&p, 600), 20, 1e-12);
}

static void checks_and_reason_names(void **state) {
  (void)state;
  char err[128], buf[128];
  struct ctl_policy p = base_policy();
  ASSERT_OK(ctl_policy_check(&p, err, sizeof(err)));
  p.unit_capacity = -1;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
  assert_non_null(strstr(err, "unit capacity"));
  p = base_policy();
  p.min = 5;
  p.max = 4;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
  p = base_policy();
  p.quantile = 1;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
  ctl_reasons_format(CTL_R(PREDICTIVE) | CTL_R(STABILIZED) | CTL_R(MAX), buf,
                     sizeof(buf));
  assert_string_equal(buf, "predictive,max,stabilized");
}

/* The surge guard, step by step: started by a rise above the ratio times
 * the steps before, held from the last such rise, serving the base plus
 * the factor times the rise to the peak. */
static void surge_guard_starts_holds_and_ends(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_surge sg = {0};
  /* Off: nothing, and no state kept. */
  assert_true(ctl_surge_step(&p, &sg, 500, 100) <= 0);
  assert_int_equal(sg.left, 0);
  p.surge_ratio = 1.5;
  p.surge_factor = 4;
  p.surge_hold_steps = 3;
  assert_true(ctl_surge_step(&p, &sg, 140, 100) <= 0);   /* 1.4x: no */
  assert_true(ctl_surge_step(&p, &sg, 900, 0) <= 0);     /* from nothing */
  assert_true(ctl_surge_step(&p, &sg, 700, (double)NAN) <= 0);
  ASSERT_NEAR(ctl_surge_step(&p, &sg, 200, 100), 100 + 4 * 100, 1e-9);
  /* A higher load raises the peak, not the base; a lower one holds. */
  ASSERT_NEAR(ctl_surge_step(&p, &sg, 250, 200), 100 + 4 * 150, 1e-9);
  /* A new rise above the ratio restarts the hold: 3 steps from it. */
  ASSERT_NEAR(ctl_surge_step(&p, &sg, 240, 150), 700, 1e-9);
  ASSERT_NEAR(ctl_surge_step(&p, &sg, 100, 240), 700, 1e-9);
  ASSERT_NEAR(ctl_surge_step(&p, &sg, (double)NAN, 240), 700, 1e-9);
  assert_true(ctl_surge_step(&p, &sg, 100, 240) <= 0);   /* ended */
  /* The next surge has its own base. */
  ASSERT_NEAR(ctl_surge_step(&p, &sg, 400, 200), 200 + 4 * 200, 1e-9);
}

static void surge_raises_the_decision_within_bounds(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(60, 60, 60);
  struct ctl_decision d;
  p.surge_ratio = 1.5;
  p.surge_factor = 4;
  p.surge_hold_steps = 60;
  s.surge_load = 700;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 70);
  assert_int_equal(d.reasons, CTL_R(PREDICTIVE) | CTL_R(SURGE));
  /* Below the forecast it changes nothing and is not a reason. */
  s.surge_load = 30;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 6);
  assert_int_equal(d.reasons, CTL_R(PREDICTIVE));
  /* Max bounds it; a spent budget stops it as any extra capacity. */
  s.surge_load = 700;
  p.max = 20;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 20);
  assert_int_equal(d.reasons, CTL_R(PREDICTIVE) | CTL_R(SURGE) | CTL_R(MAX));
  p.max = 1000;
  p.budget_instance_hours = 1;
  s.spent_s = 3600;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 5);
  assert_true(d.reasons & CTL_R(BUDGET));
  /* Checks: a ratio of 1 or less, a factor under 1, no hold. */
  char err[128];
  ASSERT_OK(ctl_policy_check(&p, err, sizeof(err)));
  p.surge_ratio = 1;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
  p.surge_ratio = 2;
  p.surge_factor = 0.5;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
  p.surge_factor = 2;
  p.surge_hold_steps = 0;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
}

/* The calibrated guard: it acts once the load it would have served per
 * instance-step it adds is at least surge_pay times what one instance
 * more at every step would have served per step. */
static void surge_pays_for_itself_or_stays_off(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(60, 60, 60);
  struct ctl_surge sg = {0}, noise = {0};
  struct ctl_decision d;
  p.surge_ratio = 1.5;
  p.surge_factor = 4;
  p.surge_hold_steps = 60;
  /* Without calibration the guard always acts. */
  assert_true(ctl_surge_pays(&p, &sg));
  p.surge_pay = 0.5;
  /* No evidence yet: off. */
  assert_false(ctl_surge_pays(&p, &sg));
  /* Quiet steps served by what was ready: nothing for either. */
  for(int i = 0; i < 98; i++)
    ctl_surge_account(&p, &sg, 50, 5, 5, 0);
  ASSERT_NEAR(sg.steps, 98, 1e-12);
  ASSERT_NEAR(sg.margin_gain, 0, 1e-12);
  /* A crowd of 150 (15 instances) meets 20 ready with the guard, 10
   * without: it serves 5, one instance more would have served 1. */
  ctl_surge_account(&p, &sg, 150, 20, 10, 10);
  ASSERT_NEAR(sg.gain, 5, 1e-12);
  ASSERT_NEAR(sg.margin_gain, 1, 1e-12);
  ctl_surge_account(&p, &sg, 100, 20, 10, 10);
  ASSERT_NEAR(sg.spend, 20, 1e-12);
  /* 5 per 20 instance-steps against 1 per 100 steps: it pays. */
  assert_true(ctl_surge_pays(&p, &sg));
  /* No data is no step. */
  ctl_surge_account(&p, &sg, (double)NAN, 20, 10, 0);
  ASSERT_NEAR(sg.steps, 100, 1e-12);
  ASSERT_NEAR(sg.gain, 5, 1e-12);
  /* Noise: every step one instance short, which the guard serves by
   * adding 3; one instance more everywhere serves as much for 1. */
  for(int i = 0; i < 100; i++)
    ctl_surge_account(&p, &noise, 60, 7, 5, 3);
  ASSERT_NEAR(noise.gain, 100, 1e-9);
  ASSERT_NEAR(noise.margin_gain, 100, 1e-9);
  assert_false(ctl_surge_pays(&p, &noise));
  p.surge_pay = 0.3;
  assert_true(ctl_surge_pays(&p, &noise));
  /* The decision says what it would be without the guard. */
  s.surge_load = 700;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.desired, 70);
  assert_int_equal(d.unsurged, 6);
  s.surge_load = 0;
  ctl_policy_decide(&p, &s, &path, &d);
  assert_int_equal(d.unsurged, 6);
  assert_int_equal(d.recommendation, 6);
  char err[128];
  ASSERT_OK(ctl_policy_check(&p, err, sizeof(err)));
  p.surge_pay = -1;
  assert_int_equal(ctl_policy_check(&p, err, sizeof(err)), PW_EINVAL);
}

/* Same inputs, same decision: the policy keeps no state. */
static void deterministic(void **state) {
  (void)state;
  struct ctl_policy p = base_policy();
  struct ctl_target_state s = base_state();
  struct fc_path path = path3(77, 91, 12);
  struct ctl_decision a, b;
  ctl_policy_decide(&p, &s, &path, &a);
  ctl_policy_decide(&p, &s, &path, &b);
  assert_memory_equal(&a, &b, sizeof(a));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(predictive_takes_highest_quantile_in_lead),
    cmocka_unit_test(reactive_floor_and_momentum),
    cmocka_unit_test(fallback_without_forecast_or_when_error_is_poor),
    cmocka_unit_test(bounds),
    cmocka_unit_test(scale_down_is_stabilised_and_stepped),
    cmocka_unit_test(scheduled_floor_starts_one_lead_early),
    cmocka_unit_test(budget_stops_extra_capacity_not_the_floor),
    cmocka_unit_test(stale_data_holds_capacity),
    cmocka_unit_test(lambda_uses_littles_law),
    cmocka_unit_test(checks_and_reason_names),
    cmocka_unit_test(surge_guard_starts_holds_and_ends),
    cmocka_unit_test(surge_raises_the_decision_within_bounds),
    cmocka_unit_test(surge_pays_for_itself_or_stays_off),
    cmocka_unit_test(deterministic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
