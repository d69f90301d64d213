/*
 * The plan's baselines: seasonal naive with a warm-up longer than the
 * season (issue #12 item 13) stays inside the trace and looks back whole
 * seasons; every baseline survives degenerate arguments.
 */
#include <math.h>
#include <stdlib.h>

#include "../../controller/ctl_baseline.h"
#include "test_util.h"

/* Exactly len doubles on the heap, so ASan sees a read past the end. */
static double *exact(size_t len) {
  double *p = malloc(len * sizeof(double));
  assert_non_null(p);
  return p;
}

static void snaive_one_row_long_warmup(void **state) {
  (void)state;
  double *need = exact(1), *out = exact(1);
  need[0] = 7;
  /* w = 10 steps, period 5: t + w - period = 5 is past the only row. */
  ctl_baseline_snaive(need, 1, 10, 5, 60, out);
  /* No season before t = 0 is observed: the reactive recommendation. */
  ASSERT_NEAR(out[0], ceil(7 / 0.7), 0);
  free(need);
  free(out);
}

static void snaive_warmup_longer_than_period(void **state) {
  (void)state;
  enum { N = 40, P = 5, W = 12 };
  double *need = exact(N), *out = exact(N);
  for(size_t i = 0; i < N; i++)
    need[i] = (double)(i % P) + 1 + (double)i / 100.0;
  ctl_baseline_snaive(need, N, W, P, 60, out);
  for(size_t t = 0; t < N; t++) {
    /* k = W / P + 1 = 3: lo = t + 12 - 15 = t - 3, before t. */
    long lo = (long)t - 3;
    double want = lo < 0 ? ceil((t ? need[t - 1] : need[0]) / 0.7)
                         : ceil(1.2 * fmax(need[lo], need[lo + 1]));
    ASSERT_NEAR(out[t], want, 0);
  }
  /* With w < period nothing changes: lo = t + w - period. */
  ctl_baseline_snaive(need, N, 2, P, 60, out);
  ASSERT_NEAR(out[10], ceil(1.2 * fmax(need[7], need[8])), 0);
  free(need);
  free(out);
}

static void degenerate_arguments_stay_in_bounds(void **state) {
  (void)state;
  double *need = exact(3), *out = exact(3);
  need[0] = 1;
  need[1] = 2;
  need[2] = 3;
  ctl_baseline_snaive(need, 3, 4, 0, 60, out);  /* no period */
  ASSERT_NEAR(out[2], ceil(2 / 0.7), 0);
  ctl_baseline_snaive(need, 3, -5, 1, 60, out);
  ctl_baseline_oracle(need, 3, -1, out);
  ASSERT_NEAR(out[0], 1, 0);
  ctl_baseline_oracle(need, 3, 1 << 30, out);
  ASSERT_NEAR(out[0], 3, 0);
  ctl_baseline_reactive(need, 3, 0, out);
  ASSERT_NEAR(out[2], ceil(2 / 0.7), 0);
  ctl_baseline_reactive(need, 3, 1e-300, out);
  ctl_baseline_reactive(need, 3, (double)NAN, out);
  free(need);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(snaive_one_row_long_warmup),
    cmocka_unit_test(snaive_warmup_longer_than_period),
    cmocka_unit_test(degenerate_arguments_stay_in_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
