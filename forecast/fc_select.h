/*
 * Automatic model choice.
 *
 * The candidates (Holt-Winters additive, damped and, on a strictly
 * positive series, multiplicative; double-seasonal when a second period is
 * given; the non-seasonal simple exponential smoothing and damped trend;
 * seasonal naive, scored only) are fitted on the series without its last
 * third (at most four seasons), then scored by their mean absolute error
 * over horizons 1..H from rolling origins in that hold-out part, updating
 * in O(1) between origins without refitting.  When the caller asked for
 * no clipping, the winner is also fitted robustly (clip_k FC_AUTO_CLIP)
 * and scored on the same hold-out; the better of the two is refitted on
 * the whole series from a cold start.  Seasonal naive is never chosen on
 * its score: on a short hold-out it wins by luck when the last seasons
 * repeat a burst, and would replay the burst.  With too little data for a
 * hold-out, the lowest AIC among the smoothing fits wins.  When every fit
 * fails, seasonal naive is used and the choice says so.
 */
#ifndef FC_SELECT_H
#define FC_SELECT_H

#include "fc_fit.h"
#include "fc_model.h"

/* The clipping (in standard deviations) auto tries on its winner when the
 * caller asked for none. */
#define FC_AUTO_CLIP 3.0

enum fc_try {
  FC_TRY_SKIPPED = 0,  /* not a candidate for this series */
  FC_TRY_OK,
  FC_TRY_FAILED
};

struct fc_choice {
  enum fc_kind kind;              /* the model chosen */
  const char *method;             /* "holdout", "aic" or "fallback" */
  int holdout;                    /* rows held out */
  enum fc_try tried[FC_KIND_COUNT];
  double score[FC_KIND_COUNT];    /* hold-out MAE or AIC; NAN if untried */
  double robust_score;            /* hold-out MAE of the winner fitted with
                                   * clip_k FC_AUTO_CLIP, or NAN */
};

/*
 * Chooses and fits a model for y[0..n).  base gives the period(s) and
 * clipping (base->kind is ignored; base->period2 > 0 adds FC_DSHW).
 * horizon is the longest horizon the caller will ask for.  On success *out
 * is the fitted model (the caller frees it), *choice says why, and info
 * describes the final fit.  Returns 0, PW_EINVAL, PW_ETOOSHORT (not even
 * seasonal naive fits) or PW_ENOMEM.
 */
int fc_select(const double *y, size_t n, const struct fc_spec *base,
              int horizon, struct fc_model **out, struct fc_choice *choice,
              struct fc_fit_info *info) PW_WUR;

#endif
