/*
 * Capacity-planning benchmarks on the real traces in ../shared/data
 * (skipped, saying so, when absent; PREWARM_DATA overrides the folder).
 * Prints the figures and each target with its verdict; asserts nothing.
 *
 * Kubernetes: the predictive policy against the reactive one on three
 * traces.  Lambda: one plan per function of the Azure Functions 2019
 * trace with its mean duration.  Speed: the World Cup replay.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../common/pw_alloc.h"
#include "../common/pw_csv.h"
#include "../common/pw_log.h"
#include "../controller/ctl_plan.h"

/* A trace: a file in the data folder, or one made here (gen != NULL). */
struct k8s_case {
  const char *name;
  double step_s, unit, warmup_s;
  void (*gen)(double *v, size_t n);  /* made here: n steps */
  size_t n;
};

/* The figures of one trace at the defaults. */
struct k8s_row {
  double ecr;        /* unserved at equal cost / the frontier's; NAN */
  double elr;        /* cost at equal loss / the frontier's; NAN */
  double vs_hpa;     /* instance-seconds / the HPA-like policy at 70% */
  int ok;
};

/* A deterministic generator for the made traces. */
static uint64_t gen_seed;
static double unif(void) {
  uint64_t z = (gen_seed += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
/* Poisson-like counts: the mean plus its square root's noise. */
static double counts(double mean) {
  double u = fmax(unif(), 1e-12), v = unif();
  double g = sqrt(-2 * log(u)) * cos(2 * M_PI * v);
  return fmax(0, round(mean + sqrt(mean) * g));
}
/* A working day's shape at minute m of the day, from 0.2 to 1. */
static double daily(double m) {
  return 0.6 - 0.4 * cos(2 * M_PI * (m - 120) / 1440);
}

/* Flash crowds: a daily cycle of one-minute counts with about two
 * unannounced crowds a day, 4-12x, rising within two minutes and
 * decaying over 10-40. */
static void gen_flash(double *v, size_t n) {
  gen_seed = 11;
  double crowd = 0, decay = 0;
  for(size_t i = 0; i < n; i++) {
    if(unif() < 2.0 / 1440) {
      crowd = 3 + 8 * unif();
      decay = exp(-1 / (10 + 30 * unif()));
    }
    double base = 2000 * daily((double)(i % 1440));
    v[i] = counts(base * (1 + crowd));
    crowd *= decay;
  }
}

/* Level shifts: the same cycle, doubled from day 8 (a launch), halved
 * from day 15 (a customer gone). */
static void gen_shift(double *v, size_t n) {
  gen_seed = 12;
  for(size_t i = 0; i < n; i++) {
    double day = (double)i / 1440, lvl = day >= 15 ? 1 : day >= 8 ? 2 : 1;
    v[i] = counts(2000 * lvl * daily((double)(i % 1440)));
  }
}

/* A weekly calendar with holidays: weekends at a third, two weekdays
 * (days 10 and 17) as quiet as a Sunday, and a sales event on day 19
 * (3x from 10:00 to 14:00, announced nowhere). */
static void gen_holiday(double *v, size_t n) {
  gen_seed = 13;
  for(size_t i = 0; i < n; i++) {
    size_t day = i / 1440;
    double m = (double)(i % 1440);
    double k = day % 7 >= 5 || day == 10 || day == 17 ? 0.33 : 1;
    if(day == 19 && m >= 600 && m < 840)
      k = 3;
    v[i] = counts(2000 * k * daily(m));
  }
}

static const char *verdict(int ok) { return ok ? "met" : "NOT MET"; }

/* With PREWARM_BENCH_TRACES=DIR, a made trace is also written to
 * DIR/made-<kind>.csv (time,load) for plan and score_plan.py. */
static void dump(const struct k8s_case *c, const double *v) {
  const char *dir = getenv("PREWARM_BENCH_TRACES");
  if(!dir || !*dir)
    return;
  char path[512], kind[32];
  sscanf(c->name, "made: %31s", kind);
  snprintf(path, sizeof(path), "%s/made-%s.csv", dir, kind);
  FILE *fp = fopen(path, "w");
  if(!fp) {
    printf("cannot write %s\n", path);
    return;
  }
  fprintf(fp, "time,load\n");
  for(size_t i = 0; i < c->n; i++)
    fprintf(fp, "%.0f,%.0f\n", (double)i * c->step_s, v[i]);
  fclose(fp);
}

/* Kubernetes at the defaults against the reactive frontier: the targets
 * of issue #14 (unserved at equal cost <= 0.5x the frontier's, cost <=
 * 1.15x the HPA-like policy at 70%). */
static int bench_k8s(const char *dir, const struct k8s_case *c,
                     struct k8s_row *row) {
  char path[512], err[600];
  struct pw_csv_column col = {0};
  double *made = NULL;
  const double *load;
  size_t n;
  struct ctl_plan_opts o;
  struct ctl_plan_result r;

  if(c->gen) {
    made = pw_malloc(c->n * sizeof(double));
    if(!made)
      return -1;
    c->gen(made, c->n);
    load = made;
    n = c->n;
    dump(c, made);
  } else {
    snprintf(path, sizeof(path), "%s/%s", dir, c->name);
    if(pw_csv_read_column(path, NULL, 0, &col, err, sizeof(err))) {
      printf("%s: skipped: %s\n", c->name, err);
      return -1;
    }
    load = col.values;
    n = col.n;
  }
  ctl_plan_defaults(&o);
  o.trace = c->name;
  o.platform = ACT_KUBERNETES;
  o.step_s = c->step_s;
  o.unit = c->unit;
  o.warmup_s = c->warmup_s;
  int rc = ctl_plan_run(&o, load, n, NULL, &r, err, sizeof(err));
  if(rc) {
    printf("%s: failed: %s\n", c->name, err);
  } else {
    const struct ctl_frontier *f = r.frontier;
    row->ecr = f->equal_cost_loss_ratio;
    row->elr = f->equal_loss_cost_ratio;
    row->vs_hpa = f->chosen.instance_seconds / f->hpa.instance_seconds;
    row->ok = row->ecr <= 0.5 && row->vs_hpa <= 1.15;
    printf("%-34s %5.0f %6.0f %5.0f  %6.3f%% %6.3f%%  %6.3f %6.3f %6.3f  "
           "%-7s %6.2f\n", c->name, c->step_s, c->unit, c->warmup_s,
           100 * f->chosen.loss, 100 * f->hpa.loss, row->ecr, row->elr,
           row->vs_hpa, verdict(row->ok), r.replay_ms / 1000);
    ctl_plan_result_cleanup(&r);
  }
  pw_free(made);
  pw_csv_column_cleanup(&col);
  return rc ? -1 : 0;
}

static int cmp_double(const void *a, const void *b);
static double quantile(double *v, size_t n, double p);

static void bench_k8s_all(const char *dir) {
  /* Real traces (skipped when absent), then three made here so the
   * result is not tuned to the real ones: flash crowds, level shifts,
   * a calendar with holidays. */
  static const struct k8s_case cases[] = {
    {"worldcup98/invocation_count.csv", 60, 500, 180, NULL, 0},
    {"nab/nyc_taxi.csv", 1800, 1000, 1800, NULL, 0},
    {"nab/Twitter_volume_AMZN.csv", 300, 10, 300, NULL, 0},
    {"nab/Twitter_volume_GOOG.csv", 300, 5, 300, NULL, 0},
    {"nab/Twitter_volume_FB.csv", 300, 5, 300, NULL, 0},
    {"nab/elb_request_count_8c0756.csv", 300, 10, 300, NULL, 0},
    {"made: flash crowds (21 d)", 60, 100, 180, gen_flash, 21 * 1440},
    {"made: level shifts (21 d)", 60, 100, 180, gen_shift, 21 * 1440},
    {"made: holidays (21 d)", 60, 100, 180, gen_holiday, 21 * 1440},
  };
  size_t nc = sizeof(cases) / sizeof(cases[0]), done = 0, met = 0;
  double ecr[16], worst = 0;
  printf("Kubernetes at the defaults against the reactive frontier (the "
         "HPA-like policy at every utilisation 0.30-1.00):\n");
  printf("%-34s %5s %6s %5s  %7s %7s  %6s %6s %6s  %-7s %6s\n", "trace",
         "step", "unit", "warm", "unserv", "hpa70", "eq-cost", "eq-loss",
         "vs-hpa", "verdict", "replay");
  for(size_t i = 0; i < nc; i++) {
    struct k8s_row row;
    if(bench_k8s(dir, &cases[i], &row))
      continue;
    ecr[done++] = isfinite(row.ecr) ? row.ecr : 1e9;
    worst = fmax(worst, isfinite(row.ecr) ? row.ecr : 1e9);
    met += row.ok;
  }
  if(!done)
    return;
  double med = quantile(ecr, done, 0.5);
  printf("  (eq-cost: unserved at equal instance-seconds / the frontier's, "
         "target <= 0.50 each; eq-loss: instance-seconds at equal unserved / "
         "the frontier's; vs-hpa: instance-seconds / the HPA-like policy at "
         "70%%, target <= 1.15)\n");
  printf("  median eq-cost %.3f over %zu traces (target <= 0.25: %s), "
         "worst %.3f, %zu of %zu traces meet both of theirs\n", med, done,
         verdict(med <= 0.25), worst, met, done);
}

/* The Azure trace is wide: HashOwner,HashApp,HashFunction,Trigger,<min>... */
struct fn {
  char key[200];
  double *inv;
  double duration_ms;
};

static int read_azure(const char *dir, struct fn **out, size_t *nfn,
                      size_t *nmin) {
  char path[512], line[1 << 16];
  snprintf(path, sizeof(path), "%s/azure-functions-2019/invocations.csv",
           dir);
  FILE *fp = fopen(path, "r");
  if(!fp)
    return -1;
  struct fn *fns = NULL;
  size_t n = 0, cols = 0;
  if(!fgets(line, sizeof(line), fp)) {
    fclose(fp);
    return -1;
  }
  for(char *c = line; *c; c++)
    cols += *c == ',' ? 1 : 0;
  *nmin = cols - 3;
  while(fgets(line, sizeof(line), fp)) {
    struct fn *g = pw_realloc(fns, (n + 1) * sizeof(*fns));
    if(!g)
      break;
    fns = g;
    struct fn *f = &fns[n];
    f->inv = pw_calloc(*nmin, sizeof(double));
    f->duration_ms = 0;
    char *save = NULL, *tok = strtok_r(line, ",\n", &save);
    size_t field = 0, klen = 0;
    f->key[0] = '\0';
    for(; tok; tok = strtok_r(NULL, ",\n", &save), field++) {
      if(field < 3)
        klen += (size_t)snprintf(f->key + klen, sizeof(f->key) - klen, "%s,",
                                 tok);
      else if(field >= 4 && field - 4 < *nmin)
        f->inv[field - 4] = atof(tok);
    }
    n++;
  }
  fclose(fp);
  /* Mean durations, keyed by owner, app and function. */
  snprintf(path, sizeof(path), "%s/azure-functions-2019/durations.csv", dir);
  fp = fopen(path, "r");
  if(fp) {
    while(fgets(line, sizeof(line), fp)) {
      char *save = NULL, key[200] = "";
      size_t klen = 0;
      char *tok = strtok_r(line, ",\n", &save);
      for(int field = 0; tok && field < 4; field++) {
        if(field < 3)
          klen += (size_t)snprintf(key + klen, sizeof(key) - klen, "%s,",
                                   tok);
        else
          for(size_t i = 0; i < n; i++)
            if(strcmp(fns[i].key, key) == 0)
              fns[i].duration_ms = atof(tok);
        tok = strtok_r(NULL, ",\n", &save);
      }
    }
    fclose(fp);
  }
  *out = fns;
  *nfn = n;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The p-quantile of v[0..n) by linear interpolation (as numpy). */
static double quantile(double *v, size_t n, double p) {
  qsort(v, n, sizeof(double), cmp_double);
  double pos = p * (double)(n - 1);
  size_t lo = (size_t)pos;
  return lo + 1 < n ? v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo])
                    : v[lo];
}

/* A function's half: a hash of its key, so the split does not follow
 * the file's order.  Half 0 was used to tune the defaults, half 1 was
 * held out. */
static int half_of(const char *key) {
  uint64_t h = 1469598103934665603ULL;
  for(const char *c = key; *c; c++)
    h = (h ^ (unsigned char)*c) * 1099511628211ULL;
  return (int)(h >> 63);
}

/* The figures over the functions of one half (-1: all). */
static void lambda_line(const char *what, const double *pred,
                        const double *od, const double *cost,
                        const double *ocost, const int *half, size_t n,
                        int which) {
  double p[256], o[256], c = 0, oc = 0;
  size_t k = 0;
  for(size_t i = 0; i < n && k < 256; i++) {
    if(which >= 0 && half[i] != which)
      continue;
    p[k] = pred[i];
    o[k++] = od[i];
    c += cost[i];
    oc += ocost[i];
  }
  if(!k)
    return;
  double pm = quantile(p, k, 0.5), om = quantile(o, k, 0.5);
  double p75 = quantile(p, k, 0.75), o75 = quantile(o, k, 0.75);
  int ok = p75 <= 0.10 && pm <= 0.25 * om + 1e-12 && c <= 1.15 * oc;
  printf("  %-9s %3zu  median %.4f (on-demand %.4f)  p75 %.4f (on-demand "
         "%.4f)  instance-s %.3fx oracle  %s\n", what, k, pm, om, p75, o75,
         c / oc, verdict(ok));
}

static void bench_lambda(const char *dir) {
  struct fn *fns = NULL;
  size_t nfn = 0, nmin = 0;
  if(read_azure(dir, &fns, &nfn, &nmin)) {
    printf("azure-functions-2019: skipped: cannot read the trace in %s\n",
           dir);
    return;
  }
  double *pred = pw_calloc(nfn, sizeof(double));
  double *od = pw_calloc(nfn, sizeof(double));
  double *cost = pw_calloc(nfn, sizeof(double));
  double *ocost = pw_calloc(nfn, sizeof(double));
  int *half = pw_calloc(nfn, sizeof(int));
  double ms = 0;
  size_t done = 0;
  for(size_t i = 0; pred && od && cost && ocost && half && i < nfn; i++) {
    struct ctl_plan_opts o;
    struct ctl_plan_result r;
    char err[256];
    ctl_plan_defaults(&o);
    o.trace = "azure";
    o.platform = ACT_LAMBDA;
    o.step_s = 60;
    o.unit = 1;
    o.warmup_s = 300;
    o.keepalive_s = 600;
    o.no_frontier = 1;
    /* A mean of 0 ms is below the trace's resolution: 1 ms. */
    o.duration_ms = fns[i].duration_ms >= 1 ? fns[i].duration_ms : 1;
    if(ctl_plan_run(&o, fns[i].inv, nmin, NULL, &r, err, sizeof(err)))
      continue;
    pred[done] = r.score[CTL_PLAN_PREDICTIVE].cold_start_fraction;
    od[done] = r.score[CTL_PLAN_ON_DEMAND].cold_start_fraction;
    cost[done] = r.score[CTL_PLAN_PREDICTIVE].instance_seconds;
    ocost[done] = r.score[CTL_PLAN_ORACLE].instance_seconds;
    half[done] = half_of(fns[i].key);
    ms += r.replay_ms;
    done++;
    ctl_plan_result_cleanup(&r);
  }
  printf("Lambda: azure-functions-2019, %zu functions x %zu minutes, "
         "warm-up 300 s, keep-alive 600 s, replay %.2f s in all\n", done,
         nmin, ms / 1000);
  printf("  (targets: cold-start fraction p75 <= 0.10, median <= 0.25x "
         "on-demand's, instance-seconds <= 1.15x the oracle's)\n");
  lambda_line("all", pred, od, cost, ocost, half, done, -1);
  lambda_line("tuning", pred, od, cost, ocost, half, done, 0);
  lambda_line("held out", pred, od, cost, ocost, half, done, 1);
  for(size_t i = 0; i < nfn; i++)
    pw_free(fns[i].inv);
  pw_free(fns);
  pw_free(pred);
  pw_free(od);
  pw_free(cost);
  pw_free(ocost);
  pw_free(half);
}

int main(void) {
  gsl_set_error_handler_off();
  pw_log_threshold = PW_LOG_WARN;
  const char *dir = getenv("PREWARM_DATA");
  if(!dir)
    dir = "../shared/data";
  printf("== prewarm plan on %s\n", dir);
  FILE *probe = fopen(dir, "r");
  if(!probe) {
    printf("skipped: %s is absent (set PREWARM_DATA to the traces)\n", dir);
    return 0;
  }
  fclose(probe);
  bench_k8s_all(dir);
  bench_lambda(dir);
  printf("(replay: seconds of the default replay alone; World Cup's is the "
         "speed target: 125,300 steps with hourly refits, < 10 s)\n");
  return 0;
}
