/*
 * prewarm plan --config's pieces: a source's samples on the step grid
 * (off-grid, outside and repeated samples refused, missing steps NAN and
 * counted), and the plan's core at a real start time: the same figures
 * as from the epoch, with a configured schedule applied when it is due.
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../controller/ctl_demo.h"
#include "../../controller/ctl_plan.h"
#include "../../controller/ctl_plan_config.h"
#include "test_util.h"

static void samples_land_on_their_steps(void **state) {
  (void)state;
  struct tel_samples s = {0};
  struct ctl_plan_history h;
  const int64_t t0 = 1767225600000, step = 60000;
  /* Steps 0, 1, 3 and 4 of five; one NaN (step 4), one off the grid,
   * one before, one at the end (outside), one repeat of step 1. */
  int64_t ts[] = {t0 - step, t0, t0 + step, t0 + step, t0 + step + 1,
                  t0 + 3 * step, t0 + 4 * step, t0 + 5 * step};
  double v[] = {9, 10, 11, 99, 98, 13, (double)NAN, 15};
  for(size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
    ASSERT_OK(tel_samples_push(&s, ts[i], v[i]));
  ASSERT_OK(ctl_plan_history_grid(&s, t0, step, 5, &h));
  assert_int_equal(h.n, 5);
  assert_true(h.start_ms == t0);
  ASSERT_NEAR(h.load[0], 10, 0);
  ASSERT_NEAR(h.load[1], 11, 0);
  ASSERT_NEAR(h.load[3], 13, 0);
  assert_true(isnan(h.load[2]) && isnan(h.load[4]));
  assert_int_equal(h.missing, 2);
  assert_int_equal(h.rejected, 4);
  ctl_plan_history_cleanup(&h);
  tel_samples_cleanup(&s);
}

static void plan(const struct cfg_target *t, const double *load, size_t n,
                 int64_t start_ms, struct ctl_plan_result *r) {
  char err[256];
  static char name[] = "t";
  struct ctl_plan_input in = {.target = t, .name = name, .load = load,
                              .n = n, .start_ms = start_ms,
                              .keepalive_s = 600};
  ASSERT_OK(ctl_plan_replay(&in, r, err, sizeof(err)));
}

static void real_start_time_same_figures_and_schedules_apply(void **state) {
  (void)state;
  enum { N = 288 * 4 };
  static double load[N];
  static char name[] = "t";
  struct cfg_target t;
  struct ctl_plan_result a, b, c;
  const int64_t start = 1767225600000, step = 300000;
  ctl_demo_generate(load, N, 300, 3);
  cfg_target_defaults(&t);
  t.name = name;
  t.actuator = CFG_ACT_KUBERNETES;
  t.step_ms = step;
  t.warmup_ms = 600000;
  t.unit_capacity = 400;
  t.max = 100000;
  plan(&t, load, N, 0, &a);
  plan(&t, load, N, start, &b);
  assert_memory_equal(a.desired[CTL_PLAN_PREDICTIVE],
                      b.desired[CTL_PLAN_PREDICTIVE], N * sizeof(double));
  ASSERT_NEAR(a.score[CTL_PLAN_PREDICTIVE].instance_seconds,
              b.score[CTL_PLAN_PREDICTIVE].instance_seconds, 0);
  /* A floor of 500 for steps 600 to 699 of the real timeline, from one
   * lead time (warm-up + 1 step) before. */
  struct cfg_schedule sch = {start + 600 * step, start + 700 * step, 500};
  t.schedules = &sch;
  t.nschedules = 1;
  plan(&t, load, N, start, &c);
  const double *d = c.desired[CTL_PLAN_PREDICTIVE];
  for(size_t i = 0; i < N; i++) {
    /* Step i is decided at start + (i + 1) * step. */
    int on = (int64_t)i + 1 >= 600 - 3 && (int64_t)i + 1 < 700;
    if(on)
      assert_true(d[i] >= 500);
    else if(i < 590 || i > 710)
      ASSERT_NEAR(d[i], b.desired[CTL_PLAN_PREDICTIVE][i], 0);
  }
  ctl_plan_result_cleanup(&a);
  ctl_plan_result_cleanup(&b);
  ctl_plan_result_cleanup(&c);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(samples_land_on_their_steps),
    cmocka_unit_test(real_start_time_same_figures_and_schedules_apply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
