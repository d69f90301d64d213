/*
 * Automatic model choice.
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../forecast/fc_select.h"
#include "test_util.h"

static void series(double *y, size_t n, double floor_v) {
  uint64_t s = 9;
  for(size_t t = 0; t < n; t++) {
    double v = 40 + 30 * sin(2 * M_PI * (double)(t % 24) / 24.0) +
               4 * test_noise(&s);
    y[t] = v > floor_v ? v : floor_v;
  }
}

static void holdout_picks_the_lowest_error(void **state) {
  (void)state;
  static double y[24 * 30];
  size_t n = sizeof(y) / sizeof(y[0]);
  series(y, n, 1);
  struct fc_spec base = {.period = 24};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  ASSERT_OK(fc_select(y, n, &base, 12, &m, &ch, NULL));
  assert_string_equal(ch.method, "holdout");
  assert_int_equal(ch.holdout, 24 * 4);
  assert_int_equal(ch.tried[FC_DSHW], FC_TRY_SKIPPED);
  for(int k = 0; k < FC_KIND_COUNT; k++) {
    if(k == FC_DSHW)
      continue;
    /* The non-seasonal models are candidates too. */
    assert_int_equal(ch.tried[k], FC_TRY_OK);
    if(k != FC_SNAIVE)
      assert_true(ch.score[ch.kind] <= ch.score[k]);
  }
  assert_int_equal(m->spec.kind, ch.kind);
  /* On smooth seasonal data, smoothing beats last season's value. */
  assert_true(ch.kind != FC_SNAIVE);
  fc_model_free(&m);
}

/* A burst at the same hour on each of the last five days: seasonal naive
 * replays it and wins the hold-out, but is not chosen (it would replay the
 * burst tomorrow); a smoothing model is. */
static void repeated_burst_does_not_pick_snaive(void **state) {
  (void)state;
  static double y[24 * 30];
  size_t n = sizeof(y) / sizeof(y[0]);
  series(y, n, 1);
  for(size_t d = 25; d < 30; d++) {
    for(size_t h = 10; h < 16; h++)
      y[d * 24 + h] += 300;
  }
  struct fc_spec base = {.period = 24};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  ASSERT_OK(fc_select(y, n, &base, 12, &m, &ch, NULL));
  assert_string_equal(ch.method, "holdout");
  assert_int_equal(ch.tried[FC_SNAIVE], FC_TRY_OK);
  for(int k = FC_SNAIVE + 1; k < FC_KIND_COUNT; k++) {
    if(ch.tried[k] == FC_TRY_OK && !(ch.score[FC_SNAIVE] < ch.score[k]))
      fail_msg("snaive %.3f does not beat %s %.3f: the series does not "
               "test the rule", ch.score[FC_SNAIVE],
               fc_kind_name((enum fc_kind)k), ch.score[k]);
  }
  assert_int_not_equal(ch.kind, FC_SNAIVE);
  assert_int_equal(m->spec.kind, ch.kind);
  fc_model_free(&m);
}

/* One-step spikes drag a plain fit's level: auto keeps its winner fitted
 * robustly, unless the caller chose the clipping. */
static void spikes_pick_the_robust_fit(void **state) {
  (void)state;
  static double y[24 * 30];
  size_t n = sizeof(y) / sizeof(y[0]);
  series(y, n, 1);
  for(size_t t = 100; t < n; t += 37)
    y[t] += 400;
  struct fc_spec base = {.period = 24};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  ASSERT_OK(fc_select(y, n, &base, 6, &m, &ch, NULL));
  if(!(ch.robust_score < ch.score[ch.kind]))
    fail_msg("robust %.3f, plain %.3f", ch.robust_score, ch.score[ch.kind]);
  ASSERT_NEAR(m->spec.clip_k, FC_AUTO_CLIP, 0);
  fc_model_free(&m);
  base.clip_k = 2.5;
  ASSERT_OK(fc_select(y, n, &base, 6, &m, &ch, NULL));
  assert_true(isnan(ch.robust_score));
  ASSERT_NEAR(m->spec.clip_k, 2.5, 0);
  fc_model_free(&m);
  /* On clean data the plain fit is kept when it scores better. */
  series(y, n, 1);
  base.clip_k = 0;
  ASSERT_OK(fc_select(y, n, &base, 6, &m, &ch, NULL));
  assert_false(isnan(ch.robust_score));
  ASSERT_NEAR(m->spec.clip_k,
              ch.robust_score < ch.score[ch.kind] ? FC_AUTO_CLIP : 0, 0);
  fc_model_free(&m);
}

static void zeros_rule_out_multiplicative(void **state) {
  (void)state;
  static double y[24 * 20];
  size_t n = sizeof(y) / sizeof(y[0]);
  series(y, n, 0);
  y[30] = 0;
  struct fc_spec base = {.period = 24, .period2 = 24 * 7};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  ASSERT_OK(fc_select(y, n, &base, 6, &m, &ch, NULL));
  assert_int_equal(ch.tried[FC_HW_MUL], FC_TRY_SKIPPED);
  /* dshw needs two weeks of training data: 20 days minus the hold-out
   * leaves 16, so it is tried. */
  assert_int_equal(ch.tried[FC_DSHW], FC_TRY_OK);
  fc_model_free(&m);
}

static void short_series_uses_aic(void **state) {
  (void)state;
  double y[50];
  series(y, 50, 1);
  struct fc_spec base = {.period = 24};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  ASSERT_OK(fc_select(y, 50, &base, 6, &m, &ch, NULL));
  assert_string_equal(ch.method, "aic");
  assert_int_equal(ch.tried[FC_SNAIVE], FC_TRY_SKIPPED);
  fc_model_free(&m);
  assert_int_equal(fc_select(y, 40, &base, 6, &m, &ch, NULL), PW_ETOOSHORT);
  assert_int_equal(fc_select(y, 50, &base, 0, &m, &ch, NULL), PW_EINVAL);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(holdout_picks_the_lowest_error),
    cmocka_unit_test(repeated_burst_does_not_pick_snaive),
    cmocka_unit_test(spikes_pick_the_robust_fit),
    cmocka_unit_test(zeros_rule_out_multiplicative),
    cmocka_unit_test(short_series_uses_aic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
