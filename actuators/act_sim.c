#include "act_sim.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "../common/pw_alloc.h"

static double load_at(const double *load, size_t t) {
  return isnan(load[t]) ? 0 : load[t];
}

void act_sim_needed(const struct act_sim_model *m, const double *load,
                    size_t n, double *needed) {
  double k = m->platform == ACT_LAMBDA && m->duration_ms > 0
               ? m->duration_ms / 1000.0 / m->step_s
               : 1.0;
  for(size_t t = 0; t < n; t++)
    needed[t] = ceil(load_at(load, t) * k / m->unit);
}

int act_sim_score(const struct act_sim_model *m, const double *load,
                  const double *desired, size_t n, size_t start,
                  double *ready, double *lost, struct act_sim_score *out) {
  double *need = pw_malloc((n ? n : 1) * sizeof(double));
  double *spill = pw_malloc((n ? n : 1) * sizeof(double));
  size_t w = (size_t)m->warmup_steps, K = (size_t)m->keepalive_steps;

  memset(out, 0, sizeof(*out));
  if(!need || !spill) {
    pw_free(need);
    pw_free(spill);
    return PW_ENOMEM;
  }
  act_sim_needed(m, load, n, need);
  for(size_t t = 0; t < n; t++) {
    double r = desired[t];
    if(m->nwarmup_seq)
      w = (size_t)m->warmup_seq[t % m->nwarmup_seq];
    for(size_t j = t > w ? t - w : 0; j < t; j++)
      r = fmin(r, desired[j]);
    double l = load_at(load, t), lo = 0;
    if(m->platform == ACT_KUBERNETES) {
      lo = fmax(0, l - r * m->unit);
    }
    else {
      spill[t] = fmax(0, need[t] - r);
      double warm = 0;
      for(size_t j = t > K ? t - K : 0; j < t; j++)
        warm = fmax(warm, spill[j]);
      lo = fmax(0, spill[t] - warm);
    }
    if(ready)
      ready[t] = r;
    if(lost)
      lost[t] = lo;
    if(t < start)
      continue;
    out->instance_seconds += desired[t] * m->step_s;
    out->load += l;
    if(m->platform == ACT_KUBERNETES)
      out->unserved += lo;
    else
      out->cold_starts += lo;
  }
  double denom = out->load > 1e-9 ? out->load : 1e-9;
  out->unserved_fraction = out->unserved / denom;
  out->cold_start_fraction = out->cold_starts / denom;
  pw_free(need);
  pw_free(spill);
  return 0;
}

int act_sim_overflow(const struct act_sim_model *m, double duration_ms,
                     int keepalive_steps, const double *load,
                     const double *ready, size_t n, size_t start,
                     double *excess, double *cold,
                     struct act_sim_overflow *out) {
  /* The function tier is the Lambda model with nothing provisioned, run
   * on the excess: the same spill, keep-alive and cold-start rules. */
  struct act_sim_model fn = {.platform = ACT_LAMBDA, .unit = 1,
                             .duration_ms = duration_ms,
                             .step_s = m->step_s, .warmup_steps = 0,
                             .keepalive_steps = keepalive_steps};
  size_t sz = (n ? n : 1) * sizeof(double);
  double *ex = pw_malloc(sz), *zero = pw_calloc(n ? n : 1, sizeof(double));
  struct act_sim_score s;
  int rc = PW_ENOMEM;

  assert(m->platform == ACT_KUBERNETES && duration_ms > 0);
  memset(out, 0, sizeof(*out));
  if(!ex || !zero)
    goto done;
  for(size_t t = 0; t < n; t++)
    ex[t] = fmax(0, load_at(load, t) - ready[t] * m->unit);
  rc = act_sim_score(&fn, ex, zero, n, start, NULL, cold, &s);
  if(rc)
    goto done;
  for(size_t t = start; t < n; t++) {
    out->invocations += ex[t];
    out->load += load_at(load, t);
  }
  out->busy_seconds = out->invocations * duration_ms / 1000;
  out->cold_starts = s.cold_starts;
  out->cold_start_fraction =
    out->cold_starts / (out->load > 1e-9 ? out->load : 1e-9);
  if(excess)
    memcpy(excess, ex, n * sizeof(double));
done:
  pw_free(ex);
  pw_free(zero);
  return rc;
}

/* The actuator: the last w + 1 requests in a ring (w the longest
 * warm-up), and the warm-up of each request when it varies. */
struct sim {
  struct act base;
  int w;
  long *ring;
  long count;  /* requests seen */
  int *seq;
  size_t nseq;
};

static int sim_get(struct act *a, struct act_capacity *out) {
  struct sim *s = (struct sim *)a;
  *out = (struct act_capacity){0, 0, 0, 0};
  if(s->count == 0)
    return 0;
  long w = s->nseq ? s->seq[(size_t)(s->count - 1) % s->nseq] : s->w;
  long span = s->count < w + 1 ? s->count : w + 1;
  long r = s->ring[(s->count - 1) % (s->w + 1)];
  out->requested = r;
  out->current = r;
  for(long i = 0; i < span; i++) {
    long v = s->ring[(s->count - 1 - i) % (s->w + 1)];
    if(v < r)
      r = v;
  }
  out->ready = r;
  return 0;
}

static int sim_set(struct act *a, long desired, struct act_capacity *out) {
  struct sim *s = (struct sim *)a;
  s->ring[s->count % (s->w + 1)] = desired;
  s->count++;
  return sim_get(a, out);
}

static void sim_free(struct act *a) {
  struct sim *s = (struct sim *)a;
  pw_free(s->ring);
  pw_free(s->seq);
  pw_free(s);
}

static const struct act_ops sim_ops = {"sim", sim_get, NULL, sim_set, sim_free};

int act_sim_new(int warmup_steps, struct act **out) {
  return act_sim_new_seq(warmup_steps, NULL, 0, out);
}

int act_sim_new_seq(int warmup_steps, const int *seq, size_t nseq,
                    struct act **out) {
  struct sim *s;
  int w = warmup_steps;
  *out = NULL;
  if(warmup_steps < 0)
    return PW_EINVAL;
  for(size_t i = 0; i < nseq; i++) {
    if(seq[i] < 0)
      return PW_EINVAL;
    if(seq[i] > w)
      w = seq[i];
  }
  s = pw_calloc(1, sizeof(*s));
  if(!s)
    return PW_ENOMEM;
  s->ring = pw_calloc((size_t)w + 1, sizeof(long));
  s->seq = nseq ? pw_malloc(nseq * sizeof(int)) : NULL;
  if(!s->ring || (nseq && !s->seq)) {
    pw_free(s->ring);
    pw_free(s->seq);
    pw_free(s);
    return PW_ENOMEM;
  }
  if(nseq)
    memcpy(s->seq, seq, nseq * sizeof(int));
  s->nseq = nseq;
  s->base.ops = &sim_ops;
  s->w = w;
  *out = &s->base;
  return 0;
}
