/*
 * Fitting: known answers, determinism, refits, calibration, bad data.
 */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "../../common/pw_alloc.h"
#include "../../forecast/fc_fit.h"
#include "test_util.h"

static const double pattern[12] = {5, 7, 12, 20, 26, 30, 28, 22, 15, 10,
                                   7, 5};

/* An exactly periodic series forecasts itself, for every model. */
static void periodic_series_forecasts_itself(void **state) {
  (void)state;
  enum fc_kind kinds[] = {FC_SNAIVE, FC_HW, FC_HW_DAMPED, FC_HW_MUL};
  double y[120];
  for(int t = 0; t < 120; t++)
    y[t] = pattern[t % 12];
  for(size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
    struct fc_spec spec = {.kind = kinds[k], .period = 12};
    struct fc_model *m = NULL;
    struct fc_path p;
    ASSERT_OK(fc_fit(y, 120, &spec, NULL, &m, NULL));
    ASSERT_OK(fc_path_init(&p, 24, 0));
    ASSERT_OK(fc_forecast(m, 24, NULL, 0, &p));
    for(int h = 0; h < 24; h++)
      ASSERT_NEAR(p.mean[h], pattern[(120 + h) % 12], 1e-6);
    fc_path_cleanup(&p);
    fc_model_free(&m);
  }
}

/* A pure linear trend extrapolates (the seasonal part stays zero). */
static void linear_trend_extrapolates(void **state) {
  (void)state;
  double y[48];
  for(int t = 0; t < 48; t++)
    y[t] = 5 + 2.0 * t;
  struct fc_spec spec = {.kind = FC_HW, .period = 4};
  struct fc_model *m = NULL;
  struct fc_path p;
  ASSERT_OK(fc_fit(y, 48, &spec, NULL, &m, NULL));
  ASSERT_OK(fc_path_init(&p, 10, 0));
  ASSERT_OK(fc_forecast(m, 10, NULL, 0, &p));
  for(int h = 1; h <= 10; h++)
    ASSERT_NEAR(p.mean[h - 1], 5 + 2.0 * (47 + h), 1e-6);
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

static void noisy_series(double *y, size_t n, int per, uint64_t seed) {
  uint64_t s = seed;
  for(size_t t = 0; t < n; t++) {
    double ph = 2 * M_PI * (double)(t % (size_t)per) / per;
    /* Sum of uniforms: close to normal, sd 1. */
    double e = 0;
    for(int i = 0; i < 12; i++)
      e += test_noise(&s);
    y[t] = 100 + 0.01 * (double)t + 30 * sin(ph) + 10 * cos(2 * ph) + 3 * e;
  }
}

/* Simulates a non-seasonal ETS series with additive errors of sd 1 (a sum
 * of twelve uniforms): level l, trend b damped by phi. */
static void ets_series(double *y, size_t n, double alpha, double beta,
                       double phi, uint64_t seed) {
  uint64_t s = seed;
  double l = 100, b = beta > 0 ? 0.5 : 0;
  for(size_t t = 0; t < n; t++) {
    double e = 0;
    for(int i = 0; i < 12; i++)
      e += test_noise(&s);
    y[t] = l + phi * b + e;
    l += phi * b + alpha * e;
    b = phi * b + beta * e;
  }
}

/* The non-seasonal fits recover the parameters of simulated series. */
static void nonseasonal_recovers_parameters(void **state) {
  (void)state;
  static double y[6000];
  struct fc_spec ses = {.kind = FC_SES, .period = 48};
  struct fc_spec hd = {.kind = FC_HOLT_DAMPED, .period = 48};
  struct fc_model *m = NULL;
  ets_series(y, 6000, 0.3, 0, 1, 21);
  ASSERT_OK(fc_fit(y, 6000, &ses, NULL, &m, NULL));
  ASSERT_NEAR(m->par.alpha, 0.3, 0.04);
  ASSERT_NEAR(m->par.beta, 0, 0);
  ASSERT_NEAR(m->par.gamma, 0, 0);
  assert_int_equal(m->nparams, 1);
  ASSERT_NEAR(sqrt(m->sse / (double)m->nsse), 1, 0.05);
  fc_model_free(&m);
  ets_series(y, 6000, 0.5, 0.1, 0.9, 22);
  ASSERT_OK(fc_fit(y, 6000, &hd, NULL, &m, NULL));
  ASSERT_NEAR(m->par.alpha, 0.5, 0.06);
  ASSERT_NEAR(m->par.beta, 0.1, 0.05);
  ASSERT_NEAR(m->par.gamma, 0, 0);
  assert_true(m->par.phi > 0.8 && m->par.phi < 0.98);
  assert_int_equal(m->nparams, 3);
  ASSERT_NEAR(sqrt(m->sse / (double)m->nsse), 1, 0.05);
  /* The forecast follows the damped trend from the last state. */
  ASSERT_NEAR(fc_model_point(m, 3),
              m->level + (m->par.phi + m->par.phi * m->par.phi +
                          pow(m->par.phi, 3)) * m->trend, 1e-9);
  fc_model_free(&m);
}

/* A constant series forecasts itself; a line, through the damped trend,
 * forecasts its next step closely. */
static void nonseasonal_known_forecasts(void **state) {
  (void)state;
  double y[96];
  struct fc_spec ses = {.kind = FC_SES, .period = 12};
  struct fc_spec hd = {.kind = FC_HOLT_DAMPED, .period = 12};
  struct fc_model *m = NULL;
  for(int t = 0; t < 96; t++)
    y[t] = 42;
  ASSERT_OK(fc_fit(y, 96, &ses, NULL, &m, NULL));
  for(int h = 1; h <= 12; h++)
    ASSERT_NEAR(fc_model_point(m, h), 42, 1e-9);
  fc_model_free(&m);
  for(int t = 0; t < 96; t++)
    y[t] = 5 + 2.0 * t;
  ASSERT_OK(fc_fit(y, 96, &hd, NULL, &m, NULL));
  ASSERT_NEAR(fc_model_point(m, 1), 5 + 2.0 * 96, 0.05);
  ASSERT_NEAR(m->trend, 2, 0.05);
  fc_model_free(&m);
}

/* Updates after a fit match the fast pass of a refit, and the upper
 * quantile covers what it promises on fresh simulated data. */
static void nonseasonal_updates_and_calibration(void **state) {
  (void)state;
  static double y[8000];
  enum fc_kind kinds[] = {FC_SES, FC_HOLT_DAMPED};
  double q = 0.95;
  for(size_t k = 0; k < 2; k++) {
    struct fc_spec spec = {.kind = kinds[k], .period = 48, .fit_h = 6};
    struct fc_model *m = NULL, *w = NULL;
    struct fc_path p;
    ets_series(y, 8000, 0.4, k ? 0.05 : 0, k ? 0.9 : 1, 30 + k);
    ASSERT_OK(fc_fit(y, 4000, &spec, NULL, &m, NULL));
    ASSERT_OK(fc_model_new(&spec, &w));
    fc_model_copy(w, m);
    /* Feed 500 values one by one and through the fast loop. */
    for(size_t t = 4000; t < 4500; t++)
      fc_update(m, y[t]);
    struct fc_spec one = spec;
    one.fit_h = 0;
    w->spec = one;
    fc_model_run(w, y + 4000, 500, NULL);
    ASSERT_NEAR(w->level, m->level, 1e-9 * fabs(m->level));
    ASSERT_NEAR(w->trend, m->trend, 1e-9);
    ASSERT_NEAR(w->sigma2, m->sigma2, 1e-9 * m->sigma2);
    ASSERT_NEAR(w->sse, m->sse, 1e-9 * m->sse);
    fc_model_free(&w);
    ASSERT_OK(fc_path_init(&p, 6, 1));
    int hit = 0, tot = 0;
    for(size_t t = 4500; t + 6 <= 8000; t++) {
      ASSERT_OK(fc_forecast(m, 6, &q, 1, &p));
      for(int h = 0; h < 6; h++) {
        hit += y[t + (size_t)h] <= p.q[h] ? 1 : 0;
        tot++;
      }
      fc_update(m, y[t]);
    }
    double cov = (double)hit / tot;
    if(cov < 0.93 || cov > 0.97)
      fail_msg("%s: q0.95 coverage %.3f outside [0.93, 0.97]",
               fc_kind_name(kinds[k]), cov);
    fc_path_cleanup(&p);
    fc_model_free(&m);
  }
}

static void fit_is_deterministic_and_refit_starts_warm(void **state) {
  (void)state;
  static double y[2400];
  noisy_series(y, 2400, 48, 7);
  struct fc_spec spec = {.kind = FC_HW_DAMPED, .period = 48};
  struct fc_model *a = NULL, *b = NULL, *c = NULL;
  struct fc_fit_info ia, ib, ic;
  ASSERT_OK(fc_fit(y, 2400, &spec, NULL, &a, &ia));
  ASSERT_OK(fc_fit(y, 2400, &spec, NULL, &b, &ib));
  assert_memory_equal(&a->par, &b->par, sizeof(a->par));
  ASSERT_NEAR(a->sse, b->sse, 0);
  assert_int_equal(ia.evaluations, ib.evaluations);
  /* The parameters stay inside the region. */
  assert_true(a->par.alpha > 0 && a->par.alpha < 1);
  assert_true(a->par.beta > 0 && a->par.beta < a->par.alpha);
  assert_true(a->par.gamma > 0 && a->par.gamma < 1 - a->par.alpha);
  assert_true(a->par.phi > 0.8 && a->par.phi < 0.98);
  /* A refit from the previous parameters ends no worse than the fresh
   * fit (within the stopping tolerance). */
  ASSERT_OK(fc_fit(y, 2400, &spec, &a->par, &c, &ic));
  assert_true(ic.evaluations > 0);
  assert_true(c->sse <= a->sse * 1.001);
  /* The noise has sd 3: the fit finds about that. */
  ASSERT_NEAR(sqrt(a->sse / (double)a->nsse), 3, 0.5);
  fc_model_free(&a);
  fc_model_free(&b);
  fc_model_free(&c);
}

/* A refit matches a warm fit but keeps the previous quantile tables. */
static void refit_keeps_tables(void **state) {
  (void)state;
  static double y[3000];
  noisy_series(y, 3000, 48, 5);
  struct fc_spec spec = {.kind = FC_HW_DAMPED, .period = 48, .fit_h = 3};
  struct fc_model *a = NULL, *warm = NULL, *re = NULL;
  ASSERT_OK(fc_fit(y, 2400, &spec, NULL, &a, NULL));
  ASSERT_OK(fc_fit(y + 600, 2400, &spec, &a->par, &warm, NULL));
  ASSERT_OK(fc_refit(y + 600, 2400, a, &re, NULL));
  assert_memory_equal(&re->par, &warm->par, sizeof(re->par));
  /* The same recursion, through the fast loop or fc_update(): equal but
   * for rounding. */
  ASSERT_NEAR(re->level, warm->level, 1e-9 * fabs(warm->level));
  ASSERT_NEAR(re->sigma2, warm->sigma2, 1e-9 * warm->sigma2);
  assert_memory_equal(re->ztab, a->ztab, sizeof(a->ztab));
  assert_memory_equal(re->zok, a->zok, sizeof(a->zok));
  /* The warm fit measured its own tables on the new data. */
  assert_true(memcmp(warm->ztab, a->ztab, sizeof(a->ztab)) != 0);
  fc_model_free(&a);
  fc_model_free(&warm);
  fc_model_free(&re);
}

/* The upper quantile covers about what it promises on fresh data. */
static void quantile_is_calibrated(void **state) {
  (void)state;
  static double y[6000];
  noisy_series(y, 6000, 48, 11);
  struct fc_spec spec = {.kind = FC_HW, .period = 48};
  struct fc_model *m = NULL;
  struct fc_path p;
  double q = 0.95;
  ASSERT_OK(fc_fit(y, 3000, &spec, NULL, &m, NULL));
  ASSERT_OK(fc_path_init(&p, 6, 1));
  int hit = 0, tot = 0;
  for(size_t t = 3000; t + 6 <= 6000; t++) {
    ASSERT_OK(fc_forecast(m, 6, &q, 1, &p));
    for(int h = 0; h < 6; h++) {
      hit += y[t + (size_t)h] <= p.q[h] ? 1 : 0;
      tot++;
    }
    fc_update(m, y[t]);
  }
  double cov = (double)hit / tot;
  if(cov < 0.92 || cov > 0.98)
    fail_msg("q0.95 coverage %.3f outside [0.92, 0.98]", cov);
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

/* Robust fitting: bursts do not drag the level or widen the band much. */
static void clipping_resists_bursts(void **state) {
  (void)state;
  static double y[2400];
  noisy_series(y, 2400, 48, 3);
  for(size_t t = 500; t < 2400; t += 200)
    y[t] += 400;  /* one-step spikes */
  struct fc_spec plain = {.kind = FC_HW, .period = 48};
  struct fc_spec robust = {.kind = FC_HW, .period = 48, .clip_k = 2.5};
  struct fc_model *a = NULL, *b = NULL;
  ASSERT_OK(fc_fit(y, 2400, &plain, NULL, &a, NULL));
  ASSERT_OK(fc_fit(y, 2400, &robust, NULL, &b, NULL));
  /* The robust fit's recent error scale stays near the noise (3). */
  assert_true(sqrt(b->sigma2) < sqrt(a->sigma2));
  assert_true(sqrt(b->sigma2) < 6);
  fc_model_free(&a);
  fc_model_free(&b);
}

/* The fast pass clips as fc_update() does, from the first season on. */
static void clipped_fast_pass_matches_update(void **state) {
  (void)state;
  static double y[2400];
  noisy_series(y, 2400, 48, 13);
  for(size_t t = 30; t < 2400; t += 97)
    y[t] += 300;
  y[700] = (double)NAN;
  enum fc_kind kinds[] = {FC_HW, FC_HW_DAMPED, FC_SES, FC_HOLT_DAMPED};
  for(size_t k = 0; k < 4; k++) {
    struct fc_spec spec = {.kind = kinds[k], .period = 48, .clip_k = 2.5};
    struct fc_model *a = NULL, *b = NULL;
    ASSERT_OK(fc_model_new(&spec, &a));
    ASSERT_OK(fc_model_new(&spec, &b));
    a->par = (struct fc_params){.alpha = 0.3, .beta = 0.02, .phi = 0.9,
                                .gamma = kinds[k] == FC_SES ||
                                         kinds[k] == FC_HOLT_DAMPED ? 0 : 0.1};
    if(kinds[k] == FC_HW || kinds[k] == FC_SES)
      a->par.phi = 1;
    if(kinds[k] == FC_SES)
      a->par.beta = 0;
    a->level = 100;
    a->sigma2 = 9;
    fc_model_copy(b, a);
    double sum = 0;
    int clipped = 0;
    for(size_t t = 0; t < 2400; t++) {
      double f = fc_model_next(a), e = fc_update(a, y[t]);
      if(!isnan(e) && fabs(y[t] - f - e) > 1e-9)
        clipped++;
      sum += isnan(e) ? 0 : e * e;
    }
    double mse = fc_model_run(b, y, 2400, NULL);
    assert_true(clipped > 10);
    ASSERT_NEAR(b->level, a->level, 1e-9 * fabs(a->level));
    ASSERT_NEAR(b->trend, a->trend, 1e-9);
    ASSERT_NEAR(b->sigma2, a->sigma2, 1e-9 * a->sigma2);
    ASSERT_NEAR(b->sse, a->sse, 1e-9 * a->sse);
    ASSERT_NEAR(mse, sum / (double)a->nsse, 1e-9 * mse);
    for(int i = 0; i < 48; i++)
      ASSERT_NEAR(b->s1[i], a->s1[i], 1e-9);
    fc_model_free(&a);
    fc_model_free(&b);
  }
}

static void gaps_leading_inside_trailing(void **state) {
  (void)state;
  double y[150];
  for(int t = 0; t < 150; t++)
    y[t] = pattern[t % 12];
  for(int t = 0; t < 6; t++)
    y[t] = (double)NAN;                   /* leading: skipped */
  for(int t = 50; t < 60; t++)
    y[t] = (double)NAN;                   /* inside: stepped over */
  for(int t = 144; t < 150; t++)
    y[t] = (double)NAN;                   /* trailing: the state moves on */
  struct fc_spec spec = {.kind = FC_HW, .period = 12};
  struct fc_model *m = NULL;
  struct fc_fit_info info;
  struct fc_path p;
  ASSERT_OK(fc_fit(y, 150, &spec, NULL, &m, &info));
  assert_int_equal(info.skipped, 6);
  assert_int_equal(m->nmiss, 16);
  ASSERT_OK(fc_path_init(&p, 12, 0));
  ASSERT_OK(fc_forecast(m, 12, NULL, 0, &p));
  /* h = 1 is the step after the last row, whatever it held. */
  for(int h = 0; h < 12; h++)
    ASSERT_NEAR(p.mean[h], pattern[(150 + h) % 12], 1e-6);
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

static void refuses_what_cannot_fit(void **state) {
  (void)state;
  double y[100];
  struct fc_model *m = NULL;
  for(int t = 0; t < 100; t++)
    y[t] = pattern[t % 12];
  struct fc_spec spec = {.kind = FC_HW, .period = 60};
  assert_int_equal(fc_fit(y, 100, &spec, NULL, &m, NULL), PW_ETOOSHORT);
  assert_null(m);
  struct fc_spec ds = {.kind = FC_DSHW, .period = 12, .period2 = 48};
  assert_int_equal(fc_fit(y, 90, &ds, NULL, &m, NULL), PW_ETOOSHORT);
  /* A season with no value at all. */
  for(int t = 0; t < 12; t++)
    y[t] = (double)NAN;
  y[0] = 1;
  for(int t = 1; t < 24; t++)
    y[t] = (double)NAN;
  struct fc_spec hw = {.kind = FC_HW, .period = 12};
  assert_int_equal(fc_fit(y, 100, &hw, NULL, &m, NULL), PW_ETOOSHORT);
  /* A multiplicative season on a level of zero. */
  for(int t = 0; t < 100; t++)
    y[t] = t < 24 ? 0 : 5;
  struct fc_spec mul = {.kind = FC_HW_MUL, .period = 12};
  assert_int_equal(fc_fit(y, 100, &mul, NULL, &m, NULL), PW_ENUMERIC);
  struct fc_spec bad = {.kind = FC_HW, .period = 0};
  assert_int_equal(fc_fit(y, 100, &bad, NULL, &m, NULL), PW_EINVAL);
}

static void dshw_fits_two_seasons(void **state) {
  (void)state;
  static double y[24 * 7 * 4];
  size_t n = sizeof(y) / sizeof(y[0]);
  for(size_t t = 0; t < n; t++) {
    double day = pattern[(t / 2) % 12];
    double weekend = (t / 24) % 7 >= 5 ? -8 : 0;
    y[t] = 50 + day + weekend;
  }
  struct fc_spec spec = {.kind = FC_DSHW, .period = 24, .period2 = 168};
  struct fc_model *m = NULL;
  struct fc_path p;
  ASSERT_OK(fc_fit(y, n, &spec, NULL, &m, NULL));
  ASSERT_OK(fc_path_init(&p, 168, 0));
  ASSERT_OK(fc_forecast(m, 168, NULL, 0, &p));
  for(int h = 0; h < 168; h++) {
    size_t t = n + (size_t)h;
    double want = 50 + pattern[(t / 2) % 12] + ((t / 24) % 7 >= 5 ? -8 : 0);
    ASSERT_NEAR(p.mean[h], want, 1e-6);
  }
  fc_path_cleanup(&p);
  fc_model_free(&m);
}

static void allocation_failures_are_reported(void **state) {
  (void)state;
  double y[120];
  for(int t = 0; t < 120; t++)
    y[t] = pattern[t % 12] + 0.1 * (t % 5);
  struct fc_spec spec = {.kind = FC_HW, .period = 12};
  int ok = 0;
  for(long k = 0; k < 12; k++) {
    struct fc_model *m = NULL;
    pw_alloc_fail_after(k);
    int rc = fc_fit(y, 120, &spec, NULL, &m, NULL);
    pw_alloc_fail_after(-1);
    if(rc == 0) {
      ok++;
      fc_model_free(&m);
    }
    else {
      assert_int_equal(rc, PW_ENOMEM);
      assert_null(m);
    }
  }
  assert_true(ok > 0);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(periodic_series_forecasts_itself),
    cmocka_unit_test(linear_trend_extrapolates),
    cmocka_unit_test(nonseasonal_recovers_parameters),
    cmocka_unit_test(nonseasonal_known_forecasts),
    cmocka_unit_test(nonseasonal_updates_and_calibration),
    cmocka_unit_test(fit_is_deterministic_and_refit_starts_warm),
    cmocka_unit_test(refit_keeps_tables),
    cmocka_unit_test(quantile_is_calibrated),
    cmocka_unit_test(clipping_resists_bursts),
    cmocka_unit_test(clipped_fast_pass_matches_update),
    cmocka_unit_test(gaps_leading_inside_trailing),
    cmocka_unit_test(refuses_what_cannot_fit),
    cmocka_unit_test(dshw_fits_two_seasons),
    cmocka_unit_test(allocation_failures_are_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
