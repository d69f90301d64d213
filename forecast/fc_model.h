/*
 * Forecast models for one fixed-step series.
 *
 * Every model is written in error-correction (state-space) form, after
 * Hyndman, Koehler, Ord and Snyder, "Forecasting with Exponential Smoothing"
 * (2008).  With e = y - yhat, the one-step error:
 *
 *   yhat = l + phi*b + s1[i1] + s2[i2] + ar*e_prev   (additive season)
 *   yhat = (l + phi*b) * s1[i1]                     (multiplicative season)
 *   l   <- l + phi*b + alpha*e        (mul: alpha*e/s1)
 *   b   <- phi*b + beta*e             (mul: beta*e/s1)
 *   s1  <- s1 + gamma*e               (mul: gamma*e/(l + phi*b))
 *   s2  <- s2 + omega*e               (double seasonal only)
 *
 * The non-seasonal models (simple exponential smoothing and Holt's damped
 * trend) are the additive ones with gamma = 0 and a season of zeros: the
 * period still sets the error variance's memory, the robust clipping and
 * the rows a fit needs.  At short horizons on bursty series they often
 * beat every seasonal model (Hyndman's ets picks them there).
 *
 * Seasonal naive forecasts the value one season earlier.  Double-seasonal
 * Holt-Winters (Taylor, 2003) has two additive seasonal cycles and an AR(1)
 * correction of the one-step error; the AR term uses the error of the model
 * without it, as in Taylor's paper.
 *
 * A missing value (NAN) advances the state without a correction: no load is
 * invented, and nothing is added to the error sums.
 *
 * Threading: a model belongs to one thread at a time; nothing here locks.
 */
#ifndef FC_MODEL_H
#define FC_MODEL_H

#include <stddef.h>

#include "../common/pw_err.h"

enum fc_kind {
  FC_SNAIVE = 0,   /* seasonal naive */
  FC_HW,           /* additive trend, additive season */
  FC_HW_DAMPED,    /* damped trend, additive season */
  FC_HW_MUL,       /* additive trend, multiplicative season */
  FC_DSHW,         /* additive trend, two additive seasons, AR(1) error */
  FC_SES,          /* simple exponential smoothing: level only */
  FC_HOLT_DAMPED,  /* damped trend, no season */
  FC_KIND_COUNT
};

/* What to fit. */
struct fc_spec {
  enum fc_kind kind;
  int period;     /* m1, in steps: >= 2 for every model */
  int period2;    /* m2 > m1 for FC_DSHW, else 0 */
  double clip_k;  /* robust fitting: errors beyond clip_k standard deviations
                   * are clipped (Huber), 0 turns it off */
  int fit_h;      /* the fit minimises the mean of the one-step and the
                   * fit_h-step squared errors; 0 or 1: one-step only.
                   * At most period. */
};

/* Smoothing parameters; unused ones are 0 (phi is 1 without damping). */
struct fc_params {
  double alpha, beta, gamma, omega, phi, ar;
};

/* Number of points of the standardised-residual quantile table. */
#define FC_ZGRID 27
/* Horizons with their own table: 1, 2, 4, ..., 2^(FC_ZH - 1). */
#define FC_ZH 6

/*
 * A fitted model.  Fields are read-only outside forecast/; change the state
 * only through fc_update().
 */
struct fc_model {
  struct fc_spec spec;
  struct fc_params par;
  int nparams;           /* free parameters the fit chose */
  double level, trend;
  double e_prev;         /* last error without the AR term (DSHW) */
  double last_y;         /* last observed value */
  double *s1;            /* m1 slots; seasonal naive: last value per slot */
  double *s2;            /* m2 slots (DSHW) or NULL */
  int i1, i2;            /* slots of the next observation */
  double sigma2;         /* EWMA of squared one-step errors (relative errors
                          * for FC_HW_MUL) */
  double kappa;          /* EWMA weight of sigma2 */
  size_t nobs, nmiss;    /* observations and missing values seen */
  double sse;            /* in-sample sum of squared one-step errors */
  size_t nsse;           /* terms in sse */
  double aic;            /* n*log(sse/n) + 2*(nparams + 1) after a fit */
  /* Quantiles (at fc_zgrid_p[]) of the in-sample h-step errors divided by
   * their analytic standard deviation, for h = 2^g; row g is valid when
   * zok[g].  They calibrate the forecast quantiles horizon by horizon. */
  double ztab[FC_ZH][FC_ZGRID];
  int zok[FC_ZH];
};

/* Probabilities of ztab[]. */
extern const double fc_zgrid_p[FC_ZGRID];

/* Canonical names: "snaive", "hw", "hw-damped", "hw-mul", "dshw", "ses",
 * "holt-damped". */
const char *fc_kind_name(enum fc_kind kind);
int fc_kind_parse(const char *name, enum fc_kind *out) PW_WUR;

/*
 * Checks a spec: periods in range, period2 only (and always) with FC_DSHW,
 * clip_k 0 or in [1, 10].  Returns 0 or PW_EINVAL.
 */
int fc_spec_check(const struct fc_spec *spec) PW_WUR;

/* Whether kind has a seasonal component (every kind but FC_SES and
 * FC_HOLT_DAMPED). */
int fc_kind_seasonal(enum fc_kind kind);

/* Rows a fit needs: two seasons of the longest period. */
size_t fc_spec_min_rows(const struct fc_spec *spec);

/*
 * Allocates a model for spec with zeroed states.  The caller owns *out and
 * frees it with fc_model_free().  Returns 0, PW_EINVAL or PW_ENOMEM.
 */
int fc_model_new(const struct fc_spec *spec, struct fc_model **out) PW_WUR;

/* Frees *m and sets it to NULL; a no-op on NULL. */
void fc_model_free(struct fc_model **m);

/* Copies the states and parameters of src into dst of the same spec. */
void fc_model_copy(struct fc_model *dst, const struct fc_model *src);

/* One-step forecast of the next observation (before the AR term for DSHW:
 * included). */
double fc_model_next(const struct fc_model *m);

/*
 * Feeds one observation (NAN for a missing one) in O(1): no refit.
 * Returns the one-step error it saw, or NAN when y or the forecast was
 * missing.
 */
double fc_update(struct fc_model *m, double y);

/*
 * Feeds y[0..n) through fc_update() and returns the loss that fitting
 * minimises: the mean squared one-step error, averaged with the mean
 * squared fit_h-step error when spec.fit_h > 1 (NAN when there is none).
 * ring is scratch for 3 * fit_h doubles (NULL when fit_h <= 1).  The inner
 * loop of fitting; O(1) a step whatever fit_h is.
 */
double fc_model_run(struct fc_model *m, const double *y, size_t n,
                    double *ring);

/* A forecast path for horizons 1..h with nq quantiles per step. */
struct fc_path {
  int h, nq;          /* filled by fc_forecast() */
  int cap_h, cap_q;   /* allocated sizes */
  double *mean;       /* [cap_h] point forecast */
  double *sd;         /* [cap_h] forecast standard deviation */
  double *q;          /* [cap_h * cap_q]: q[k * nq + j] is quantile j of
                       * horizon k + 1 */
};

/* Allocates a path for up to cap_h steps and cap_q quantiles; reuse it on
 * every tick.  Returns 0 or PW_ENOMEM. */
int fc_path_init(struct fc_path *p, int cap_h, int cap_q) PW_WUR;
void fc_path_cleanup(struct fc_path *p);

/*
 * Forecasts h steps ahead with the quantiles q[0..nq) (each in (0, 1)).
 * The quantile of step k is mean + z(q, k) * sd(k), where sd(k) comes from
 * the model's analytic h-step variance (Hyndman et al. 2008, class 1; used
 * as an approximation for the multiplicative season) scaled by the recent
 * one-step error, and z(q, k) from the empirical quantiles of the model's
 * standardised in-sample k-step errors, interpolated in log k between the
 * tabulated horizons (the normal quantile where no table was filled).
 * Returns 0, or PW_EINVAL when h or nq exceed the path's capacity or a q is
 * out of range.
 */
int fc_forecast(const struct fc_model *m, int h, const double *q, int nq,
                struct fc_path *out) PW_WUR;

/* The point forecast h >= 1 steps ahead, in O(h) at most. */
double fc_model_point(const struct fc_model *m, int h);

/* The analytic h-step variance over the one-step variance:
 * 1 + sum_{j<h} c_j^2 (Hyndman et al. 2008, class 1). */
double fc_model_varsum(const struct fc_model *m, int h);

/* The standard normal quantile function (for p in (0, 1)). */
double fc_norm_quantile(double p);

#endif
