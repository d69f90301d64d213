#include "fc_period.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

#include "../common/pw_alloc.h"

/* A shorter divisor wins when its prominence is at least this share of the
 * best one. */
#define DIVISOR_SHARE 0.6
/* A second period must lift the autocorrelation this much above the
 * shorter multiples of the first. */
#define SECOND_EXCESS 0.1
/* fc_period_detect_prefer() keeps a period this strong relative to the
 * best. */
#define PREFER_SHARE 0.25
/* The prominence a peak needs when its repeat cannot be checked. */
#define LONE_PEAK 0.5
/* A series whose participation ratio is below this share of its length
 * is sparse (mostly idle): it is smoothed over three steps before the
 * autocorrelation, so a timer that fires a step early or late still
 * lines up. */
#define SPARSE_SHARE 0.25
/* Calendar periods in common steps divide this (see refine()). */
#define CALENDAR 100800u
/* Values further than this many median absolute deviations from the
 * median are clipped to that distance before detection (a sine's MAD is
 * 0.71 of its amplitude, so a clean cycle is never touched; one 1e15
 * spike no longer owns the autocorrelation). */
#define CLIP_MADS 10.0
/* A detrended series whose largest residual is below this share of its
 * largest value is constant (or a straight line): it has no period. */
#define FLAT_SHARE 1e-9

/* The range detection clips values to: the whole line when unbounded. */
struct clip {
  double lo, hi;
};

static double clipped(const struct clip *cl, double v) {
  return v < cl->lo ? cl->lo : v > cl->hi ? cl->hi : v;
}

/* The k-th smallest of v[0..c) (k < c), by quickselect: expected O(c),
 * reorders v. */
static double select_kth(double *v, size_t c, size_t k) {
  size_t lo = 0, hi = c - 1;
  while(lo < hi) {
    /* The median of three as the pivot; Hoare's partition. */
    size_t mid = lo + (hi - lo) / 2;
    double a = v[lo], b = v[mid], d = v[hi];
    double piv = a < b ? (b < d ? b : a < d ? d : a)
                       : (a < d ? a : b < d ? d : b);
    size_t i = lo, j = hi;
    while(i <= j) {
      while(v[i] < piv)
        i++;
      while(v[j] > piv)
        j--;
      if(i <= j) {
        double tmp = v[i];
        v[i++] = v[j];
        v[j] = tmp;
        if(j == 0)
          break;
        j--;
      }
    }
    if(k <= j)
      hi = j;
    else if(k >= i)
      lo = i;
    else
      return v[k];
  }
  return v[k];
}

/* The median of v[0..c), c > 0; reorders v. */
static double median_of(double *v, size_t c) {
  double m = select_kth(v, c, c / 2);
  if(c % 2)
    return m;
  /* The lower middle is the largest of the values left of c / 2. */
  double below = v[0];
  for(size_t i = 1; i < c / 2; i++)
    below = v[i] > below ? v[i] : below;
  return 0.5 * (below + m);
}

/* Are the observed values of y[0..n) all equal?  Stops at the first that
 * differs, so it costs little but on a constant series. */
static int is_constant(const double *y, size_t n) {
  size_t t = 0;
  while(t < n && isnan(y[t]))
    t++;
  for(size_t u = t + 1; u < n; u++) {
    if(!isnan(y[u]) && (y[u] < y[t] || y[u] > y[t]))
      return 0;
  }
  return 1;
}

/*
 * Sets *cl to median +- CLIP_MADS * MAD of the observed values, using
 * tmp (room for n values) as scratch.  A MAD of zero (a mostly idle
 * series, whose bursts are its signal) clips nothing.
 */
static void robust_range(const double *y, size_t n, double *tmp,
                         struct clip *cl) {
  size_t c = 0;
  cl->lo = -HUGE_VAL;
  cl->hi = HUGE_VAL;
  for(size_t t = 0; t < n; t++) {
    if(!isnan(y[t]))
      tmp[c++] = y[t];
  }
  if(c == 0)
    return;
  double med = median_of(tmp, c);
  for(size_t i = 0; i < c; i++)
    tmp[i] = fabs(tmp[i] - med);
  double mad = median_of(tmp, c);
  if(mad > 0) {
    cl->lo = med - CLIP_MADS * mad;
    cl->hi = med + CLIP_MADS * mad;
  }
}

/* Centres y (clipped to cl) and removes its least-squares line; missing
 * values become 0. */
static size_t detrend(const double *y, size_t n, const struct clip *cl,
                      double *x) {
  double st = 0, sy = 0, stt = 0, sty = 0;
  size_t c = 0;
  for(size_t t = 0; t < n; t++) {
    if(isnan(y[t]))
      continue;
    double tt = (double)t, v = clipped(cl, y[t]);
    st += tt;
    sy += v;
    stt += tt * tt;
    sty += tt * v;
    c++;
  }
  double cn = (double)c, den = cn * stt - st * st;
  double b = c > 1 && fabs(den) > 0 ? (cn * sty - st * sy) / den : 0;
  double a = c ? (sy - b * st) / cn : 0;
  for(size_t t = 0; t < n; t++)
    x[t] = isnan(y[t]) ? 0 : clipped(cl, y[t]) - (a + b * (double)t);
  return c;
}

/* Is the detrended x[0..n) of y (clipped to cl) nothing but rounding
 * error? */
static int is_flat(const double *y, const double *x, size_t n,
                   const struct clip *cl) {
  double ymax = 0, xmax = 0;
  for(size_t t = 0; t < n; t++) {
    if(!isnan(y[t])) {
      ymax = fmax(ymax, fabs(clipped(cl, y[t])));
      xmax = fmax(xmax, fabs(x[t]));
    }
  }
  return xmax <= FLAT_SHARE * ymax;
}

/* acf[0..maxlag] from x[0..n) through a zero-padded FFT of size N. */
static int autocorr(double *buf, size_t n, size_t N, double *acf,
                    size_t maxlag) {
  if(gsl_fft_real_radix2_transform(buf, 1, N))
    return PW_ENUMERIC;
  buf[0] *= buf[0];
  buf[N / 2] *= buf[N / 2];
  for(size_t i = 1; i < N / 2; i++) {
    buf[i] = buf[i] * buf[i] + buf[N - i] * buf[N - i];
    buf[N - i] = 0;
  }
  if(gsl_fft_halfcomplex_radix2_inverse(buf, 1, N))
    return PW_ENUMERIC;
  if(!(buf[0] > 0))
    return 1;  /* a constant series */
  for(size_t k = 0; k <= maxlag; k++)
    acf[k] = buf[k] / buf[0] * (double)n / (double)(n - k);
  return 0;
}

static double prominence(const double *acf, size_t k) {
  double lo = acf[k];
  for(size_t j = k / 2; j < k; j++)
    lo = fmin(lo, acf[j]);
  return acf[k] - lo;
}

/* Is k (nearly) a multiple of d: within one step per multiple of d? */
static int divides(size_t d, size_t k) {
  size_t q = (k + d / 2) / d;
  size_t diff = q * d > k ? q * d - k : k - q * d;
  return q >= 2 && diff <= q;
}

/* The highest autocorrelation within 1% of lag k (a period that is not a
 * whole number of steps spreads its peak). */
static double near_max(const double *acf, size_t nacf, size_t k) {
  size_t w = k / 100 + 1, lo = k > w ? k - w : 1, hi = k + w;
  double v = -1;
  for(size_t j = lo; j <= hi && j < nacf; j++)
    v = fmax(v, acf[j]);
  return v;
}

/*
 * Candidate lags: local maxima that clear the noise level, and that repeat:
 * where twice the lag is within reach, the autocorrelation there is at
 * least half as high (a coincidence of two bursts does not repeat).
 */
static size_t candidates(const double *acf, size_t nacf, size_t maxlag,
                         double ntot, double noise, int sparse, size_t *lag,
                         double *prom) {
  size_t nc = 0;
  for(size_t k = 2; k <= maxlag && k + 1 < nacf; k++) {
    if(acf[k] < acf[k - 1] || acf[k] < acf[k + 1] || acf[k] <= noise)
      continue;
    double p = prominence(acf, k);
    if(p <= noise)
      continue;
    /* Compared without the overlap correction, which magnifies noise at
     * long lags. */
    if(2 * k + k / 100 + 1 >= nacf) {
      /* Twice the lag is out of reach (between two and three seasons
       * seen): only a sparse series (a timer) with strong evidence. */
      if(!sparse || p < LONE_PEAK)
        continue;
    }
    else if(near_max(acf, nacf, 2 * k) * (ntot - 2.0 * (double)k) <
            0.5 * acf[k] * (ntot - (double)k)) {
      continue;
    }
    lag[nc] = k;
    prom[nc++] = p;
  }
  return nc;
}

/* Is k within 3% of a whole multiple (1, 2, ...) of d? */
static int near_multiple(size_t d, size_t k) {
  size_t q = (k + d / 2) / d;
  if(q == 0)
    return 0;
  double diff = fabs((double)k - (double)(q * d));
  return diff <= 0.03 * (double)k;
}

static size_t gcd(size_t a, size_t b) {
  while(b) {
    size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/*
 * Moves k to the summit of its peak (a noisy, broad peak has local maxima on
 * its shoulders).  The summit of a smooth cycle is flat, so noise decides
 * between, say, 1440 and 1441; among the lags within 2% whose
 * autocorrelation is as high as the summit's but for a small tolerance,
 * prefer the most calendar-like: the largest common divisor with
 * 100800 = 2^6 * 3^2 * 5^2 * 7, which every hourly, daily and weekly
 * period at steps of 1, 5, 10, 15, 30 and 60 minutes divides.
 */
static size_t refine(const double *acf, size_t nacf, size_t k) {
  size_t w = k / 10 + 1, top = k;
  for(size_t c = k > w + 2 ? k - w : 2; c <= k + w && c < nacf; c++) {
    if(acf[c] > acf[top])
      top = c;
  }
  double tol = fmax(0.01, 0.03 * acf[top]);
  size_t best = top, bestg = gcd(top, CALENDAR);
  w = top / 50 + 1;
  for(size_t c = top > w + 2 ? top - w : 2; c <= top + w && c < nacf; c++) {
    size_t g = gcd(c, CALENDAR);
    if(acf[c] >= acf[top] - tol && g > bestg) {
      best = c;
      bestg = g;
    }
  }
  return best;
}

static void pick(const double *acf, size_t nacf, const size_t *lag,
                 const double *prom, size_t nc, size_t prefer,
                 struct fc_period_info *out) {
  size_t best = 0, chosen;
  if(nc == 0)
    return;
  for(size_t i = 1; i < nc; i++) {
    if(prom[i] > prom[best])
      best = i;
  }
  /* The shortest candidate nearly as strong as the best: the daily cycle
   * rather than the weekly one, the timer rather than its multiples. */
  chosen = best;
  for(size_t i = 0; i < best; i++) {
    if(prom[i] >= DIVISOR_SHARE * prom[best]) {
      chosen = i;
      break;
    }
  }
  out->period = (int)refine(acf, nacf, lag[chosen]);
  out->strength = prom[chosen];
  if(prefer && (size_t)out->period != prefer) {
    /* Keep the period in use while it is still a candidate nearly as
     * strong as the best, or any candidate at all when the best is just a
     * multiple of it (no news). */
    int multiple = near_multiple(prefer, (size_t)out->period);
    size_t tol = prefer / 100 + 1;
    for(size_t i = 0; i < nc; i++) {
      size_t d = lag[i] > prefer ? lag[i] - prefer : prefer - lag[i];
      if(d <= tol && (multiple || prom[i] >= PREFER_SHARE * prom[chosen])) {
        chosen = i;
        out->period = (int)prefer;
        out->strength = prom[i];
        break;
      }
    }
  }
  /* A second, longer cycle: a multiple of the period whose autocorrelation
   * rises above that of the shorter multiples (the weekly peak over the
   * daily comb).  The shortest of the strongest wins. */
  size_t p = (size_t)out->period;
  double top = 0, excess[64];
  size_t cand[64], ncand = 0;
  for(size_t i = chosen + 1; i < nc && ncand < 64; i++) {
    if(!divides(p, lag[i]))
      continue;
    size_t q = (lag[i] + p / 2) / p;
    double comb = 0;
    for(size_t j = 1; j < q; j++)
      comb += acf[j * p];
    cand[ncand] = i;
    excess[ncand] = acf[lag[i]] - comb / (double)(q - 1);
    top = fmax(top, excess[ncand++]);
  }
  if(top < SECOND_EXCESS)
    return;
  for(size_t c = 0; c < ncand; c++) {
    if(excess[c] >= 0.9 * top) {
      out->period2 = (int)refine(acf, nacf, lag[cand[c]]);
      out->strength2 = excess[c];
      return;
    }
  }
}

/*
 * The noise level of the autocorrelation.  For white noise it is about
 * 1/sqrt(n); a sparse series (a function invoked a few dozen times) has far
 * fewer independent values than steps, so the effective count is the
 * participation ratio (sum |y|)^2 / sum y^2: n for dense series, the number
 * of events for sparse ones.  Capped so that a strict timer with a handful
 * of firings (autocorrelation near 1) is still found.
 */
static double effective_n(const double *y, size_t n, const struct clip *cl) {
  double s1 = 0, s2 = 0;
  for(size_t t = 0; t < n; t++) {
    if(!isnan(y[t])) {
      double v = clipped(cl, y[t]);
      s1 += fabs(v);
      s2 += v * v;
    }
  }
  return s2 > 0 ? s1 * s1 / s2 : 1;
}

static double noise_level(double neff) {
  return fmin(0.5, fmax(0.1, 3.0 / sqrt(neff)));
}

/* A three-step moving sum, in place (x has n values). */
static void smooth3(double *x, size_t n) {
  double prev = 0;
  for(size_t t = 0; t < n; t++) {
    double cur = x[t];
    x[t] = prev + cur + (t + 1 < n ? x[t + 1] : 0);
    prev = cur;
  }
}

int fc_period_detect(const double *y, size_t n, int max_period,
                     struct fc_period_info *out) {
  return fc_period_detect_prefer(y, n, max_period, 0, out);
}

int fc_period_detect_prefer(const double *y, size_t n, int max_period,
                            int prefer, struct fc_period_info *out) {
  size_t N = 1, maxlag, nacf;
  double *buf, *acf;
  int rc;

  memset(out, 0, sizeof(*out));
  if(n >= 8 && is_constant(y, n)) {
    /* A constant series has no period: said before any allocation or
     * FFT, which a caller retrying every few steps would pay. */
    for(size_t t = 0, c = 0; t < n; t++) {
      if(!isnan(y[t]) && ++c == 8)
        return 0;
    }
    return PW_ETOOSHORT;
  }
  while(N < 2 * n)
    N <<= 1;
  /* Detection wants three seasons unless told otherwise; a fit needs two. */
  maxlag = max_period > 0 ? (size_t)max_period : n / 3;
  if(maxlag > n / 2)
    maxlag = n / 2;
  nacf = 2 * maxlag + maxlag / 100 + 3;
  if(nacf > n - 1)
    nacf = n - 1;
  buf = pw_calloc(N, sizeof(double));
  acf = pw_calloc(nacf + 1, sizeof(double));
  if(!buf || !acf) {
    rc = PW_ENOMEM;
    goto out;
  }
  /* buf has room for 2n values: the upper half is scratch until the
   * detrended series is written to the lower half. */
  struct clip cl;
  robust_range(y, n, buf + n, &cl);
  memset(buf + n, 0, (N - n) * sizeof(double));
  size_t c = detrend(y, n, &cl, buf);
  if(c < 8 || maxlag < 3 || is_flat(y, buf, n, &cl)) {
    /* A straight line has no period either; its residuals are rounding
     * error, whose autocorrelation would be noise. */
    rc = c < 8 ? PW_ETOOSHORT : 0;
    goto out;
  }
  double neff = effective_n(y, n, &cl);
  int sparse = neff < SPARSE_SHARE * (double)c;
  if(sparse)
    smooth3(buf, n);
  else if(maxlag > n / 3)
    maxlag = n / 3;  /* a dense series shows three seasons first */
  rc = autocorr(buf, n, N, acf, nacf - 1);
  if(rc == 0) {
    size_t *lag = pw_malloc((maxlag + 1) * sizeof(size_t));
    double *prom = pw_malloc((maxlag + 1) * sizeof(double));
    if(lag && prom) {
      size_t nc = candidates(acf, nacf, maxlag, (double)n,
                             noise_level(neff), sparse, lag, prom);
      pick(acf, nacf, lag, prom, nc, prefer > 0 ? (size_t)prefer : 0, out);
    }
    else {
      rc = PW_ENOMEM;
    }
    pw_free(prom);
    pw_free(lag);
  }
  if(rc == 1)
    rc = 0;

out:
  pw_free(acf);
  pw_free(buf);
  return rc;
}

int fc_period_detect_calendar(const double *y, size_t n, int max_period,
                              int prefer, int day,
                              struct fc_period_info *out) {
  int known = day >= 2 && 3 * (size_t)day <= n;
  int rc = fc_period_detect_prefer(y, n, max_period, known ? day : prefer,
                                   out);
  if(rc || !known || out->period < 2)
    return rc;
  double q = round((double)out->period / day);
  if(out->period != day && q >= 1 &&
     fabs(out->period - q * day) <= 0.03 * out->period) {
    out->period = day;
    out->period2 = 0;  /* it was measured against another period */
  }
  return 0;
}
