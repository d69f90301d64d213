#include "fc_fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

#include "../common/pw_alloc.h"
#include "fc_fit_int.h"

/*
 * Simplex limits: enough for three to five parameters to settle in the
 * transformed space; more buys nothing a forecast can show.  A parameter at
 * the edge of its region (beta -> 0 is common) sends its coordinate off to
 * infinity on a flat objective, where the simplex never shrinks: so the
 * coordinates are clamped, and the search also stops when the best value
 * has not improved by STALL_REL in STALL_ITERS iterations (after at least
 * MIN_ITER: the first reflections of a fresh simplex often improve
 * nothing).
 */
#define MAX_ITER 250
#define SIZE_TOL 1e-2
#define MIN_ITER 30
#define MIN_ITER_WARM 10  /* a refit starts near the optimum */
#define STALL_ITERS 15
#define STALL_ITERS_WARM 8  /* a refit starts at the last optimum */
#define STALL_REL 1e-4
#define XCLAMP 10.0
/* Standardised errors kept per quantile table (the most recent). */
#define ZKEEP 2048

struct fit_ctx {
  const double *y;
  size_t n;
  const struct fc_model *init;  /* the initial states */
  struct fc_model *work;        /* scratch model for one pass */
  double *ring;                 /* scratch for fc_model_run() */
  int evaluations;
};

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }
static double logit(double p) {
  p = fmin(fmax(p, 1e-6), 1 - 1e-6);
  return log(p / (1 - p));
}

static int nparams_of(enum fc_kind kind) {
  switch(kind) {
  case FC_SNAIVE:
    return 0;
  case FC_SES:
    return 1;
  case FC_HW_DAMPED:
    return 4;
  case FC_DSHW:
    return 5;
  default:
    return 3;
  }
}

/* Maps the unconstrained vector x to parameters inside the region. */
static void params_from(enum fc_kind kind, const double *x,
                        struct fc_params *p) {
  memset(p, 0, sizeof(*p));
  p->phi = 1;
  p->alpha = 1e-4 + (0.9998 - 1e-4) * logistic(x[0]);
  if(kind == FC_SES)
    return;
  if(kind == FC_HOLT_DAMPED) {
    p->beta = p->alpha * 0.999 * logistic(x[1]);
    p->phi = 0.8 + 0.18 * logistic(x[2]);
    return;
  }
  p->beta = p->alpha * 0.999 * logistic(x[1]);
  p->gamma = (1 - p->alpha) * 0.999 * logistic(x[2]);
  if(kind == FC_HW_DAMPED)
    p->phi = 0.8 + 0.18 * logistic(x[3]);
  if(kind == FC_DSHW) {
    p->omega = (1 - p->alpha - p->gamma) * 0.999 * logistic(x[3]);
    p->ar = 0.99 * tanh(x[4]);
  }
}

/* The inverse of params_from(), for a start inside the region. */
static void params_to(enum fc_kind kind, const struct fc_params *p,
                      double *x) {
  x[0] = logit((p->alpha - 1e-4) / (0.9998 - 1e-4));
  if(kind == FC_SES)
    return;
  x[1] = logit(p->beta / (0.999 * p->alpha));
  if(kind == FC_HOLT_DAMPED) {
    x[2] = logit((p->phi - 0.8) / 0.18);
    return;
  }
  x[2] = logit(p->gamma / (0.999 * (1 - p->alpha)));
  if(kind == FC_HW_DAMPED)
    x[3] = logit((p->phi - 0.8) / 0.18);
  if(kind == FC_DSHW) {
    x[3] = logit(p->omega / (0.999 * (1 - p->alpha - p->gamma)));
    x[4] = atanh(fmin(fmax(p->ar / 0.99, -0.999), 0.999));
  }
}

static double mean_obs(const double *y, size_t from, size_t to, size_t *cnt) {
  double s = 0;
  *cnt = 0;
  for(size_t t = from; t < to; t++) {
    if(!isnan(y[t])) {
      s += y[t];
      (*cnt)++;
    }
  }
  return *cnt ? s / (double)*cnt : (double)NAN;
}

/* Averages dev(t) over the observed t < w in each slot t % m, then centres
 * the indices (mean 0, or mean 1 when mul). */
static void seasonal_indices(double *s, int m, const double *dev, size_t w,
                             int mul) {
  double total = 0;
  int filled = 0;
  for(int j = 0; j < m; j++) {
    double sum = 0;
    int c = 0;
    for(size_t t = (size_t)j; t < w; t += (size_t)m) {
      if(!isnan(dev[t])) {
        sum += dev[t];
        c++;
      }
    }
    s[j] = c ? sum / c : (double)NAN;
    if(c) {
      total += s[j];
      filled++;
    }
  }
  double centre = filled ? total / filled : (mul ? 1 : 0);
  for(int j = 0; j < m; j++) {
    if(isnan(s[j]))
      s[j] = mul ? 1 : 0;
    else
      s[j] = mul ? s[j] / centre : s[j] - centre;
  }
}

/* Seasons of the longest period used to estimate the initial indices. */
#define INIT_SEASONS 8

/* Seasons init_states() will use for a series of n rows. */
static size_t init_seasons(const struct fc_spec *sp, size_t n) {
  size_t M = (size_t)(sp->kind == FC_DSHW ? sp->period2 : sp->period);
  size_t k = n / M;
  return k < INIT_SEASONS ? k : INIT_SEASONS;
}

/*
 * Initial states.  Level and trend come from the means of the first two
 * seasons; the seasonal indices from up to INIT_SEASONS seasons, each
 * measured against the mean of its own season so that growth across them
 * does not leak into the indices.  dev is scratch of init_seasons() * M.
 */
static int init_states(struct fc_model *m, const double *y, size_t n,
                       double *dev) {
  const struct fc_spec *sp = &m->spec;
  int mul = sp->kind == FC_HW_MUL;
  size_t M = (size_t)(sp->kind == FC_DSHW ? sp->period2 : sp->period);
  size_t ks = init_seasons(sp, n), w = ks * M, c1, c2;
  double a1 = mean_obs(y, 0, M, &c1), a2 = mean_obs(y, M, 2 * M, &c2);

  if(!c1 || !c2)
    return PW_ETOOSHORT;
  double b0 = (a2 - a1) / (double)M;
  /* Each season's level is its mean relative to the slot averages, so a
   * season with missing values is not biased towards the slots it has. */
  double *avg = m->s2 ? m->s2 : m->s1;   /* scratch of M, rewritten below */
  double avgmean = 0;
  size_t filled = 0;
  for(size_t j = 0; j < M; j++) {
    double sum = 0;
    size_t c = 0;
    for(size_t t = j; t < w; t += M) {
      if(!isnan(y[t])) {
        sum += y[t];
        c++;
      }
    }
    avg[j] = c ? sum / (double)c : (double)NAN;
    if(c) {
      avgmean += avg[j];
      filled++;
    }
  }
  avgmean /= (double)filled;
  if(mul && !(avgmean > 0))
    return PW_ENUMERIC;
  for(size_t k = 0; k < ks; k++) {
    double sum = 0;
    size_t ck = 0;
    for(size_t t = k * M; t < (k + 1) * M; t++) {
      double a = avg[t - k * M];
      if(isnan(y[t]) || (mul && !(a > 0)))
        continue;
      sum += mul ? y[t] / a : y[t] - a;
      ck++;
    }
    double mk = mul ? sum / (double)ck * avgmean : sum / (double)ck + avgmean;
    if(mul && ck && !(mk > 0))
      return PW_ENUMERIC;
    for(size_t t = k * M; t < (k + 1) * M; t++)
      dev[t] = !ck || isnan(y[t]) ? (double)NAN : mul ? y[t] / mk : y[t] - mk;
  }
  seasonal_indices(m->s1, sp->period, dev, w, mul);
  if(m->s2) {
    for(size_t t = 0; t < w; t++)
      dev[t] -= m->s1[t % (size_t)sp->period];
    seasonal_indices(m->s2, sp->period2, dev, w, 0);
  }
  /* The residual variance over the first two seasons starts the EWMA. */
  double ss = 0;
  size_t c = 0;
  for(size_t t = 0; t < 2 * M; t++) {
    if(isnan(y[t]))
      continue;
    double lt = a1 + b0 * ((double)t - (double)(M - 1) / 2);
    double f = mul ? lt * m->s1[t % (size_t)sp->period]
                   : lt + m->s1[t % (size_t)sp->period] +
                       (m->s2 ? m->s2[t % (size_t)sp->period2] : 0);
    double r = mul ? (y[t] - f) / fmax(fabs(f), 1e-12) : y[t] - f;
    ss += r * r;
    c++;
  }
  m->sigma2 = c ? ss / (double)c : 0;
  if(!(m->sigma2 > 0))
    m->sigma2 = 1e-12;
  if(mul && !(a1 - b0 * (double)(M + 1) / 2 > 0))
    return PW_ENUMERIC;
  m->level = a1 - b0 * (double)(M + 1) / 2;
  m->trend = b0;
  return 0;
}

/* Points of the start of the series that set a non-seasonal model's
 * initial level and trend (as in Hyndman et al. 2008, section 2.6). */
#define INIT_POINTS 10

/*
 * Initial states of the non-seasonal models: level and (damped only)
 * trend from a least-squares line through the first INIT_POINTS observed
 * values, taken back one step before the first; the error variance from
 * the squared first differences over the first two seasons, halved (the
 * one-step error variance of a random walk plus noise lies between the
 * two).  The season stays zero.
 */
static int init_nonseasonal(struct fc_model *m, const double *y, size_t n) {
  double st = 0, sy = 0, stt = 0, sty = 0;
  size_t c = 0;
  for(size_t t = 0; t < n && c < INIT_POINTS; t++) {
    if(isnan(y[t]))
      continue;
    double tt = (double)t;
    st += tt;
    sy += y[t];
    stt += tt * tt;
    sty += tt * y[t];
    c++;
  }
  if(c < 2)
    return PW_ETOOSHORT;
  double cn = (double)c, den = cn * stt - st * st;
  double b = m->spec.kind == FC_HOLT_DAMPED && den > 0
               ? (cn * sty - st * sy) / den : 0;
  double a = (sy - b * st) / cn;
  m->level = a - b;
  m->trend = b;
  double ss = 0, prev = (double)NAN;
  size_t cd = 0, lim = 2 * (size_t)m->spec.period;
  for(size_t t = 0; t < n && t < lim; t++) {
    if(isnan(y[t]))
      continue;
    if(!isnan(prev)) {
      ss += (y[t] - prev) * (y[t] - prev);
      cd++;
    }
    prev = y[t];
  }
  m->sigma2 = cd && ss > 0 ? 0.5 * ss / (double)cd : 1e-12;
  return 0;
}

/* Initial error variance of seasonal naive: lag-m differences of season 2. */
static void init_snaive(struct fc_model *m, const double *y) {
  size_t per = (size_t)m->spec.period, c = 0;
  double ss = 0;
  for(size_t t = per; t < 2 * per; t++) {
    double d = y[t] - y[t - per];
    if(!isnan(d)) {
      ss += d * d;
      c++;
    }
  }
  m->sigma2 = c && ss > 0 ? ss / (double)c : 1e-12;
}

static double objective(const gsl_vector *v, void *arg) {
  struct fit_ctx *fc = arg;
  struct fc_model *w = fc->work;
  double x[5] = {0};
  for(size_t i = 0; i < v->size; i++)
    x[i] = fmin(fmax(gsl_vector_get(v, i), -XCLAMP), XCLAMP);
  fc_model_copy(w, fc->init);
  params_from(w->spec.kind, x, &w->par);
  fc->evaluations++;
  double mse = fc_model_run(w, fc->y, fc->n, fc->ring);
  return isfinite(mse) ? mse : 1e300;
}

/* Runs the simplex; leaves the best parameters in fc->work->par. */
static int minimise(struct fit_ctx *fc, const struct fc_params *start,
                    struct fc_fit_info *info) {
  enum fc_kind kind = fc->init->spec.kind;
  size_t np = (size_t)nparams_of(kind);
  double x0[5] = {logit(0.2), logit(0.05), logit(0.1), 0, 0};
  const gsl_multimin_fminimizer_type *T = gsl_multimin_fminimizer_nmsimplex2;
  gsl_multimin_function f = {.f = objective, .n = np, .params = fc};
  int status, iter = 0, rc = 0;

  if(kind == FC_HW_DAMPED)
    x0[3] = logit((0.95 - 0.8) / 0.18);
  if(kind == FC_HOLT_DAMPED)
    x0[2] = logit((0.95 - 0.8) / 0.18);
  if(start)
    params_to(kind, start, x0);
  gsl_vector *x = gsl_vector_alloc(np), *step = gsl_vector_alloc(np);
  gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(T, np);
  if(!x || !step || !s) {
    rc = PW_ENOMEM;
    goto out;
  }
  for(size_t i = 0; i < np; i++) {
    gsl_vector_set(x, i, x0[i]);
    gsl_vector_set(step, i, start ? 0.3 : 1.0);
  }
  status = gsl_multimin_fminimizer_set(s, &f, x, step);
  /* Not gsl_multimin_fminimizer_minimum(): GSL sets it only on the first
   * iterate (valgrind showed it uninitialised, and the fits then differed
   * from run to run). */
  double best = HUGE_VAL;
  int stall = 0;
  while(status == GSL_SUCCESS && iter < MAX_ITER) {
    iter++;
    status = gsl_multimin_fminimizer_iterate(s);
    if(status)
      break;
    double fmin_now = gsl_multimin_fminimizer_minimum(s);
    stall = best - fmin_now > STALL_REL * fabs(best) ? 0 : stall + 1;
    best = fmin(best, fmin_now);
    if(stall >= (start ? STALL_ITERS_WARM : STALL_ITERS) &&
       iter >= (start ? MIN_ITER_WARM : MIN_ITER))
      break;
    status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s),
                                    SIZE_TOL);
    if(status == GSL_SUCCESS)
      break;
    status = GSL_SUCCESS;
  }
  if(status != GSL_SUCCESS && status != GSL_CONTINUE) {
    rc = PW_ENUMERIC;
    goto out;
  }
  double xb[5] = {0};
  for(size_t i = 0; i < np; i++)
    xb[i] = fmin(fmax(gsl_vector_get(s->x, i), -XCLAMP), XCLAMP);
  params_from(kind, xb, &fc->work->par);
  info->iterations = iter;

out:
  gsl_multimin_fminimizer_free(s);
  gsl_vector_free(step);
  gsl_vector_free(x);
  return rc;
}

/* Sorts v[0..n) ascending: quicksort with a median of three, insertion
 * sort below 16; no comparator calls (the tables are sorted at every
 * refit).  NANs must not occur. */
static void sort_doubles(double *v, size_t n) {
  while(n > 16) {
    double a = v[0], b = v[n / 2], c = v[n - 1];
    double pv = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    size_t i = 0, j = n - 1;
    for(;;) {
      while(v[i] < pv)
        i++;
      while(v[j] > pv)
        j--;
      if(i >= j)
        break;
      double t = v[i];
      v[i++] = v[j];
      v[j--] = t;
    }
    /* Recurse into the smaller part, loop on the larger. */
    size_t left = j + 1;
    if(left < n - left) {
      sort_doubles(v, left);
      v += left;
      n -= left;
    }
    else {
      sort_doubles(v + left, n - left);
      n = left;
    }
  }
  for(size_t i = 1; i < n; i++) {
    double x = v[i];
    size_t j = i;
    for(; j > 0 && v[j - 1] > x; j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
}

/* Fills table row g from the kept standardised errors z[0..kept). */
static void fill_row(struct fc_model *m, int g, double *z, size_t kept) {
  m->zok[g] = kept >= 100;
  if(!m->zok[g])
    return;
  sort_doubles(z, kept);
  for(int i = 0; i < FC_ZGRID; i++) {
    double pos = fc_zgrid_p[i] * (double)(kept - 1);
    size_t lo = (size_t)pos;
    double fr = pos - (double)lo;
    m->ztab[g][i] = lo + 1 < kept ? z[lo] + fr * (z[lo + 1] - z[lo]) : z[lo];
  }
}

/* Forecasts in flight during the final pass: for each tabulated horizon h,
 * the mean and standard deviation made h steps ago for this step. */
struct pending {
  double mean[FC_ZH][1 << (FC_ZH - 1)];
  double sd[FC_ZH][1 << (FC_ZH - 1)];
};

/*
 * The final pass: runs the fitted model over the data from its initial
 * states.  From each of the last ZKEEP origins it forecasts the tabulated
 * horizons (O(1) each) and, when the value arrives, keeps the error over
 * its analytic standard deviation; the quantile tables come from those.
 */
static int final_pass(struct fc_model *m, const double *y, size_t n) {
  const size_t burn = (size_t)m->spec.period;
  const size_t from = n > ZKEEP + burn ? n - ZKEEP : burn;
  double vs[FC_ZH];
  size_t kept[FC_ZH] = {0}, head[FC_ZH] = {0};
  double *z = pw_malloc(FC_ZH * ZKEEP * sizeof(double));
  struct pending *pd = pw_malloc(sizeof(*pd));

  if(!z || !pd) {
    pw_free(z);
    pw_free(pd);
    return PW_ENOMEM;
  }
  for(int g = 0; g < FC_ZH; g++)
    vs[g] = fc_model_varsum(m, 1 << g);
  /* Up to the first origin the tables use, the plain (fast) pass will do;
   * with the h-step loss off it needs no scratch. */
  int fit_h = m->spec.fit_h;
  m->spec.fit_h = 0;
  size_t t = from > 1 ? from - 1 : 0;
  fc_model_run(m, y, t, NULL);
  m->spec.fit_h = fit_h;
  for(; t < n; t++) {
    for(int g = 0; g < FC_ZH; g++) {
      size_t h = (size_t)1 << g, slot = t % h;
      if(t < from + h || isnan(y[t]) || !(pd->sd[g][slot] > 0))
        continue;
      z[g * ZKEEP + head[g]] = (y[t] - pd->mean[g][slot]) / pd->sd[g][slot];
      head[g] = (head[g] + 1) % ZKEEP;
      if(kept[g] < ZKEEP)
        kept[g]++;
    }
    fc_update(m, y[t]);
    if(t + 1 < from)
      continue;
    for(int g = 0; g < FC_ZH; g++) {
      size_t h = (size_t)1 << g;
      double mean = fc_model_point(m, (int)h);
      double sd = sqrt(m->sigma2 * vs[g]);
      if(m->spec.kind == FC_HW_MUL)
        sd *= fabs(mean);
      pd->mean[g][(t + h) % h] = mean;
      pd->sd[g][(t + h) % h] = isfinite(mean) ? sd : 0;
    }
  }
  for(int g = 0; g < FC_ZH; g++)
    fill_row(m, g, z + (size_t)g * ZKEEP, kept[g]);
  pw_free(pd);
  pw_free(z);
  return 0;
}

/* Runs the fitted model over the data without building tables, and takes
 * them from `tables` instead (none when it is NULL). */
static void pass_keep_tables(struct fc_model *m, const double *y, size_t n,
                             const struct fc_model *tables) {
  int fit_h = m->spec.fit_h;
  m->spec.fit_h = 0;  /* no h-step loss, so no ring */
  fc_model_run(m, y, n, NULL);
  m->spec.fit_h = fit_h;
  if(tables) {
    memcpy(m->ztab, tables->ztab, sizeof(m->ztab));
    memcpy(m->zok, tables->zok, sizeof(m->zok));
  }
}

/* fc_fit(), fc_refit() and fc_fit_untabled(): with `tables`, its quantile
 * tables are kept; with no_tables, none are built. */
static int fit(const double *y, size_t n, const struct fc_spec *spec,
               const struct fc_params *start, const struct fc_model *tables,
               int no_tables, struct fc_model **out,
               struct fc_fit_info *info) {
  struct fc_fit_info dummy;
  struct fc_model *init = NULL, *work = NULL;
  double *dev = NULL;
  int rc;

  *out = NULL;
  if(!info)
    info = &dummy;
  memset(info, 0, sizeof(*info));
  if(fc_spec_check(spec))
    return PW_EINVAL;
  while(n && isnan(*y)) {
    y++;
    n--;
    info->skipped++;
  }
  if(n < fc_spec_min_rows(spec))
    return PW_ETOOSHORT;
  rc = fc_model_new(spec, &init);
  if(rc)
    return rc;
  rc = fc_model_new(spec, &work);
  if(rc)
    goto out;
  if(spec->kind == FC_SNAIVE) {
    init_snaive(init, y);
  }
  else {
    size_t M = (size_t)(spec->kind == FC_DSHW ? spec->period2
                                              : spec->period);
    if(!fc_kind_seasonal(spec->kind)) {
      rc = init_nonseasonal(init, y, n);
    }
    else {
      dev = pw_malloc(init_seasons(spec, n) * M * sizeof(double));
      rc = dev ? init_states(init, y, n, dev) : PW_ENOMEM;
    }
    if(rc)
      goto out;
    struct fit_ctx fc = {.y = y, .n = n, .init = init, .work = work};
    fc.ring = pw_malloc(3 * (size_t)(spec->fit_h > 1 ? spec->fit_h : 1) *
                        sizeof(double));
    rc = fc.ring ? minimise(&fc, start, info) : PW_ENOMEM;
    pw_free(fc.ring);
    info->evaluations = fc.evaluations;
    if(rc)
      goto out;
    init->par = work->par;
  }
  init->nparams = nparams_of(spec->kind);
  fc_model_copy(work, init);
  if(tables || no_tables)
    pass_keep_tables(work, y, n, tables);
  else
    rc = final_pass(work, y, n);
  if(rc)
    goto out;
  if(!isfinite(work->sse) || !isfinite(work->level) ||
     !isfinite(work->sigma2)) {
    rc = PW_ENUMERIC;
    goto out;
  }
  double nn = (double)(work->nsse ? work->nsse : 1);
  work->aic = nn * log(fmax(work->sse / nn, 1e-300)) +
              2.0 * (work->nparams + 1);
  *out = work;
  work = NULL;

out:
  pw_free(dev);
  fc_model_free(&work);
  fc_model_free(&init);
  return rc;
}

int fc_fit(const double *y, size_t n, const struct fc_spec *spec,
           const struct fc_params *start, struct fc_model **out,
           struct fc_fit_info *info) {
  return fit(y, n, spec, start, NULL, 0, out, info);
}

int fc_fit_untabled(const double *y, size_t n, const struct fc_spec *spec,
                    struct fc_model **out) {
  return fit(y, n, spec, NULL, NULL, 1, out, NULL);
}

int fc_refit(const double *y, size_t n, const struct fc_model *prev,
             struct fc_model **out, struct fc_fit_info *info) {
  return fit(y, n, &prev->spec, &prev->par, prev, 0, out, info);
}
