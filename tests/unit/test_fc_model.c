/*
 * The recursions of every model against values computed by hand.
 */
#include <math.h>

#include "../../forecast/fc_model.h"
#include "test_util.h"

static struct fc_model *make(enum fc_kind kind, int m1, int m2) {
  struct fc_spec spec = {.kind = kind, .period = m1, .period2 = m2};
  struct fc_model *m = NULL;
  ASSERT_OK(fc_model_new(&spec, &m));
  return m;
}

/* Additive trend and season, m = 2: one update, then three steps ahead. */
static void hw_additive_by_hand(void **state) {
  (void)state;
  struct fc_model *m = make(FC_HW, 2, 0);
  struct fc_path p;
  double q = 0.95;
  m->level = 10;
  m->trend = 1;
  m->s1[0] = 2;
  m->s1[1] = -2;
  m->par = (struct fc_params){.alpha = 0.5, .beta = 0.1, .gamma = 0.2,
                              .phi = 1};
  m->sigma2 = 4;
  ASSERT_NEAR(fc_model_next(m), 13, 1e-12);
  ASSERT_NEAR(fc_update(m, 14), 1, 1e-12);
  ASSERT_NEAR(m->level, 11.5, 1e-12);
  ASSERT_NEAR(m->trend, 1.1, 1e-12);
  ASSERT_NEAR(m->s1[0], 2.2, 1e-12);
  ASSERT_NEAR(m->s1[1], -2, 0);
  assert_int_equal(m->i1, 1);
  /* kappa = 1/10 for short periods: 4 + 0.1 * (1 - 4). */
  ASSERT_NEAR(m->sigma2, 3.7, 1e-12);

  ASSERT_OK(fc_path_init(&p, 3, 1));
  ASSERT_OK(fc_forecast(m, 3, &q, 1, &p));
  ASSERT_NEAR(p.mean[0], 11.5 + 1.1 - 2, 1e-12);
  ASSERT_NEAR(p.mean[1], 11.5 + 2.2 + 2.2, 1e-12);
  ASSERT_NEAR(p.mean[2], 11.5 + 3.3 - 2, 1e-12);
  /* c1 = alpha + beta = 0.6; c2 = alpha + 2 beta + gamma = 0.9. */
  ASSERT_NEAR(p.sd[0], sqrt(3.7), 1e-12);
  ASSERT_NEAR(p.sd[1], sqrt(3.7 * (1 + 0.36)), 1e-12);
  ASSERT_NEAR(p.sd[2], sqrt(3.7 * (1 + 0.36 + 0.81)), 1e-12);
  ASSERT_NEAR(p.q[2], p.mean[2] + 1.6448536269514722 * p.sd[2], 1e-9);
  fc_path_cleanup(&p);
  fc_model_free(&m);
  assert_null(m);
}

static void hw_damped_by_hand(void **state) {
  (void)state;
  struct fc_model *m = make(FC_HW_DAMPED, 2, 0);
  struct fc_path p;
  m->level = 10;
  m->trend = 1;
  m->s1[0] = 0;
  m->s1[1] = 0;
  m->par = (struct fc_params){.alpha = 0.5, .beta = 0.1, .gamma = 0.2,
                              .phi = 0.9};
  /* yhat = 10 + 0.9 = 10.9, e = 1.1 */
  ASSERT_NEAR(fc_update(m, 12), 1.1, 1e-12);
  ASSERT_NEAR(m->level, 10.9 + 0.55, 1e-12);
  ASSERT_NEAR(m->trend, 0.9 + 0.11, 1e-12);
  ASSERT_NEAR(m->s1[0], 0.22, 1e-12);
  ASSERT_OK(fc_path_init(&p, 2, 0));
  ASSERT_OK(fc_forecast(m, 2, NULL, 0, &p));
  ASSERT_NEAR(p.mean[0], 11.45 + 0.9 * 1.01, 1e-12);
  ASSERT_NEAR(p.mean[1], 11.45 + (0.9 + 0.81) * 1.01 + 0.22, 1e-12);
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

/* Simple exponential smoothing: level only, a flat path, c_j = alpha. */
static void ses_by_hand(void **state) {
  (void)state;
  struct fc_model *m = make(FC_SES, 4, 0);
  struct fc_path p;
  m->level = 10;
  m->par = (struct fc_params){.alpha = 0.3, .phi = 1};
  m->sigma2 = 4;
  assert_false(fc_kind_seasonal(FC_SES));
  ASSERT_NEAR(fc_model_next(m), 10, 0);
  ASSERT_NEAR(fc_update(m, 12), 2, 1e-12);
  ASSERT_NEAR(m->level, 10.6, 1e-12);
  ASSERT_NEAR(m->trend, 0, 0);
  for(int i = 0; i < 4; i++)
    ASSERT_NEAR(m->s1[i], 0, 0);
  ASSERT_NEAR(m->sigma2, 4 + 0.1 * (4 - 4), 1e-12);
  ASSERT_OK(fc_path_init(&p, 6, 0));
  ASSERT_OK(fc_forecast(m, 6, NULL, 0, &p));
  for(int k = 1; k <= 6; k++) {
    ASSERT_NEAR(p.mean[k - 1], 10.6, 1e-12);
    /* No seasonal jump at k - 1 = 4: gamma is zero. */
    ASSERT_NEAR(p.sd[k - 1], 2 * sqrt(1 + (k - 1) * 0.09), 1e-12);
  }
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

/* Holt's damped trend without a season. */
static void holt_damped_by_hand(void **state) {
  (void)state;
  struct fc_model *m = make(FC_HOLT_DAMPED, 4, 0);
  struct fc_path p;
  m->level = 10;
  m->trend = 1;
  m->par = (struct fc_params){.alpha = 0.5, .beta = 0.1, .phi = 0.9};
  m->sigma2 = 1;
  assert_false(fc_kind_seasonal(FC_HOLT_DAMPED));
  assert_true(fc_kind_seasonal(FC_HW_DAMPED));
  /* yhat = 10 + 0.9 = 10.9, e = 1.1 */
  ASSERT_NEAR(fc_update(m, 12), 1.1, 1e-12);
  ASSERT_NEAR(m->level, 11.45, 1e-12);
  ASSERT_NEAR(m->trend, 1.01, 1e-12);
  ASSERT_OK(fc_path_init(&p, 5, 0));
  ASSERT_OK(fc_forecast(m, 5, NULL, 0, &p));
  double phik = 0, pw = 1, var = 1;
  for(int k = 1; k <= 5; k++) {
    pw *= 0.9;
    phik += pw;
    ASSERT_NEAR(p.mean[k - 1], 11.45 + phik * 1.01, 1e-12);
    /* sigma2 = 1 + 0.1 * (1.21 - 1) after the update. */
    ASSERT_NEAR(p.sd[k - 1], sqrt(1.021 * var), 1e-12);
    /* c_k = alpha + beta * (phi + ... + phi^k), with no seasonal term. */
    double c = 0.5 + 0.1 * phik;
    var += c * c;
  }
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

static void hw_multiplicative_by_hand(void **state) {
  (void)state;
  struct fc_model *m = make(FC_HW_MUL, 2, 0);
  m->level = 10;
  m->trend = 0;
  m->s1[0] = 1.2;
  m->s1[1] = 0.8;
  m->par = (struct fc_params){.alpha = 0.5, .gamma = 0.3, .phi = 1};
  ASSERT_NEAR(fc_model_next(m), 12, 1e-12);
  ASSERT_NEAR(fc_update(m, 13), 1, 1e-12);
  ASSERT_NEAR(m->level, 10 + 0.5 / 1.2, 1e-12);
  ASSERT_NEAR(m->s1[0], 1.2 + 0.3 * 1 / 10, 1e-12);
  ASSERT_NEAR(fc_model_next(m), (10 + 0.5 / 1.2) * 0.8, 1e-12);
  fc_model_free(&m);
}

/* Taylor's double seasonal model with its AR(1) error correction. */
static void dshw_by_hand(void **state) {
  (void)state;
  struct fc_model *m = make(FC_DSHW, 2, 4);
  struct fc_path p;
  m->s1[0] = 1;
  m->s1[1] = -1;
  m->s2[0] = 0.5;
  m->s2[2] = -0.5;
  m->par = (struct fc_params){.alpha = 0.1, .gamma = 0.2, .omega = 0.3,
                              .ar = 0.5, .phi = 1};
  ASSERT_NEAR(fc_update(m, 3), 1.5, 1e-12);
  ASSERT_NEAR(m->level, 0.15, 1e-12);
  ASSERT_NEAR(m->s1[0], 1.3, 1e-12);
  ASSERT_NEAR(m->s2[0], 0.95, 1e-12);
  /* next = 0.15 - 1 + 0 + 0.5 * 1.5 */
  ASSERT_NEAR(fc_model_next(m), -0.1, 1e-12);
  ASSERT_OK(fc_path_init(&p, 2, 0));
  ASSERT_OK(fc_forecast(m, 2, NULL, 0, &p));
  ASSERT_NEAR(p.mean[0], -0.1, 1e-12);
  ASSERT_NEAR(p.mean[1], 0.15 + 1.3 - 0.5 + 0.25 * 1.5, 1e-12);
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

static void snaive_and_gaps(void **state) {
  (void)state;
  struct fc_model *m = make(FC_SNAIVE, 3, 0);
  struct fc_path p;
  assert_true(isnan(fc_update(m, 1)));  /* no forecast yet */
  fc_update(m, 2);
  fc_update(m, 3);
  ASSERT_NEAR(fc_update(m, 4), 3, 0);   /* 4 - 1 */
  ASSERT_OK(fc_path_init(&p, 4, 0));
  ASSERT_OK(fc_forecast(m, 4, NULL, 0, &p));
  ASSERT_NEAR(p.mean[0], 2, 0);
  ASSERT_NEAR(p.mean[1], 3, 0);
  ASSERT_NEAR(p.mean[2], 4, 0);
  ASSERT_NEAR(p.mean[3], 2, 0);
  /* A missing value keeps last season's value for its slot. */
  assert_true(isnan(fc_update(m, (double)NAN)));
  assert_int_equal(m->nmiss, 1);
  ASSERT_OK(fc_forecast(m, 3, NULL, 0, &p));
  ASSERT_NEAR(p.mean[0], 3, 0);
  ASSERT_NEAR(p.mean[1], 4, 0);
  ASSERT_NEAR(p.mean[2], 2, 0);
  /* h-step variance: sigma^2 * (floor((h-1)/m) + 1). */
  ASSERT_OK(fc_forecast(m, 4, NULL, 0, &p));
  ASSERT_NEAR(p.sd[3], p.sd[0] * sqrt(2), 1e-12);
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

/* A gap moves the state along the trend and adds nothing to the errors. */
static void missing_value_advances_state(void **state) {
  (void)state;
  struct fc_model *m = make(FC_HW_DAMPED, 2, 0);
  m->level = 10;
  m->trend = 2;
  m->s1[0] = 1;
  m->s1[1] = -1;
  m->par = (struct fc_params){.alpha = 0.5, .beta = 0.1, .gamma = 0.2,
                              .phi = 0.5};
  assert_true(isnan(fc_update(m, (double)NAN)));
  ASSERT_NEAR(m->level, 11, 1e-12);
  ASSERT_NEAR(m->trend, 1, 1e-12);
  ASSERT_NEAR(m->s1[0], 1, 0);
  assert_int_equal(m->i1, 1);
  assert_int_equal(m->nsse, 0);
  ASSERT_NEAR(m->sse, 0, 0);
  fc_model_free(&m);
}

static void spec_and_forecast_checks(void **state) {
  (void)state;
  struct fc_spec bad[] = {
    {.kind = FC_HW, .period = 1},
    {.kind = FC_HW, .period = 24, .period2 = 168},
    {.kind = FC_DSHW, .period = 24},
    {.kind = FC_DSHW, .period = 24, .period2 = 24},
    {.kind = FC_HW, .period = 24, .clip_k = 0.5},
    {.kind = FC_KIND_COUNT, .period = 24},
  };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct fc_model *m = (struct fc_model *)1;
    assert_int_equal(fc_model_new(&bad[i], &m), PW_EINVAL);
    assert_null(m);
  }
  struct fc_model *m = make(FC_HW, 4, 0);
  struct fc_path p;
  double q[2] = {0.5, 1.0};
  ASSERT_OK(fc_path_init(&p, 2, 2));
  assert_int_equal(fc_forecast(m, 3, q, 1, &p), PW_EINVAL);  /* h > cap */
  assert_int_equal(fc_forecast(m, 2, q, 2, &p), PW_EINVAL);  /* q = 1 */
  assert_int_equal(fc_forecast(m, 0, q, 1, &p), PW_EINVAL);
  ASSERT_OK(fc_forecast(m, 2, q, 1, &p));
  fc_path_cleanup(&p);
  fc_model_free(&m);
  fc_model_free(&m);  /* NULL is a no-op */
}

static void kind_names_round_trip(void **state) {
  (void)state;
  for(int k = 0; k < FC_KIND_COUNT; k++) {
    enum fc_kind back;
    ASSERT_OK(fc_kind_parse(fc_kind_name((enum fc_kind)k), &back));
    assert_int_equal(back, k);
  }
  enum fc_kind x;
  assert_int_equal(fc_kind_parse("arima", &x), PW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(hw_additive_by_hand),
    cmocka_unit_test(hw_damped_by_hand),
    cmocka_unit_test(ses_by_hand),
    cmocka_unit_test(holt_damped_by_hand),
    cmocka_unit_test(hw_multiplicative_by_hand),
    cmocka_unit_test(dshw_by_hand),
    cmocka_unit_test(snaive_and_gaps),
    cmocka_unit_test(missing_value_advances_state),
    cmocka_unit_test(spec_and_forecast_checks),
    cmocka_unit_test(kind_names_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
