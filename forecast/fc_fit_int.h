/*
 * Fitting internals shared inside forecast/ (fc_select.c); not for other
 * directories.
 */
#ifndef FC_FIT_INT_H
#define FC_FIT_INT_H

#include <stddef.h>

#include "fc_model.h"

/*
 * fc_fit() without the quantile tables (every zok[] is 0, so forecasts
 * use normal quantiles): for hold-out scoring, which reads only point
 * forecasts, at about two thirds of the cost.  Returns as fc_fit() does.
 */
int fc_fit_untabled(const double *y, size_t n, const struct fc_spec *spec,
                    struct fc_model **out) PW_WUR;

#endif
