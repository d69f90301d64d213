/*
 * Fitting a model to a series.
 *
 * Initial states come from a classical decomposition of the first two
 * seasons (of the longer period for double-seasonal models).  Smoothing
 * parameters minimise the mean squared one-step error with GSL's
 * Nelder-Mead simplex (gsl_multimin_fminimizer_nmsimplex2), through
 * transforms that keep them inside the usual region:
 *   0 < alpha < 1, 0 < beta < alpha, 0 < gamma < 1 - alpha,
 *   0 < omega < 1 - alpha - gamma, 0.8 < phi < 0.98, |ar| < 0.99.
 * The fit is deterministic: the same data and start give the same model.
 *
 * Call gsl_set_error_handler_off() once at start-up before fitting; every
 * GSL status is checked here.
 */
#ifndef FC_FIT_H
#define FC_FIT_H

#include <stddef.h>

#include "fc_model.h"

/* What a fit did, for --stats and the logs. */
struct fc_fit_info {
  int iterations;      /* simplex iterations */
  int evaluations;     /* passes over the data */
  size_t skipped;      /* leading missing values dropped */
};

/*
 * Fits spec to y[0..n) (NAN marks a missing value; leading ones are
 * skipped, others are stepped over).  start, when not NULL, seeds the
 * search (a refit starts from the previous parameters).  On success *out is
 * a new model whose state is at the end of y, and the caller frees it with
 * fc_model_free(); info, when not NULL, is filled.
 *
 * Returns 0, or PW_EINVAL (bad spec), PW_ETOOSHORT (fewer than
 * fc_spec_min_rows() rows after the leading gap, or a season without data),
 * PW_ENUMERIC (the model does not apply: a multiplicative season on a
 * series that reaches zero, or the minimiser failed) or PW_ENOMEM.
 */
int fc_fit(const double *y, size_t n, const struct fc_spec *spec,
           const struct fc_params *start, struct fc_model **out,
           struct fc_fit_info *info) PW_WUR;

/*
 * Refits prev's model to y[0..n) starting from prev's parameters, for a
 * controller's frequent refits: the states are rebuilt over y, but the
 * quantile tables are copied from prev instead of being measured again
 * (a full fc_fit() renews them).  Returns as fc_fit() does; the caller
 * frees *out.
 */
int fc_refit(const double *y, size_t n, const struct fc_model *prev,
             struct fc_model **out, struct fc_fit_info *info) PW_WUR;

#endif
