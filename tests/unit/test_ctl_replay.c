/*
 * The replay loop: causality (a prefix of the trace gives the same first
 * decisions), determinism, and the move from fallback to forecasting.
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../controller/ctl_demo.h"
#include "../../controller/ctl_replay.h"
#include "test_target.h"
#include "test_util.h"

/* A Kubernetes target of 5-minute steps, configured as a file would with
 * these keys (the rest the defaults). */
static struct cfg_target target;

static struct ctl_replay make(const double *load, size_t n) {
  struct ctl_replay r = {.load = load, .n = n, .warmup_steps = 1,
                         .target = &target};
  test_target(&target, 300000, 300000, 500, 1000000);
  return r;
}

static void prefix_gives_same_decisions_and_runs_repeat(void **state) {
  (void)state;
  enum { N = 288 * 5, K = 1000 };
  static double load[N];
  char err[128];
  ctl_demo_generate(load, N, 300, 7);
  load[700] = (double)NAN;  /* a gap */
  struct ctl_replay a = make(load, N), b = make(load, N), c = make(load, K);
  ASSERT_OK(ctl_replay_run(&a, err, sizeof(err)));
  ASSERT_OK(ctl_replay_run(&b, err, sizeof(err)));
  ASSERT_OK(ctl_replay_run(&c, err, sizeof(err)));
  assert_memory_equal(a.desired, b.desired, N * sizeof(double));
  assert_memory_equal(a.reasons, b.reasons, N * sizeof(unsigned));
  assert_memory_equal(a.desired, c.desired, K * sizeof(double));
  /* It found the daily period and forecast after the fallback. */
  assert_int_equal(a.period, 288);
  assert_true(a.have_model);
  assert_true(a.reasons[10] & CTL_R(FALLBACK));
  int predictive = 0;
  for(size_t i = 288 * 3; i < N; i++)
    predictive += (a.reasons[i] & CTL_R(FALLBACK)) ? 0 : 1;
  assert_true(predictive > 288);
  assert_true(a.stats.refits > 10);
  ctl_replay_cleanup(&a);
  ctl_replay_cleanup(&b);
  ctl_replay_cleanup(&c);
}

static void bad_config_is_refused(void **state) {
  (void)state;
  double load[10] = {0};
  char err[128];
  struct ctl_replay r = make(load, 10);
  target.unit_capacity = 0;
  assert_int_equal(ctl_replay_run(&r, err, sizeof(err)), PW_EINVAL);
  assert_non_null(strstr(err, "unit capacity"));
  ctl_replay_cleanup(&r);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(prefix_gives_same_decisions_and_runs_repeat),
    cmocka_unit_test(bad_config_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
