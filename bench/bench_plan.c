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
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../common/pw_alloc.h"
#include "../common/pw_csv.h"
#include "../common/pw_log.h"
#include "../controller/ctl_plan.h"

static const char *verdict(int ok) { return ok ? "met" : "NOT MET"; }

struct k8s_case {
  const char *file;
  double step_s, unit, warmup_s;
  double surge_ratio;   /* 0: the defaults; else the surge guard on */
};

static void bench_k8s(const char *dir, const struct k8s_case *c) {
  char path[512], err[600];
  struct pw_csv_column col;
  struct ctl_plan_opts o;
  struct ctl_plan_result r;

  snprintf(path, sizeof(path), "%s/%s", dir, c->file);
  if(pw_csv_read_column(path, NULL, 0, &col, err, sizeof(err))) {
    printf("%s: skipped: %s\n", c->file, err);
    return;
  }
  ctl_plan_defaults(&o);
  o.trace = c->file;
  o.platform = ACT_KUBERNETES;
  o.step_s = c->step_s;
  o.unit = c->unit;
  o.warmup_s = c->warmup_s;
  o.surge_ratio = c->surge_ratio;
  if(ctl_plan_run(&o, col.values, col.n, NULL, &r, err, sizeof(err))) {
    printf("%s: failed: %s\n", c->file, err);
    pw_csv_column_cleanup(&col);
    return;
  }
  const struct act_sim_score *p = &r.score[CTL_PLAN_PREDICTIVE];
  const struct act_sim_score *re = &r.score[CTL_PLAN_REACTIVE];
  const struct act_sim_score *orc = &r.score[CTL_PLAN_ORACLE];
  double u = p->unserved_fraction / re->unserved_fraction;
  double cst = p->instance_seconds / re->instance_seconds;
  printf("%-34s step %5.0f unit %5.0f warm-up %4.0f s: period %d, %s, "
         "replay %.2f s\n", c->file, c->step_s, c->unit, c->warmup_s,
         r.period, r.model_name, r.replay_ms / 1000);
  if(c->surge_ratio > 0)
    printf("  with --surge-ratio %g (the surge guard; off by default)\n",
           c->surge_ratio);
  printf("  unserved %.4f%% (reactive %.4f%%, ratio %.2f, target <= 0.50: "
         "%s)\n", 100 * p->unserved_fraction, 100 * re->unserved_fraction, u,
         verdict(u <= 0.5));
  printf("  instance-seconds %.4g (reactive %.4g, ratio %.2f, target <= "
         "0.90: %s); vs oracle %.2fx, reactive vs oracle %.2fx\n",
         p->instance_seconds, re->instance_seconds, cst, verdict(cst <= 0.9),
         p->instance_seconds / orc->instance_seconds,
         re->instance_seconds / orc->instance_seconds);
  ctl_plan_result_cleanup(&r);
  pw_csv_column_cleanup(&col);
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
  double cost = 0, ocost = 0, ms = 0;
  size_t done = 0;
  for(size_t i = 0; i < nfn; i++) {
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
    /* A mean of 0 ms is below the trace's resolution: 1 ms. */
    o.duration_ms = fns[i].duration_ms > 0 ? fns[i].duration_ms : 1;
    if(ctl_plan_run(&o, fns[i].inv, nmin, NULL, &r, err, sizeof(err)))
      continue;
    pred[done] = r.score[CTL_PLAN_PREDICTIVE].cold_start_fraction;
    od[done] = r.score[CTL_PLAN_ON_DEMAND].cold_start_fraction;
    cost += r.score[CTL_PLAN_PREDICTIVE].instance_seconds;
    ocost += r.score[CTL_PLAN_ORACLE].instance_seconds;
    ms += r.replay_ms;
    done++;
    ctl_plan_result_cleanup(&r);
  }
  double pm = quantile(pred, done, 0.5), om = quantile(od, done, 0.5);
  double p75 = quantile(pred, done, 0.75), o75 = quantile(od, done, 0.75);
  printf("azure-functions-2019: %zu functions x %zu minutes, warm-up 300 s, "
         "keep-alive 600 s, replay %.2f s in all\n", done, nmin, ms / 1000);
  printf("  cold-start fraction median %.4f (on-demand %.4f; target <= "
         "%.4f: %s)\n", pm, om, om / 4, verdict(pm <= om / 4));
  printf("  cold-start fraction p75    %.4f (on-demand %.4f; target <= "
         "%.4f: %s)\n", p75, o75, o75 / 4, verdict(p75 <= o75 / 4));
  printf("  instance-seconds %.0f, oracle %.0f: %.3fx (target <= 1.25: %s)\n",
         cost, ocost, cost / ocost, verdict(cost <= 1.25 * ocost));
  for(size_t i = 0; i < nfn; i++)
    pw_free(fns[i].inv);
  pw_free(fns);
  pw_free(pred);
  pw_free(od);
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
  /* Each with the defaults; then the surge guard where it pays (World
   * Cup's clustered flash crowds) and where it does not (AMZN). */
  static const struct k8s_case cases[] = {
    {"worldcup98/invocation_count.csv", 60, 500, 180, 0},
    {"nab/nyc_taxi.csv", 1800, 1000, 1800, 0},
    {"nab/Twitter_volume_AMZN.csv", 300, 10, 300, 0},
    {"worldcup98/invocation_count.csv", 60, 500, 180, 1.5},
    {"nab/Twitter_volume_AMZN.csv", 300, 10, 300, 1.5},
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    bench_k8s(dir, &cases[i]);
  bench_lambda(dir);
  printf("(the World Cup line's replay time is the speed target: 125,300 "
         "steps with hourly refits, target < 10 s)\n");
  return 0;
}
