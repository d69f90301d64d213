/*
 * Seasonal period detection.
 *
 * The autocorrelation of the series (mean and linear trend removed, missing
 * values counted as the mean) is computed with GSL's radix-2 FFT, corrected
 * for the shrinking overlap at long lags.  A lag is a candidate when it is a
 * local maximum that stands above the lowest autocorrelation between half
 * its lag and itself (its prominence) by more than the noise level, and
 * that repeats at twice its lag.  The shortest candidate nearly as strong as
 * the best one wins (a daily cycle over the weekly one that contains it; a
 * 5-minute timer over its multiples), moved to the nearby lag whose
 * multiples agree best.  A second, longer period is reported when one of
 * its multiples lifts the autocorrelation above the shorter multiples (the
 * weekly peak over the daily comb).  The same search
 * finds the periods of intermittent series such as functions fired by a
 * timer, whose autocorrelation is a comb.
 */
#ifndef FC_PERIOD_H
#define FC_PERIOD_H

#include <stddef.h>

#include "../common/pw_err.h"

struct fc_period_info {
  int period;         /* the dominant period in steps, 0 when none */
  double strength;    /* its prominence, in autocorrelation units */
  int period2;        /* a longer period that is a multiple of it, or 0 */
  double strength2;
};

/*
 * Finds the dominant period of y[0..n) among lags 2..max_period (0 means
 * n / 3: three seasons must be seen to call a cycle).  Only a sparse
 * series (mostly idle, such as a function fired by a timer) may show a
 * period of up to n / 2, two seasons, and then only with a strong peak;
 * a dense series is always held to n / 3.  Returns 0 with out->period == 0 when there
 * is none, PW_ETOOSHORT for fewer than 8 observed values, or PW_ENOMEM.
 * Deterministic; O(n log n).
 */
int fc_period_detect(const double *y, size_t n, int max_period,
                     struct fc_period_info *out) PW_WUR;

/*
 * As fc_period_detect(), but keeps `prefer` (a period found before) when
 * the period found is a multiple of it, or while it is still a candidate at
 * least PREFER_SHARE as strong as the best one, so that a controller does
 * not switch seasons on noise.
 */
int fc_period_detect_prefer(const double *y, size_t n, int max_period,
                            int prefer, struct fc_period_info *out) PW_WUR;

/*
 * As fc_period_detect_prefer(), knowing the calendar: `day` is the number
 * of steps in a day (0 when unknown or not whole).  Once three days fit in
 * the series the day is the period preferred (request traffic is daily
 * first, and a daily model also holds any cycle that divides the day), and
 * a period within 3% of a whole number of days is taken as the day.
 */
int fc_period_detect_calendar(const double *y, size_t n, int max_period,
                              int prefer, int day,
                              struct fc_period_info *out) PW_WUR;

#endif
