/*
 * What a target learns from its platform as it runs: the warm-up it
 * measures (rises timed from asked to ready) becomes its lead time, and an
 * objective moves its quantile through SLO feedback.  Driven through
 * ctl_target_tick() with the replay's own platform model (act_sim) and
 * the dry run, as `plan` and the daemon drive it.
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../actuators/act_dryrun.h"
#include "../../actuators/act_sim.h"
#include "../../common/pw_alloc.h"
#include "../../common/pw_log.h"
#include "../../controller/ctl_settings.h"
#include "../../controller/ctl_target.h"
#include "test_target.h"
#include "test_util.h"

#define STEP 60000

/* A load that jumps from 10 to 50 for 5 steps every 20: each jump is a
 * rise the policy asks for and the platform makes ready later. */
static double bursty(long i) { return i % 20 < 5 ? 50 : 10; }

static void run(struct ctl_target *t, struct act *a, long steps,
                double (*load)(long)) {
  struct ctl_decision d;
  struct act_capacity cap;
  for(long i = 0; i < steps; i++) {
    int64_t ts = i * STEP;
    double v = load(i);
    ctl_target_observe(t, &ts, &v, 1);
    int rc = ctl_target_tick(t, ts + STEP, a, &d, &cap);
    assert_int_equal(rc, 0);
  }
}

static struct ctl_target *target_with(int64_t warmup_ms) {
  struct cfg_target c;
  struct ctl_target_cfg tc;
  struct ctl_schedule *sched = NULL;
  struct ctl_target *t = NULL;
  char err[128];
  test_target(&c, STEP, warmup_ms, 10, 100);
  ASSERT_OK(ctl_settings_target(&c, 0, 0, &tc, &sched));
  ASSERT_OK(ctl_target_new(&tc, &t, err, sizeof(err)));
  pw_free(sched);  /* no schedules: the target never reads it */
  return t;
}

static void measured_warmup_sets_the_lead(void **state) {
  (void)state;
  /* Configured: 10 minutes (lead 11 steps).  The platform: 2 steps. */
  struct ctl_target *t = target_with(600000);
  struct act *sim = NULL;
  ASSERT_OK(act_sim_new(2, &sim));
  assert_int_equal(ctl_target_stats(t)->lead_steps, 11);
  assert_true(isnan(ctl_target_stats(t)->warmup_measured_s));
  run(t, sim, 200, bursty);
  const struct ctl_target_stats *st = ctl_target_stats(t);
  assert_true(st->warmup_samples >= CTL_WARMUP_MIN_SAMPLES);
  /* Asked at one tick, ready two ticks later. */
  ASSERT_NEAR(st->warmup_measured_s, 120, 1e-9);
  assert_int_equal(st->lead_steps, 3);
  assert_int_equal(ctl_target_policy(t)->lead_steps, 3);
  act_free(&sim);
  ctl_target_free(&t);
}

static void the_configured_warmup_bounds_the_lead(void **state) {
  (void)state;
  /* Configured: 1 minute (lead 2).  The platform takes 4 steps: the lead
   * does not grow past what was configured. */
  struct ctl_target *t = target_with(60000);
  struct act *sim = NULL;
  ASSERT_OK(act_sim_new(4, &sim));
  run(t, sim, 200, bursty);
  const struct ctl_target_stats *st = ctl_target_stats(t);
  ASSERT_NEAR(st->warmup_measured_s, 240, 1e-9);
  assert_int_equal(st->lead_steps, 2);
  act_free(&sim);
  ctl_target_free(&t);
}

static void ready_at_once_is_no_sample(void **state) {
  (void)state;
  /* The dry run reports what it records as ready at once: nothing is
   * timed and the configured lead stands. */
  struct ctl_target *t = target_with(600000);
  struct act *dry = NULL;
  ASSERT_OK(act_dryrun_new(NULL, &dry));
  run(t, dry, 200, bursty);
  const struct ctl_target_stats *st = ctl_target_stats(t);
  assert_int_equal(st->warmup_samples, 0);
  assert_true(isnan(st->warmup_measured_s));
  assert_int_equal(st->lead_steps, 11);
  act_free(&dry);
  ctl_target_free(&t);
}

/* Noisy load around 1000 with a daily cycle; sd grows 3x on day 8. */
static uint64_t seed = 5;
static long noisy_day;
static double noisy(long i) {
  double sd = i >= noisy_day ? 150 : 50;
  double u = test_noise(&seed) + 0.5, v = test_noise(&seed) + 0.5;
  if(u < 1e-12)
    u = 1e-12;
  double g = sqrt(-2 * log(u)) * cos(2 * M_PI * v);
  return fmax(0, 1000 + 300 * sin(2 * M_PI * (double)(i % 1440) / 1440) +
                   sd * g);
}

static void slo_feedback_moves_the_quantile(void **state) {
  (void)state;
  struct cfg_target c;
  struct ctl_target_cfg tc;
  struct ctl_schedule *sched = NULL;
  struct ctl_target *t = NULL;
  struct act *sim = NULL;
  char err[128];
  test_target(&c, STEP, 120000, 10, 1000);
  c.floor_utilization = 0;  /* only the forecast provisions */
  c.slo_unserved = 0.002;
  c.slo_window_ms = 86400000;
  c.period = 1440;
  c.model = NULL;
  ASSERT_OK(ctl_settings_target(&c, 0, 0, &tc, &sched));
  assert_int_equal(tc.slo.kind, CTL_SLO_UNSERVED);
  assert_int_equal(tc.slo.window_steps, 1440);
  ASSERT_NEAR(tc.slo.quantile_max, CTL_SLO_QUANTILE_MAX_KUBERNETES, 0);
  ASSERT_OK(ctl_target_new(&tc, &t, err, sizeof(err)));
  ASSERT_OK(act_sim_new(2, &sim));
  noisy_day = 8 * 1440;
  run(t, sim, noisy_day, noisy);
  const struct ctl_target_stats *st = ctl_target_stats(t);
  double q_before = st->quantile;
  assert_true(isfinite(st->slo_measured));
  assert_true(st->slo_moves_up + st->slo_moves_down > 0);
  /* The spread triples: the objective pulls the setting up, within its
   * bounds, and the decisions say why. */
  struct ctl_decision d;
  struct act_capacity cap;
  long slo_reason = 0;
  for(long i = noisy_day; i < noisy_day + 6 * 1440; i++) {
    int64_t ts = i * STEP;
    double v = noisy(i);
    ctl_target_observe(t, &ts, &v, 1);
    ASSERT_OK(ctl_target_tick(t, ts + STEP, sim, &d, &cap));
    if(d.reasons & CTL_R(SLO))
      slo_reason++;
    assert_true(st->quantile <= CTL_SLO_QUANTILE_MAX_KUBERNETES + 1e-12);
    assert_true(st->quantile >= CTL_SLO_QUANTILE_MIN - 1e-12);
    ASSERT_NEAR(ctl_target_policy(t)->quantile, st->quantile, 0);
  }
  assert_true(st->quantile > q_before || st->headroom > 0);
  assert_true(slo_reason > 0);
  act_free(&sim);
  ctl_target_free(&t);
  pw_free(sched);
}

int main(void) {
  gsl_set_error_handler_off();
  pw_log_threshold = PW_LOG_WARN;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(measured_warmup_sets_the_lead),
    cmocka_unit_test(the_configured_warmup_bounds_the_lead),
    cmocka_unit_test(ready_at_once_is_no_sample),
    cmocka_unit_test(slo_feedback_moves_the_quantile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
