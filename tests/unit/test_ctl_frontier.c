/*
 * The reactive frontier (issue #13): the envelope as score_plan.py
 * --frontier builds it, interpolation at equal cost and equal loss (and
 * nothing outside the range), the cheapest point meeting an SLO, the
 * reactive baseline at any utilisation, and the money arithmetic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../controller/ctl_baseline.h"
#include "../../controller/ctl_frontier.h"
#include "test_util.h"

#define PT(u, c, l) \
  {.utilization = (u), .quantile = (double)NAN, .headroom = (double)NAN, \
   .instance_seconds = (c), .loss = (l)}

static void envelope_keeps_lower_left(void **state) {
  (void)state;
  struct ctl_frontier_point pts[] = {
    PT(0.5, 300, 0.02), PT(0.9, 100, 0.10), PT(0.7, 200, 0.05),
    PT(0.6, 250, 0.06),  /* dominated by 0.7: dearer and worse */
    PT(0.8, 200, 0.07),  /* same cost as 0.7, worse */
  };
  struct ctl_frontier_point env[5];
  size_t k = ctl_frontier_envelope(pts, 5, env);
  assert_int_equal(k, 3);
  ASSERT_NEAR(env[0].utilization, 0.9, 0);
  ASSERT_NEAR(env[1].utilization, 0.7, 0);
  ASSERT_NEAR(env[2].utilization, 0.5, 0);
}

static void interpolates_within_range_only(void **state) {
  (void)state;
  struct ctl_frontier_point env[] = {
    PT(0.9, 100, 0.10), PT(0.7, 200, 0.05), PT(0.5, 300, 0.01)};
  double v;
  assert_int_equal(ctl_frontier_loss_at(env, 3, 150, &v), 0);
  ASSERT_NEAR(v, 0.075, 1e-12);
  assert_int_equal(ctl_frontier_loss_at(env, 3, 300, &v), 0);
  ASSERT_NEAR(v, 0.01, 1e-12);
  assert_int_equal(ctl_frontier_loss_at(env, 3, 100, &v), 0);
  ASSERT_NEAR(v, 0.10, 1e-12);
  assert_int_equal(ctl_frontier_loss_at(env, 3, 99.9, &v), -1);
  assert_int_equal(ctl_frontier_loss_at(env, 3, 300.1, &v), -1);
  assert_int_equal(ctl_frontier_loss_at(env, 0, 150, &v), -1);

  assert_int_equal(ctl_frontier_cost_at(env, 3, 0.03, &v), 0);
  ASSERT_NEAR(v, 250, 1e-9);
  assert_int_equal(ctl_frontier_cost_at(env, 3, 0.10, &v), 0);
  ASSERT_NEAR(v, 100, 1e-9);
  assert_int_equal(ctl_frontier_cost_at(env, 3, 0.2, &v), -1);
  assert_int_equal(ctl_frontier_cost_at(env, 3, 0.005, &v), -1);
}

static void cheapest_meets_the_slo(void **state) {
  (void)state;
  struct ctl_frontier_point pts[] = {
    PT(0.9, 100, 0.10), PT(0.7, 200, 0.05), PT(0.5, 300, 0.01)};
  assert_int_equal(ctl_frontier_cheapest(pts, 3, 0.05), 1);
  assert_int_equal(ctl_frontier_cheapest(pts, 3, 0.2), 0);
  assert_int_equal(ctl_frontier_cheapest(pts, 3, 0.001), -1);
}

static void compare_ratios_and_nulls(void **state) {
  (void)state;
  struct ctl_frontier_point env[] = {
    PT(0.9, 100, 0.10), PT(0.7, 200, 0.05), PT(0.5, 300, 0.01)};
  struct ctl_frontier f;
  memset(&f, 0, sizeof(f));
  f.frontier = env;
  f.nfrontier = 3;
  f.chosen = (struct ctl_frontier_point)PT((double)NAN, 150, 0.03);
  ctl_frontier_compare(&f);
  ASSERT_NEAR(f.at_cost_loss, 0.075, 1e-12);
  ASSERT_NEAR(f.equal_cost_loss_ratio, 0.4, 1e-12);
  ASSERT_NEAR(f.at_loss_cost, 250, 1e-9);
  ASSERT_NEAR(f.equal_loss_cost_ratio, 0.6, 1e-12);
  /* Cheaper than the frontier and better than its best: both null. */
  f.chosen = (struct ctl_frontier_point)PT((double)NAN, 50, 0.001);
  ctl_frontier_compare(&f);
  assert_true(isnan(f.equal_cost_loss_ratio));
  assert_true(isnan(f.equal_loss_cost_ratio));
}

static void reactive_at_generalises_reactive(void **state) {
  (void)state;
  double need[] = {3, 7, 10, 2, 2, 2, 2, 2, 9, 1};
  double a[10], b[10];
  ctl_baseline_reactive(need, 10, 60, a);
  ctl_baseline_reactive_at(need, 10, 60, 0.7, b);
  assert_memory_equal(a, b, sizeof(a));
  ctl_baseline_reactive_at(need, 10, 60, 0.3, b);
  /* ceil(7 / 0.3) = 24 at t = 2, held for the 300 s window. */
  ASSERT_NEAR(b[2], 24, 0);
  ASSERT_NEAR(b[2 + 4], ceil(10 / 0.3), 0);
}

static void money_arithmetic(void **state) {
  (void)state;
  struct ctl_frontier_prices p;
  struct ctl_frontier_money m;
  ctl_frontier_prices_default(&p);
  double load[] = {0, 120, 240}, desired[] = {9, 2, 3}, ready[] = {9, 2, 1};
  struct act_sim_model k8s = {.platform = ACT_KUBERNETES, .unit = 100,
                              .step_s = 3600};
  /* From step 1: 5 instance-hours at $0.048. */
  ctl_frontier_money(&k8s, &p, load, desired, ready, 3, 1, &m);
  ASSERT_NEAR(m.total, 5 * 0.048, 1e-12);
  /* Lambda, 2048 MB, 1 s invocations, 60 s steps: concurrency 2 and 4;
   * ready 2 and 1 environments of 1. */
  struct act_sim_model lam = {.platform = ACT_LAMBDA, .unit = 1,
                              .duration_ms = 1000, .step_s = 60};
  p.memory_mb = 2048;
  ctl_frontier_money(&lam, &p, load, desired, ready, 3, 1, &m);
  double pc = (2 + 3) * 60 * 2.0 * 0.0000041667;
  double warm = (2 + 1) * 60 * 2.0 * 0.0000097222;
  double cold = (0 + 3) * 60 * 2.0 * 0.0000166667;
  ASSERT_NEAR(m.capacity, pc, 1e-12);
  ASSERT_NEAR(m.duration, warm + cold, 1e-12);
  ASSERT_NEAR(m.requests, 360 * 0.20 / 1e6, 1e-15);
  ASSERT_NEAR(m.total, pc + warm + cold + 360 * 0.20 / 1e6, 1e-12);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(envelope_keeps_lower_left),
    cmocka_unit_test(interpolates_within_range_only),
    cmocka_unit_test(cheapest_meets_the_slo),
    cmocka_unit_test(compare_ratios_and_nulls),
    cmocka_unit_test(reactive_at_generalises_reactive),
    cmocka_unit_test(money_arithmetic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
