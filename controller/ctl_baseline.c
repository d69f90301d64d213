#include "ctl_baseline.h"

#include <math.h>

void ctl_baseline_reactive(const double *need, size_t len, double step_s,
                           double *out) {
  ctl_baseline_reactive_at(need, len, step_s, 0.7, out);
}

void ctl_baseline_reactive_at(const double *need, size_t len, double step_s,
                              double util, double *out) {
  /* The window of 300 s in steps: at least one, at most the trace (a
   * tiny step_s would overflow the cast). */
  size_t k = 1;
  if(step_s > 0) {
    double steps = ceil(300.0 / step_s);
    k = steps < (double)len ? (size_t)steps : len;
  }
  if(k < 1)
    k = 1;
  for(size_t t = 0; t < len; t++) {
    double top = 0;
    for(size_t j = t + 1 > k ? t + 1 - k : 0; j <= t; j++) {
      double prev = j ? need[j - 1] : need[0];
      double raw = ceil(prev / util);
      if(raw > top)
        top = raw;
    }
    out[t] = top;
  }
}

void ctl_baseline_static(const double *need, size_t len, size_t start,
                         double *out) {
  double top = 0;
  size_t lim = start > 0 ? start : len;
  for(size_t t = 0; t < lim && t < len; t++)
    top = fmax(top, need[t]);
  for(size_t t = 0; t < len; t++)
    out[t] = top;
}

/*
 * The step whose season-ago value stands for t + w: t + w - k * period
 * with the smallest k that puts it before t (observed by then).  With a
 * warm-up shorter than the period k is 1, as the scorer has it; a longer
 * warm-up reaches back whole seasons more.  -1 before one is observed.
 */
static long season_ago(size_t t, long w, long period) {
  long k = w / period + 1;
  long lo = (long)t + w - k * period;
  return lo >= 0 ? lo : -1;
}

void ctl_baseline_snaive(const double *need, size_t len, int w, int period,
                         double step_s, double *out) {
  (void)step_s;
  long wl = w > 0 ? w : 0;
  for(size_t t = 0; t < len; t++) {
    long lo = period > 0 ? season_ago(t, wl, period) : -1;
    if(lo < 0) {
      /* Before a season has passed: the reactive recommendation, without
       * stabilisation. */
      out[t] = ceil((t ? need[t - 1] : need[0]) / 0.7);
      continue;
    }
    double a = need[lo];
    if((size_t)lo + 1 < len)
      a = fmax(a, need[lo + 1]);
    out[t] = ceil(a * 1.2);
  }
}

void ctl_baseline_oracle(const double *need, size_t len, int w, double *out) {
  size_t ws = w > 0 ? (size_t)w : 0;
  for(size_t s = 0; s < len; s++) {
    double top = 0;
    for(size_t j = s; j < len && j - s <= ws; j++)
      top = fmax(top, need[j]);
    out[s] = top;
  }
}
