#include "fc_model.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "../common/pw_alloc.h"

const double fc_zgrid_p[FC_ZGRID] = {
  0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4,
  0.5,   0.6,   0.7,  0.8,  0.85, 0.9, 0.925, 0.95, 0.96, 0.97,
  0.975, 0.98,  0.985, 0.99, 0.995, 0.998, 0.999};

static const char *const kind_names[FC_KIND_COUNT] = {
  "snaive", "hw", "hw-damped", "hw-mul", "dshw", "ses", "holt-damped"};

/* The largest period accepted: four weeks of one-minute steps. */
#define MAX_PERIOD 40320

const char *fc_kind_name(enum fc_kind kind) {
  return (unsigned)kind < FC_KIND_COUNT ? kind_names[kind] : "unknown";
}

int fc_kind_parse(const char *name, enum fc_kind *out) {
  for(int i = 0; i < FC_KIND_COUNT; i++) {
    if(strcmp(name, kind_names[i]) == 0) {
      *out = (enum fc_kind)i;
      return 0;
    }
  }
  return PW_EINVAL;
}

int fc_kind_seasonal(enum fc_kind kind) {
  return kind != FC_SES && kind != FC_HOLT_DAMPED;
}

int fc_spec_check(const struct fc_spec *spec) {
  if((unsigned)spec->kind >= FC_KIND_COUNT)
    return PW_EINVAL;
  if(spec->period < 2 || spec->period > MAX_PERIOD)
    return PW_EINVAL;
  if(spec->kind == FC_DSHW) {
    if(spec->period2 <= spec->period || spec->period2 > MAX_PERIOD)
      return PW_EINVAL;
  }
  else if(spec->period2 != 0) {
    return PW_EINVAL;
  }
  if((spec->clip_k < 0 || spec->clip_k > 0) &&
     !(spec->clip_k >= 1 && spec->clip_k <= 10))
    return PW_EINVAL;
  if(spec->fit_h < 0 || spec->fit_h > spec->period)
    return PW_EINVAL;
  return 0;
}

size_t fc_spec_min_rows(const struct fc_spec *spec) {
  int m = spec->kind == FC_DSHW ? spec->period2 : spec->period;
  return 2 * (size_t)m;
}

int fc_model_new(const struct fc_spec *spec, struct fc_model **out) {
  struct fc_model *m;

  *out = NULL;
  if(fc_spec_check(spec))
    return PW_EINVAL;
  m = pw_calloc(1, sizeof(*m));
  if(!m)
    return PW_ENOMEM;
  m->spec = *spec;
  m->s1 = pw_calloc((size_t)spec->period, sizeof(double));
  if(!m->s1)
    goto fail;
  if(spec->kind == FC_DSHW) {
    m->s2 = pw_calloc((size_t)spec->period2, sizeof(double));
    if(!m->s2)
      goto fail;
  }
  if(spec->kind == FC_SNAIVE) {
    for(int i = 0; i < spec->period; i++)
      m->s1[i] = (double)NAN;
  }
  m->par.phi = 1;
  m->last_y = (double)NAN;
  /* The error variance follows the last few tenths of a season, so that
   * the forecast band widens and narrows with the regime. */
  m->kappa = 1.0 / fmax(10.0, spec->period / 4.0);
  *out = m;
  return 0;

fail:
  pw_free(m->s1);
  pw_free(m);
  return PW_ENOMEM;
}

void fc_model_free(struct fc_model **mp) {
  struct fc_model *m = *mp;
  if(!m)
    return;
  pw_free(m->s1);
  pw_free(m->s2);
  pw_free(m);
  *mp = NULL;
}

void fc_model_copy(struct fc_model *dst, const struct fc_model *src) {
  double *s1 = dst->s1, *s2 = dst->s2;
  assert(dst->spec.kind == src->spec.kind &&
         dst->spec.period == src->spec.period &&
         dst->spec.period2 == src->spec.period2);
  *dst = *src;
  dst->s1 = s1;
  dst->s2 = s2;
  memcpy(s1, src->s1, (size_t)src->spec.period * sizeof(double));
  if(s2)
    memcpy(s2, src->s2, (size_t)src->spec.period2 * sizeof(double));
}

/* The forecast without the AR term. */
static double base_next(const struct fc_model *m) {
  switch(m->spec.kind) {
  case FC_SNAIVE:
    return isnan(m->s1[m->i1]) ? m->last_y : m->s1[m->i1];
  case FC_HW_MUL:
    return (m->level + m->trend) * m->s1[m->i1];
  case FC_DSHW:
    return m->level + m->trend + m->s1[m->i1] + m->s2[m->i2];
  default:
    return m->level + m->par.phi * m->trend + m->s1[m->i1];
  }
}

double fc_model_next(const struct fc_model *m) {
  return base_next(m) + m->par.ar * m->e_prev;
}

static void advance(struct fc_model *m) {
  if(++m->i1 == m->spec.period)
    m->i1 = 0;
  if(m->s2 && ++m->i2 == m->spec.period2)
    m->i2 = 0;
}

/* Advances through a missing observation. */
static void skip(struct fc_model *m) {
  m->nmiss++;
  if(m->spec.kind != FC_SNAIVE) {
    m->trend *= m->par.phi;
    m->level += m->trend;
  }
  m->e_prev = 0;
  advance(m);
}

/* Clips e to the robust band when clipping is on. */
static double clip(const struct fc_model *m, double e, double scale) {
  if(m->spec.clip_k > 0 && m->nobs > (size_t)m->spec.period) {
    double lim = m->spec.clip_k * sqrt(m->sigma2) * scale;
    if(e > lim)
      return lim;
    if(e < -lim)
      return -lim;
  }
  return e;
}

static double update_snaive(struct fc_model *m, double y) {
  double f = base_next(m);
  double e = isnan(f) ? (double)NAN : y - f;
  m->s1[m->i1] = y;
  return e;
}

static double update_mul(struct fc_model *m, double y, double scale) {
  double s = m->s1[m->i1];
  double base = m->level + m->trend;
  double f = base * s;
  double e = clip(m, y - f, scale);
  if(!(s > 1e-9 && base > 1e-9)) {
    /* The multiplicative form is undefined at a zero level; restart the
     * level from the observation and keep the season. */
    m->level = y / (s > 1e-9 ? s : 1.0);
    m->trend = 0;
    return y - f;
  }
  m->level = base + m->par.alpha * e / s;
  m->trend = m->trend + m->par.beta * e / s;
  m->s1[m->i1] = s + m->par.gamma * e / base;
  return e;
}

static double update_add(struct fc_model *m, double y) {
  double base = base_next(m);
  double f = base + m->par.ar * m->e_prev;
  double e = clip(m, y - f, 1.0);
  double eb = clip(m, y - base, 1.0);
  double pt = m->par.phi * m->trend;
  /* The smoothing equations use the error of the model without its AR
   * correction (Taylor 2003); for the other models the two are equal. */
  m->level = m->level + pt + m->par.alpha * eb;
  m->trend = pt + m->par.beta * eb;
  m->s1[m->i1] += m->par.gamma * eb;
  if(m->s2)
    m->s2[m->i2] += m->par.omega * eb;
  m->e_prev = eb;
  return e;
}

double fc_update(struct fc_model *m, double y) {
  double e, scale = 1.0;

  if(isnan(y)) {
    skip(m);
    return (double)NAN;
  }
  switch(m->spec.kind) {
  case FC_SNAIVE:
    e = update_snaive(m, y);
    break;
  case FC_HW_MUL:
    /* Relative errors drive the variance: the band scales with the level. */
    scale = fmax(fabs(base_next(m)), 1e-12);
    e = update_mul(m, y, scale);
    break;
  default:
    e = update_add(m, y);
    break;
  }
  m->last_y = y;
  m->nobs++;
  advance(m);
  if(isfinite(e)) {
    double r = e / scale;
    /* A relative error past 100% says the level was near zero (an outage
     * reported as zeros), not that the noise grew a thousandfold. */
    if(m->spec.kind == FC_HW_MUL)
      r = fmin(fmax(r, -1.0), 1.0);
    m->sse += e * e;
    m->nsse++;
    m->sigma2 += m->kappa * (r * r - m->sigma2);
  }
  return e;
}

/* Sum of phi^1..phi^h. */
static double phi_sum(double phi, int h) {
  double s = 0, p = 1;
  for(int i = 0; i < h; i++) {
    p *= phi;
    s += p;
  }
  return s;
}

/* Squared-error sums of one pass. */
struct run_loss {
  double sse1, sseh;
  size_t n1, nh;
};

/* The registers of a fast pass, written back by run_store(). */
struct run_regs {
  double l, b, sig, ep, last, sse, sseh;
  int i;
  size_t cnt, cnth;
};

/* Writes a fast pass's registers back into the model and its loss. */
static void run_store(struct fc_model *m, const struct run_regs *r, size_t n,
                      struct run_loss *loss) {
  m->level = r->l;
  m->trend = r->b;
  m->i1 = r->i;
  m->sigma2 = r->sig;
  m->e_prev = r->ep;
  m->last_y = r->last;
  m->sse += r->sse;
  m->nsse += r->cnt;
  m->nobs += r->cnt;
  m->nmiss += n - r->cnt;
  loss->sse1 = r->sse;
  loss->n1 = r->cnt;
  loss->sseh = r->sseh;
  loss->nh = r->cnth;
}

/*
 * fc_update() for the additive single-season and non-seasonal models, with
 * the state in registers: the inner loop of every fit.  It must stay
 * equivalent to update_add(), clip() and skip() (the unit tests compare
 * them).
 * The h-step forecast for step t made at origin t - h uses the seasonal
 * slot of t as it is now: it has not changed since, because h <= period.
 */
static void run_additive(struct fc_model *m, const double *y, size_t n,
                         double *rl, double *rb, struct run_loss *loss) {
  const double a = m->par.alpha, be = m->par.beta, g = m->par.gamma;
  const double phi = m->par.phi, k = m->kappa, ck = m->spec.clip_k;
  const int per = m->spec.period, hf = m->spec.fit_h > 1 ? m->spec.fit_h : 0;
  const double phih = phi_sum(phi, hf);
  const size_t nobs0 = m->nobs;
  double l = m->level, b = m->trend, sig = m->sigma2, sse = 0, sseh = 0;
  double last = m->last_y, ep = m->e_prev;
  double *s = m->s1;
  int i = m->i1, j = 0;
  size_t cnt = 0, cnth = 0;

  for(size_t t = 0; t < n; t++) {
    double pb = phi * b, yt = y[t];
    if(isnan(yt)) {
      l += pb;
      b = pb;
      ep = 0;
    }
    else {
      if(hf && t >= (size_t)hf) {
        double eh = yt - (rl[j] + phih * rb[j] + s[i]);
        sseh += eh * eh;
        cnth++;
      }
      double e = yt - (l + pb + s[i]);
      if(ck > 0 && nobs0 + cnt > (size_t)per) {
        /* clip(): Huber at clip_k recent standard deviations. */
        double lim = ck * sqrt(sig);
        e = e > lim ? lim : e < -lim ? -lim : e;
      }
      l += pb + a * e;
      b = pb + be * e;
      s[i] += g * e;
      sse += e * e;
      sig += k * (e * e - sig);
      ep = e;
      last = yt;
      cnt++;
    }
    if(hf) {
      rl[j] = l;
      rb[j] = b;
      if(++j == hf)
        j = 0;
    }
    if(++i == per)
      i = 0;
  }
  struct run_regs r = {.l = l, .b = b, .sig = sig, .ep = ep, .last = last,
                       .sse = sse, .sseh = sseh, .i = i, .cnt = cnt,
                       .cnth = cnth};
  run_store(m, &r, n, loss);
}

/*
 * fc_update() for the multiplicative model without clipping, with the
 * state in registers; equivalent to update_mul() (the tests compare them).
 */
static void run_mul(struct fc_model *m, const double *y, size_t n,
                    double *rl, double *rb, struct run_loss *loss) {
  const double a = m->par.alpha, be = m->par.beta, g = m->par.gamma;
  const double k = m->kappa;
  const int per = m->spec.period, hf = m->spec.fit_h > 1 ? m->spec.fit_h : 0;
  double l = m->level, b = m->trend, sig = m->sigma2, sse = 0, sseh = 0;
  double last = m->last_y;
  double *s = m->s1;
  int i = m->i1, j = 0;
  size_t cnt = 0, cnth = 0;

  for(size_t t = 0; t < n; t++) {
    double yt = y[t];
    if(isnan(yt)) {
      l += b;
    }
    else {
      double si = s[i], base = l + b, f = base * si;
      if(hf && t >= (size_t)hf) {
        double eh = yt - (rl[j] + hf * rb[j]) * si;
        sseh += eh * eh;
        cnth++;
      }
      double e = yt - f;
      if(si > 1e-9 && base > 1e-9) {
        /* 1/s does not depend on the level, so the division is off the
         * level's dependency chain; s[i] is not read again for a season. */
        double inv = 1.0 / si;
        l = base + (a * inv) * e;
        b = b + (be * inv) * e;
        s[i] = si + g * e / base;
      }
      else {
        l = yt / (si > 1e-9 ? si : 1.0);
        b = 0;
      }
      double af = f < 0 ? -f : f, r = e / (af > 1e-12 ? af : 1e-12);
      r = r > 1 ? 1 : r < -1 ? -1 : r;
      sse += e * e;
      sig += k * (r * r - sig);
      last = yt;
      cnt++;
    }
    if(hf) {
      rl[j] = l;
      rb[j] = b;
      if(++j == hf)
        j = 0;
    }
    if(++i == per)
      i = 0;
  }
  struct run_regs r = {.l = l, .b = b, .sig = sig, .ep = 0, .last = last,
                       .sse = sse, .sseh = sseh, .i = i, .cnt = cnt,
                       .cnth = cnth};
  run_store(m, &r, n, loss);
}

/* The general pass: fc_update() plus the h-step errors from a ring of
 * (level, trend, error) at the last fit_h origins. */
static void run_general(struct fc_model *m, const double *y, size_t n,
                        double *ring, struct run_loss *loss) {
  const int hf = m->spec.fit_h > 1 ? m->spec.fit_h : 0;
  const double phih = phi_sum(m->par.phi, hf), arh = pow(m->par.ar, hf);
  double sse0 = m->sse;
  size_t n0 = m->nsse;
  int j = 0;

  memset(loss, 0, sizeof(*loss));
  for(size_t t = 0; t < n; t++) {
    if(hf && t >= (size_t)hf && !isnan(y[t])) {
      double *r = ring + 3 * j, f;
      if(m->spec.kind == FC_HW_MUL)
        f = (r[0] + phih * r[1]) * m->s1[m->i1];
      else
        f = r[0] + phih * r[1] + m->s1[m->i1] +
            (m->s2 ? m->s2[m->i2] : 0) + arh * r[2];
      loss->sseh += (y[t] - f) * (y[t] - f);
      loss->nh++;
    }
    fc_update(m, y[t]);
    if(hf) {
      ring[3 * j] = m->level;
      ring[3 * j + 1] = m->trend;
      ring[3 * j + 2] = m->e_prev;
      if(++j == hf)
        j = 0;
    }
  }
  loss->sse1 = m->sse - sse0;
  loss->n1 = m->nsse - n0;
}

double fc_model_run(struct fc_model *m, const double *y, size_t n,
                    double *ring) {
  const int hf = m->spec.fit_h > 1 ? m->spec.fit_h : 0;
  struct run_loss loss;

  assert(!hf || ring);
  /* Without the h-step loss there is no ring (and NULL + 0 is undefined
   * behaviour, which the fuzzer found). */
  double *rb = hf ? ring + hf : NULL;
  if(m->spec.kind == FC_HW || m->spec.kind == FC_HW_DAMPED ||
     !fc_kind_seasonal(m->spec.kind))
    run_additive(m, y, n, ring, rb, &loss);
  else if(m->spec.kind == FC_HW_MUL && !(m->spec.clip_k > 0))
    run_mul(m, y, n, ring, rb, &loss);
  else
    run_general(m, y, n, ring, &loss);
  if(!loss.n1)
    return (double)NAN;
  double mse = loss.sse1 / (double)loss.n1;
  if(!hf || !loss.nh)
    return mse;
  return 0.5 * (mse + loss.sseh / (double)loss.nh);
}

int fc_path_init(struct fc_path *p, int cap_h, int cap_q) {
  memset(p, 0, sizeof(*p));
  if(cap_h < 1 || cap_q < 0)
    return PW_EINVAL;
  p->mean = pw_calloc((size_t)cap_h, sizeof(double));
  p->sd = pw_calloc((size_t)cap_h, sizeof(double));
  p->q = pw_calloc((size_t)cap_h * (size_t)(cap_q ? cap_q : 1),
                   sizeof(double));
  if(!p->mean || !p->sd || !p->q) {
    fc_path_cleanup(p);
    return PW_ENOMEM;
  }
  p->cap_h = cap_h;
  p->cap_q = cap_q;
  return 0;
}

void fc_path_cleanup(struct fc_path *p) {
  pw_free(p->mean);
  pw_free(p->sd);
  pw_free(p->q);
  memset(p, 0, sizeof(*p));
}

double fc_norm_quantile(double p) { return gsl_cdf_ugaussian_Pinv(p); }

/* The quantile at p of table row g, or NAN when it is empty. */
static double zrow(const struct fc_model *m, int g, double p) {
  if(!m->zok[g] || p <= fc_zgrid_p[0] || p >= fc_zgrid_p[FC_ZGRID - 1])
    return (double)NAN;
  int i = 1;
  while(fc_zgrid_p[i] < p)
    i++;
  double t = (p - fc_zgrid_p[i - 1]) / (fc_zgrid_p[i] - fc_zgrid_p[i - 1]);
  return m->ztab[g][i - 1] + t * (m->ztab[g][i] - m->ztab[g][i - 1]);
}

/* The standardised error quantile at p for horizon k: interpolated in
 * log2 k between the tables that bracket it, else the nearest shorter
 * table, else the normal quantile. */
static double zquant(const struct fc_model *m, double p, int k) {
  double lk = log2((double)k);
  int g = (int)lk;
  if(g >= FC_ZH - 1) {
    g = FC_ZH - 1;
    lk = g;
  }
  double lo = zrow(m, g, p);
  for(int j = g - 1; isnan(lo) && j >= 0; j--)
    lo = zrow(m, j, p);
  if(isnan(lo))
    return fc_norm_quantile(p);
  double hi = g + 1 < FC_ZH ? zrow(m, g + 1, p) : (double)NAN;
  if(isnan(hi))
    return lo;
  return lo + (lk - g) * (hi - lo);
}

/* Point forecast k steps ahead (k >= 1) given phi_k = sum phi^1..phi^k. */
static double point(const struct fc_model *m, int k, double phik) {
  int j1 = (int)((m->i1 + (long)k - 1) % m->spec.period);
  switch(m->spec.kind) {
  case FC_SNAIVE:
    return isnan(m->s1[j1]) ? m->last_y : m->s1[j1];
  case FC_HW_MUL:
    return (m->level + phik * m->trend) * m->s1[j1];
  case FC_DSHW: {
    int j2 = (int)((m->i2 + (long)k - 1) % m->spec.period2);
    return m->level + phik * m->trend + m->s1[j1] + m->s2[j2] +
           pow(m->par.ar, k) * m->e_prev;
  }
  default:
    return m->level + phik * m->trend + m->s1[j1];
  }
}

/* c_j of the h-step variance: the weight of the error j steps back. */
static double cj(const struct fc_model *m, int j, double phij) {
  if(m->spec.kind == FC_SNAIVE)
    return (j % m->spec.period == 0) ? 1.0 : 0.0;
  double c = m->par.alpha + m->par.beta * phij;
  if(j % m->spec.period == 0)
    c += m->par.gamma;
  if(m->s2 && j % m->spec.period2 == 0)
    c += m->par.omega;
  return c;
}

double fc_model_point(const struct fc_model *m, int h) {
  return point(m, h, phi_sum(m->par.phi, h));
}

double fc_model_varsum(const struct fc_model *m, int h) {
  double v = 1, phij = 0, p = 1;
  for(int j = 1; j < h; j++) {
    p *= m->par.phi;
    phij += p;
    double c = cj(m, j, phij);
    v += c * c;
  }
  return v;
}

int fc_forecast(const struct fc_model *m, int h, const double *q, int nq,
                struct fc_path *out) {
  double phik = 0, phipow = 1, varsum = 1;
  double sigma = sqrt(m->sigma2);

  if(h < 1 || h > out->cap_h || nq < 0 || nq > out->cap_q)
    return PW_EINVAL;
  for(int j = 0; j < nq; j++) {
    if(!(q[j] > 0 && q[j] < 1))
      return PW_EINVAL;
  }
  out->h = h;
  out->nq = nq;
  for(int k = 1; k <= h; k++) {
    phipow *= m->par.phi;
    phik += phipow;
    double mean = point(m, k, phik);
    if(k > 1) {
      double c = cj(m, k - 1, phik - phipow);
      varsum += c * c;
    }
    double sd = sigma * sqrt(varsum);
    if(m->spec.kind == FC_HW_MUL)
      sd *= fabs(mean);
    out->mean[k - 1] = mean;
    out->sd[k - 1] = sd;
    for(int j = 0; j < nq; j++)
      out->q[(k - 1) * nq + j] = mean + zquant(m, q[j], k) * sd;
  }
  return 0;
}
