#include "ctl_frontier.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "ctl_baseline.h"
#include "ctl_replay.h"
#include "ctl_settings.h"
#include "ctl_target.h"

/* Prewarm's curve: quantiles at the target's headroom, then headrooms at
 * the top quantile (where the quantile alone does not reach low loss). */
static const double curve_q[] = {0.5, 0.7, 0.9, 0.95, 0.975, 0.99,
                                 0.995};
static const double curve_h[] = {0.1, 0.25, 0.5};
#define NQ (sizeof(curve_q) / sizeof(curve_q[0]))
#define NH (sizeof(curve_h) / sizeof(curve_h[0]))

void ctl_frontier_prices_default(struct ctl_frontier_prices *p) {
  *p = (struct ctl_frontier_prices){
    .instance_hour = CTL_FRONTIER_PRICE_INSTANCE_HOUR,
    .memory_mb = 1024,
    .pc_gb_s = CTL_FRONTIER_PRICE_PC_GB_S,
    .pc_duration_gb_s = CTL_FRONTIER_PRICE_PC_DURATION_GB_S,
    .od_duration_gb_s = CTL_FRONTIER_PRICE_OD_DURATION_GB_S,
    .request = CTL_FRONTIER_PRICE_REQUEST};
}

/* Python's tuple order: cost, then loss, then utilisation. */
static int by_cost(const void *a, const void *b) {
  const struct ctl_frontier_point *x = a, *y = b;
  if(x->instance_seconds < y->instance_seconds)
    return -1;
  if(x->instance_seconds > y->instance_seconds)
    return 1;
  if(x->loss < y->loss)
    return -1;
  if(x->loss > y->loss)
    return 1;
  return (x->utilization > y->utilization) - (x->utilization < y->utilization);
}

size_t ctl_frontier_envelope(struct ctl_frontier_point *pts, size_t n,
                             struct ctl_frontier_point *out) {
  size_t k = 0;
  double best = (double)INFINITY;
  qsort(pts, n, sizeof(*pts), by_cost);
  for(size_t i = 0; i < n; i++) {
    if(pts[i].loss < best) {
      out[k++] = pts[i];
      best = pts[i].loss;
    }
  }
  return k;
}

int ctl_frontier_loss_at(const struct ctl_frontier_point *env, size_t n,
                         double cost, double *loss) {
  if(n == 0 || !(cost >= env[0].instance_seconds) ||
     cost > env[n - 1].instance_seconds)
    return -1;
  for(size_t i = 0; i + 1 < n; i++) {
    double c0 = env[i].instance_seconds, c1 = env[i + 1].instance_seconds;
    if(cost <= c1) {
      double f = (cost - c0) / (c1 - c0);
      *loss = env[i].loss + f * (env[i + 1].loss - env[i].loss);
      return 0;
    }
  }
  *loss = env[n - 1].loss;
  return 0;
}

int ctl_frontier_cost_at(const struct ctl_frontier_point *env, size_t n,
                         double loss, double *cost) {
  if(n == 0 || !(loss <= env[0].loss) || loss < env[n - 1].loss)
    return -1;
  /* The cheapest: the first segment whose far end is at or below loss. */
  if(!(loss < env[0].loss)) {
    *cost = env[0].instance_seconds;
    return 0;
  }
  for(size_t i = 0; i + 1 < n; i++) {
    double l0 = env[i].loss, l1 = env[i + 1].loss;
    if(loss >= l1) {
      double f = (l0 - loss) / (l0 - l1);
      *cost = env[i].instance_seconds +
              f * (env[i + 1].instance_seconds - env[i].instance_seconds);
      return 0;
    }
  }
  *cost = env[n - 1].instance_seconds;
  return 0;
}

long ctl_frontier_cheapest(const struct ctl_frontier_point *pts, size_t n,
                           double slo) {
  long best = -1;
  for(size_t i = 0; i < n; i++) {
    if(pts[i].loss > slo)
      continue;
    if(best < 0 || pts[i].instance_seconds < pts[best].instance_seconds)
      best = (long)i;
  }
  return best;
}

static double loss_of(const struct act_sim_model *m,
                      const struct act_sim_score *s) {
  return m->platform == ACT_KUBERNETES ? s->unserved_fraction
                                       : s->cold_start_fraction;
}

int ctl_frontier_reactive(const struct act_sim_model *m, const double *load,
                          size_t n, size_t start,
                          struct ctl_frontier_point **out, size_t *nout,
                          struct ctl_frontier_point *hpa) {
  enum { LO = 30, HI = 100, NPTS = HI - LO + 1 };
  size_t len = n ? n : 1;
  double *need = pw_malloc(len * sizeof(double));
  double *desired = pw_malloc(len * sizeof(double));
  struct ctl_frontier_point *pts = pw_malloc(NPTS * sizeof(*pts));
  struct ctl_frontier_point *env = pw_malloc(NPTS * sizeof(*env));
  int rc = PW_ENOMEM;

  *out = NULL;
  *nout = 0;
  if(!need || !desired || !pts || !env)
    goto done;
  act_sim_needed(m, load, n, need);
  for(int pct = LO; pct <= HI; pct++) {
    struct act_sim_score s;
    double util = pct / 100.0;  /* as the scorer's pct / 100 */
    ctl_baseline_reactive_at(need, n, m->step_s, util, desired);
    rc = act_sim_score(m, load, desired, n, start, NULL, NULL, &s);
    if(rc)
      goto done;
    pts[pct - LO] = (struct ctl_frontier_point){
      .utilization = util, .quantile = (double)NAN, .headroom = (double)NAN,
      .instance_seconds = s.instance_seconds, .loss = loss_of(m, &s)};
    if(pct == 70)
      *hpa = pts[pct - LO];
  }
  *nout = ctl_frontier_envelope(pts, NPTS, env);
  *out = env;
  env = NULL;
  rc = 0;
done:
  pw_free(need);
  pw_free(desired);
  pw_free(pts);
  pw_free(env);
  return rc;
}

/* The work the curve's threads share. */
struct curve_job {
  const struct cfg_target *t;
  const double *load;
  size_t n, start;
  int64_t start_ms;
  const struct act_sim_model *m;
  struct ctl_frontier_point *pts;   /* settings in, scores out */
  int *todo;                        /* 1: replay this one */
  size_t npts;
  atomic_size_t next;
  atomic_int rc;                    /* the first failure */
  pthread_mutex_t lock;             /* guards err */
  char *err;
  size_t errlen;
};

static int replay_one(struct curve_job *j, struct ctl_frontier_point *p,
                      char *err, size_t errlen) {
  struct cfg_target t = *j->t;
  t.quantile = p->quantile;
  t.headroom = p->headroom;
  /* The curve is prewarm at fixed settings: no feedback moves them. */
  t.slo_unserved = t.slo_cold_start = 0;
  struct ctl_replay rp = {.load = j->load, .n = j->n,
                          .start_ms = j->start_ms, .target = &t,
                          .warmup_steps = j->m->warmup_steps,
                          .warmup_seq = j->m->warmup_seq,
                          .nwarmup_seq = j->m->nwarmup_seq};
  struct act_sim_score s;
  int rc = ctl_replay_run(&rp, err, errlen);
  if(rc == 0)
    rc = act_sim_score(j->m, j->load, rp.desired, j->n, j->start, NULL,
                       NULL, &s);
  if(rc == 0) {
    p->instance_seconds = s.instance_seconds;
    p->loss = loss_of(j->m, &s);
  }
  ctl_replay_cleanup(&rp);
  return rc;
}

static void *curve_worker(void *arg) {
  struct curve_job *j = arg;
  char err[256] = "";
  for(;;) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if(i >= j->npts || atomic_load(&j->rc))
      break;
    if(!j->todo[i])
      continue;
    int rc = replay_one(j, &j->pts[i], err, sizeof(err));
    if(rc) {
      int zero = 0;
      pthread_mutex_lock(&j->lock);
      if(atomic_compare_exchange_strong(&j->rc, &zero, rc))
        snprintf(j->err, j->errlen, "%s", err[0] ? err : pw_strerror(rc));
      pthread_mutex_unlock(&j->lock);
      break;
    }
  }
  ctl_target_scratch_free();
  return NULL;
}

/* Fills the settings; marks the one equal to the chosen, given *chosen. */
static void curve_settings(const struct cfg_target *t,
                           const struct ctl_frontier_point *chosen,
                           struct ctl_frontier_point *pts, int *todo) {
  double q0 = ctl_settings_quantile(t);
  for(size_t i = 0; i < NQ + NH; i++) {
    double q = i < NQ ? curve_q[i] : curve_q[NQ - 1];
    double h = i < NQ ? t->headroom : curve_h[i - NQ];
    pts[i] = (struct ctl_frontier_point){
      .utilization = (double)NAN, .quantile = q, .headroom = h};
    todo[i] = 1;
    /* With SLO feedback the chosen replay is no fixed setting. */
    if(!(t->slo_unserved > 0) && !(t->slo_cold_start > 0) &&
       fabs(q - q0) < 1e-12 && fabs(h - t->headroom) < 1e-12) {
      pts[i].instance_seconds = chosen->instance_seconds;
      pts[i].loss = chosen->loss;
      todo[i] = 0;
    }
  }
}

int ctl_frontier_curve(const struct cfg_target *t, const double *load,
                       size_t n, int64_t start_ms,
                       const struct act_sim_model *m, size_t start,
                       const struct ctl_frontier_point *chosen, int threads,
                       struct ctl_frontier_point **out, size_t *nout,
                       char *err, size_t errlen) {
  size_t np = NQ + NH;
  struct curve_job j = {.t = t, .load = load, .n = n, .start = start,
                        .start_ms = start_ms, .m = m, .npts = np,
                        .err = err, .errlen = errlen};
  pthread_t tid[8];
  int nt = threads < 1 ? 1 : threads > 8 ? 8 : threads, started = 0;

  *out = NULL;
  *nout = 0;
  j.pts = pw_malloc(np * sizeof(*j.pts));
  j.todo = pw_malloc(np * sizeof(int));
  if(!j.pts || !j.todo) {
    pw_free(j.pts);
    pw_free(j.todo);
    snprintf(err, errlen, "out of memory");
    return PW_ENOMEM;
  }
  curve_settings(t, chosen, j.pts, j.todo);
  atomic_init(&j.next, 0);
  atomic_init(&j.rc, 0);
  pthread_mutex_init(&j.lock, NULL);
  /* Extra threads when they can be had; this one works as well. */
  for(int i = 1; i < nt; i++) {
    if(pthread_create(&tid[started], NULL, curve_worker, &j) == 0)
      started++;
  }
  curve_worker(&j);
  for(int i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  pthread_mutex_destroy(&j.lock);
  pw_free(j.todo);
  int rc = atomic_load(&j.rc);
  if(rc) {
    pw_free(j.pts);
    return rc;
  }
  *out = j.pts;
  *nout = np;
  return 0;
}

double ctl_frontier_capacity_cost(const struct act_sim_model *m,
                                  const struct ctl_frontier_prices *p,
                                  double instance_seconds) {
  if(m->platform == ACT_KUBERNETES)
    return instance_seconds / 3600 * p->instance_hour;
  return instance_seconds * m->unit * p->memory_mb / 1024 * p->pc_gb_s;
}

void ctl_frontier_money(const struct act_sim_model *m,
                        const struct ctl_frontier_prices *p,
                        const double *load, const double *desired,
                        const double *ready, size_t n, size_t start,
                        struct ctl_frontier_money *out) {
  double inst = 0, busy_pc = 0, busy_od = 0, requests = 0;
  double k = m->duration_ms > 0 ? m->duration_ms / 1000.0 / m->step_s : 1;
  for(size_t t = start; t < n; t++) {
    inst += desired[t] * m->step_s;
    if(m->platform == ACT_KUBERNETES)
      continue;
    double l = isnan(load[t]) ? 0 : load[t];
    double conc = l * k, warm = fmin(conc, ready[t] * m->unit);
    busy_pc += warm * m->step_s;
    busy_od += (conc - warm) * m->step_s;
    if(m->duration_ms > 0)
      requests += l;
  }
  memset(out, 0, sizeof(*out));
  out->capacity = ctl_frontier_capacity_cost(m, p, inst);
  if(m->platform == ACT_LAMBDA) {
    double gb = p->memory_mb / 1024;
    out->duration = busy_pc * gb * p->pc_duration_gb_s +
                    busy_od * gb * p->od_duration_gb_s;
    out->requests = requests * p->request;
  }
  out->total = out->capacity + out->duration + out->requests;
}

double ctl_frontier_saving_equal_loss(const struct ctl_frontier *f) {
  if(!isfinite(f->at_loss_cost))
    return (double)NAN;
  return ctl_frontier_capacity_cost(&f->model, &f->prices,
                                    f->at_loss_cost -
                                      f->chosen.instance_seconds) *
         f->scale_30d;
}

/* "N× less" or "N× more" at equal cost, into b. */
static void equal_cost_words(const struct ctl_frontier *f, char *b,
                             size_t len) {
  const char *what = f->lambda ? "cold starts" : "load unserved";
  const char *unit = f->lambda ? "provisioned-concurrency hours"
                               : "pod-hours";
  double q = f->equal_cost_loss_ratio;
  double lo = f->frontier[0].instance_seconds / 3600;
  double hi = f->frontier[f->nfrontier ? f->nfrontier - 1 : 0]
                .instance_seconds / 3600;
  if(!isfinite(f->at_cost_loss))
    snprintf(b, len, "prewarm's %.1f instance-hours are outside the "
             "frontier's range (%.1f to %.1f), so there is no equal-cost "
             "comparison", f->chosen.instance_seconds / 3600, lo, hi);
  else if(!isfinite(q))
    snprintf(b, len, "at the same instance-hours the frontier has no %s "
             "either (prewarm: %.3f%%)", what, 100 * f->chosen.loss);
  else if(!(q > 0))
    snprintf(b, len, "at the same %s as an HPA, prewarm has no %s where "
             "the HPA has %.3f%%", unit, what, 100 * f->at_cost_loss);
  else if(f->lambda)
    snprintf(b, len, "at the same %s as an HPA-like policy, prewarm has "
             "%.1f\u00d7 %s cold starts", unit, q <= 1 ? 1 / q : q,
             q <= 1 ? "fewer" : "more");
  else
    snprintf(b, len, "at the same %s as an HPA, prewarm leaves %.1f\u00d7 "
             "%s load unserved", unit, q <= 1 ? 1 / q : q,
             q <= 1 ? "less" : "more");
}

void ctl_frontier_headline(const struct ctl_frontier *f, char *buf,
                           size_t len) {
  char a[256], b[320];
  const char *unit = f->lambda ? "provisioned-concurrency hours"
                               : "pod-hours";
  const char *what = f->lambda ? "cold starts" : "unserved load";
  double m = f->equal_loss_cost_ratio;
  double usd = ctl_frontier_saving_equal_loss(f);
  equal_cost_words(f, a, sizeof(a));
  a[0] = (char)(a[0] == 'a' ? 'A' : a[0] == 'p' ? 'P' : a[0]);
  const struct ctl_frontier_point *top = &f->frontier[f->nfrontier - 1];
  if(!isfinite(m) && top->loss > f->chosen.loss)
    snprintf(b, sizeof(b), "no HPA target from 30%% to 100%% reaches its "
             "%.3f%% %s: even at %.0f%% the HPA needs %.0f %s (%.1f\u00d7 "
             "prewarm's) and still has %.3f%%", 100 * f->chosen.loss, what,
             100 * top->utilization, top->instance_seconds / 3600, unit,
             top->instance_seconds / f->chosen.instance_seconds,
             100 * top->loss);
  else if(!isfinite(m))
    snprintf(b, sizeof(b), "the HPA's curve has no equal-loss point for "
             "prewarm's %.3f%% %s", 100 * f->chosen.loss, what);
  else if(f->lambda)
    snprintf(b, sizeof(b), "for the same %s it needs %.0f%% %s %s "
             "(\u2248 $%.0f a month at %g MB)", what, fabs(1 - m) * 100,
             m <= 1 ? "fewer" : "more", unit, fabs(usd), f->prices.memory_mb);
  else
    snprintf(b, sizeof(b), "for the same %s it needs %.0f%% %s %s "
             "(\u2248 $%.0f a month at $%g per pod-hour)", what,
             fabs(1 - m) * 100, m <= 1 ? "fewer" : "more", unit, fabs(usd),
             f->prices.instance_hour);
  snprintf(buf, len, "%s; %s.", a, b);
}

void ctl_frontier_compare(struct ctl_frontier *f) {
  const struct ctl_frontier_point *c = &f->chosen;
  double v;
  f->at_cost_loss = f->equal_cost_loss_ratio = (double)NAN;
  f->at_loss_cost = f->equal_loss_cost_ratio = (double)NAN;
  if(ctl_frontier_loss_at(f->frontier, f->nfrontier, c->instance_seconds,
                          &v) == 0) {
    f->at_cost_loss = v;
    if(v > 0)
      f->equal_cost_loss_ratio = c->loss / v;
  }
  if(ctl_frontier_cost_at(f->frontier, f->nfrontier, c->loss, &v) == 0) {
    f->at_loss_cost = v;
    if(v > 0)
      f->equal_loss_cost_ratio = c->instance_seconds / v;
  }
  f->rec_curve = f->rec_frontier = -1;
  if(f->slo > 0) {
    f->rec_curve = ctl_frontier_cheapest(f->curve, f->ncurve, f->slo);
    f->rec_frontier = ctl_frontier_cheapest(f->frontier, f->nfrontier,
                                            f->slo);
  }
}

void ctl_frontier_free(struct ctl_frontier *f) {
  if(!f)
    return;
  pw_free(f->frontier);
  pw_free(f->curve);
  pw_free(f);
}
