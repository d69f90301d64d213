#include "fc_period.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

#include "../common/pw_alloc.h"

/* A shorter divisor wins when its prominence is at least this share of the
 * best one. */
#define DIVISOR_SHARE 0.6

/* Centres y and removes its least-squares line; missing values become 0. */
static size_t detrend(const double *y, size_t n, double *x) {
  double st = 0, sy = 0, stt = 0, sty = 0;
  size_t c = 0;
  for(size_t t = 0; t < n; t++) {
    if(isnan(y[t]))
      continue;
    double tt = (double)t;
    st += tt;
    sy += y[t];
    stt += tt * tt;
    sty += tt * y[t];
    c++;
  }
  double cn = (double)c, den = cn * stt - st * st;
  double b = c > 1 && fabs(den) > 0 ? (cn * sty - st * sy) / den : 0;
  double a = c ? (sy - b * st) / cn : 0;
  for(size_t t = 0; t < n; t++)
    x[t] = isnan(y[t]) ? 0 : y[t] - (a + b * (double)t);
  return c;
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

static void pick(const double *acf, size_t maxlag, double noise,
                 struct fc_period_info *out) {
  size_t best = 0;
  double bests = 0;
  for(size_t k = 2; k < maxlag; k++) {
    if(acf[k] < acf[k - 1] || acf[k] < acf[k + 1] || acf[k] <= noise)
      continue;
    double p = prominence(acf, k);
    if(p > noise && p > bests) {
      best = k;
      bests = p;
    }
  }
  if(!best)
    return;
  size_t chosen = best;
  double cs = bests;
  for(size_t k = 2; k < best; k++) {
    if(acf[k] < acf[k - 1] || acf[k] < acf[k + 1] || !divides(k, best))
      continue;
    double p = prominence(acf, k);
    if(p >= DIVISOR_SHARE * bests && p > noise) {
      chosen = k;
      cs = p;
      break;
    }
  }
  out->period = (int)chosen;
  out->strength = cs;
  if(chosen != best) {
    out->period2 = (int)best;
    out->strength2 = bests;
  }
}

int fc_period_detect(const double *y, size_t n, int max_period,
                     struct fc_period_info *out) {
  size_t N = 1, maxlag;
  double *buf, *acf;
  int rc;

  memset(out, 0, sizeof(*out));
  while(N < 2 * n)
    N <<= 1;
  maxlag = max_period > 0 ? (size_t)max_period : n / 2;
  if(maxlag > n / 2)
    maxlag = n / 2;
  buf = pw_calloc(N, sizeof(double));
  acf = pw_calloc(maxlag + 2, sizeof(double));
  if(!buf || !acf) {
    rc = PW_ENOMEM;
    goto out;
  }
  size_t c = detrend(y, n, buf);
  if(c < 8 || maxlag < 3) {
    rc = c < 8 ? PW_ETOOSHORT : 0;
    goto out;
  }
  rc = autocorr(buf, n, N, acf, maxlag + 1);
  if(rc == 0) {
    /* White noise has autocorrelations of about +-2/sqrt(n); a peak must
     * rise well above that. */
    pick(acf, maxlag + 1, fmax(0.1, 6.0 / sqrt((double)c)), out);
  }
  if(rc == 1)
    rc = 0;

out:
  pw_free(acf);
  pw_free(buf);
  return rc;
}
