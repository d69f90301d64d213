/*
 * The step grid: gaps, late and duplicated samples, the ring.
 */
#include <math.h>

#include "../../forecast/fc_series.h"
#include "test_util.h"

static void gaps_become_missing_and_late_samples_drop(void **state) {
  (void)state;
  struct fc_series s;
  ASSERT_OK(fc_series_init(&s, 4, 1000, 10000));
  assert_int_equal(fc_series_put(&s, 10500, 1), 1);   /* step 0 */
  assert_int_equal(fc_series_put(&s, 13000, 4), 3);   /* steps 1, 2 missing */
  assert_true(isnan(fc_series_back(&s, 1)));
  assert_true(isnan(fc_series_back(&s, 2)));
  ASSERT_NEAR(fc_series_back(&s, 0), 4, 0);
  ASSERT_NEAR(fc_series_back(&s, 3), 1, 0);
  /* A duplicate of step 3 and a late sample for step 1 are dropped. */
  assert_int_equal(fc_series_put(&s, 13999, 9), 0);
  assert_int_equal(fc_series_put(&s, 11000, 9), 0);
  assert_int_equal(s.dropped, 2);
  assert_int_equal(s.total, 4);
  /* The ring keeps the last 4: after two more, oldest first. */
  fc_series_append(&s, 5);
  fc_series_append(&s, 6);
  double out[4];
  fc_series_copy_last(&s, 4, out);
  assert_true(isnan(out[0]));
  ASSERT_NEAR(out[1], 4, 0);
  ASSERT_NEAR(out[2], 5, 0);
  ASSERT_NEAR(out[3], 6, 0);
  assert_int_equal(s.next_ms, 16000);
  assert_true(isnan(fc_series_back(&s, 4)));
  fc_series_cleanup(&s);
  assert_int_equal(fc_series_init(&s, 0, 1000, 0), PW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(gaps_become_missing_and_late_samples_drop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
