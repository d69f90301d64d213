/*
 * The platform model and the baselines on small traces worked by hand.
 */
#include <math.h>

#include "../../actuators/act_sim.h"
#include "../../controller/ctl_replay.h"
#include "test_util.h"

static void kubernetes_by_hand(void **state) {
  (void)state;
  struct act_sim_model m = {.platform = ACT_KUBERNETES, .unit = 10,
                            .step_s = 60, .warmup_steps = 2};
  double load[6] = {10, 30, 30, 50, 0, 0};
  double desired[6] = {1, 3, 3, 3, 5, 5};
  double ready[6], lost[6];
  struct act_sim_score s;
  ASSERT_OK(act_sim_score(&m, load, desired, 6, 0, ready, lost, &s));
  double want_ready[6] = {1, 1, 1, 3, 3, 3};
  double want_lost[6] = {0, 20, 20, 20, 0, 0};
  for(int t = 0; t < 6; t++) {
    ASSERT_NEAR(ready[t], want_ready[t], 0);
    ASSERT_NEAR(lost[t], want_lost[t], 0);
  }
  ASSERT_NEAR(s.instance_seconds, 20 * 60, 0);
  ASSERT_NEAR(s.unserved, 60, 0);
  ASSERT_NEAR(s.unserved_fraction, 0.5, 1e-12);
  /* Scored from step 2. */
  ASSERT_OK(act_sim_score(&m, load, desired, 6, 2, NULL, NULL, &s));
  ASSERT_NEAR(s.instance_seconds, 16 * 60, 0);
  ASSERT_NEAR(s.unserved, 40, 0);
  ASSERT_NEAR(s.load, 80, 0);
}

static void lambda_cold_starts_by_hand(void **state) {
  (void)state;
  struct act_sim_model m = {.platform = ACT_LAMBDA, .unit = 1, .step_s = 60,
                            .warmup_steps = 1, .keepalive_steps = 2};
  double load[7] = {2, 0, 3, 3, 0, 0, 4};
  double desired[7] = {0, 0, 1, 1, 1, 0, 0};
  double lost[7];
  struct act_sim_score s;
  ASSERT_OK(act_sim_score(&m, load, desired, 7, 0, NULL, lost, &s));
  /* spill 2 0 3 2 0 0 4; warm 0 2 2 3 3 2 0; cold 2 0 1 0 0 0 4. */
  double want[7] = {2, 0, 1, 0, 0, 0, 4};
  for(int t = 0; t < 7; t++)
    ASSERT_NEAR(lost[t], want[t], 0);
  ASSERT_NEAR(s.cold_starts, 7, 0);
  ASSERT_NEAR(s.cold_start_fraction, 7.0 / 12.0, 1e-12);
  /* Little's law: 90 invocations of 2 s in a 60 s step = 3 busy. */
  m.duration_ms = 2000;
  double l2[1] = {90}, need[1];
  act_sim_needed(&m, l2, 1, need);
  ASSERT_NEAR(need[0], 3, 0);
}

static void overflow_by_hand(void **state) {
  (void)state;
  struct act_sim_model m = {.platform = ACT_KUBERNETES, .unit = 10,
                            .step_s = 60, .warmup_steps = 1};
  double load[6] = {10, 50, 50, 10, 60, 0};
  double desired[6] = {1, 5, 5, 1, 1, 1};
  double ready[6], excess[6], cold[6];
  struct act_sim_score s;
  struct act_sim_overflow o;
  ASSERT_OK(act_sim_score(&m, load, desired, 6, 0, ready, NULL, &s));
  /* ready 1 1 5 1 1 1: the burst at 1 and the one at 4 overflow. */
  ASSERT_OK(act_sim_overflow(&m, 3000, 2, load, ready, 6, 0, excess, cold,
                             &o));
  double want_ex[6] = {0, 40, 0, 0, 50, 0};
  /* Concurrency ceil(40 * 3 / 60) = 2, ceil(50 * 3 / 60) = 3; step 1's
   * two environments are cold by step 4 (keep-alive 2 steps). */
  double want_cold[6] = {0, 2, 0, 0, 3, 0};
  for(int t = 0; t < 6; t++) {
    ASSERT_NEAR(excess[t], want_ex[t], 0);
    ASSERT_NEAR(cold[t], want_cold[t], 0);
  }
  ASSERT_NEAR(o.invocations, 90, 0);
  ASSERT_NEAR(o.busy_seconds, 270, 1e-9);
  ASSERT_NEAR(o.cold_starts, 5, 0);
  ASSERT_NEAR(o.load, 180, 0);
  ASSERT_NEAR(o.cold_start_fraction, 5.0 / 180, 1e-12);
  /* A keep-alive of 3 steps keeps two of step 4's three warm. */
  ASSERT_OK(act_sim_overflow(&m, 3000, 3, load, ready, 6, 0, NULL, cold,
                             &o));
  ASSERT_NEAR(cold[4], 1, 0);
  ASSERT_NEAR(o.cold_starts, 3, 0);
  /* Scored from step 2: only the second burst, still warm from step 1. */
  ASSERT_OK(act_sim_overflow(&m, 3000, 3, load, ready, 6, 2, NULL, NULL,
                             &o));
  ASSERT_NEAR(o.invocations, 50, 0);
  ASSERT_NEAR(o.cold_starts, 1, 0);
  ASSERT_NEAR(o.load, 120, 0);
}

static void baselines_by_hand(void **state) {
  (void)state;
  double need[6] = {1, 3, 3, 5, 0, 0}, out[6];
  double reactive[6] = {2, 2, 5, 5, 8, 8};
  double oracle[6] = {3, 5, 5, 5, 0, 0};
  double snaive[6] = {2, 4, 4, 6, 6, 0};
  ctl_baseline_reactive(need, 6, 60, out);
  for(int t = 0; t < 6; t++)
    ASSERT_NEAR(out[t], reactive[t], 0);
  ctl_baseline_oracle(need, 6, 2, out);
  for(int t = 0; t < 6; t++)
    ASSERT_NEAR(out[t], oracle[t], 0);
  ctl_baseline_static(need, 6, 2, out);
  for(int t = 0; t < 6; t++)
    ASSERT_NEAR(out[t], 3, 0);
  ctl_baseline_snaive(need, 6, 2, 3, 60, out);
  for(int t = 0; t < 6; t++)
    ASSERT_NEAR(out[t], snaive[t], 0);
}

static void sim_actuator_follows_warmup(void **state) {
  (void)state;
  struct act *a = NULL;
  struct act_capacity c;
  long asks[5] = {1, 3, 3, 3, 5};
  long ready[5] = {1, 1, 1, 3, 3};
  ASSERT_OK(act_sim_new(2, &a));
  ASSERT_OK(act_get(a, &c));
  assert_int_equal(c.ready, 0);
  for(int i = 0; i < 5; i++) {
    ASSERT_OK(act_set(a, asks[i], &c));
    assert_int_equal(c.requested, asks[i]);
    assert_int_equal(c.ready, ready[i]);
  }
  act_free(&a);
  assert_null(a);
  assert_int_equal(act_sim_new(-1, &a), PW_EINVAL);
}

/* A warm-up that varies: step t's capacity must have been asked for
 * seq[t % 3] steps; the scoring and the actuator agree step by step. */
static void varying_warmup_by_hand(void **state) {
  (void)state;
  static const int seq[3] = {0, 2, 1};
  struct act_sim_model m = {.platform = ACT_KUBERNETES, .unit = 10,
                            .step_s = 60, .warmup_steps = 1,
                            .warmup_seq = seq, .nwarmup_seq = 3};
  double load[7] = {10, 30, 30, 30, 50, 50, 50};
  double desired[7] = {1, 3, 3, 3, 5, 5, 5};
  double ready[7], lost[7];
  struct act_sim_score s;
  ASSERT_OK(act_sim_score(&m, load, desired, 7, 0, ready, lost, &s));
  /* w: 0 2 1 0 2 1 0 */
  double want_ready[7] = {1, 1, 3, 3, 3, 5, 5};
  double want_lost[7] = {0, 20, 0, 0, 20, 0, 0};
  for(int t = 0; t < 7; t++) {
    ASSERT_NEAR(ready[t], want_ready[t], 0);
    ASSERT_NEAR(lost[t], want_lost[t], 0);
  }
  struct act *a = NULL;
  struct act_capacity c;
  ASSERT_OK(act_sim_new_seq(1, seq, 3, &a));
  for(int t = 0; t < 7; t++) {
    ASSERT_OK(act_set(a, (long)desired[t], &c));
    assert_int_equal(c.ready, (long)want_ready[t]);
  }
  act_free(&a);
  static const int bad[1] = {-1};
  assert_int_equal(act_sim_new_seq(1, bad, 1, &a), PW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(kubernetes_by_hand),
    cmocka_unit_test(lambda_cold_starts_by_hand),
    cmocka_unit_test(overflow_by_hand),
    cmocka_unit_test(baselines_by_hand),
    cmocka_unit_test(sim_actuator_follows_warmup),
    cmocka_unit_test(varying_warmup_by_hand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
