/*
 * Forecast benchmarks: fit time per model, and rolling-origin accuracy on
 * the real traces in ../shared/data (skipped, saying so, when absent).
 * Prints numbers; asserts nothing.  PREWARM_DATA overrides the data folder.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_csv.h"
#include "../controller/ctl_demo.h"
#include "../forecast/fc_fit.h"
#include "../forecast/fc_select.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median fit time of one model over reps runs. */
static double time_fit(const double *y, size_t n, const struct fc_spec *s,
                       int reps, int *evals) {
  double t[16];
  for(int r = 0; r < reps; r++) {
    struct fc_model *m = NULL;
    struct fc_fit_info fi;
    double t0 = pw_clock_mono_ms();
    int rc = fc_fit(y, n, s, NULL, &m, &fi);
    t[r] = pw_clock_mono_ms() - t0;
    if(rc)
      return -1;
    *evals = fi.evaluations;
    fc_model_free(&m);
  }
  qsort(t, (size_t)reps, sizeof(double), cmp_double);
  return t[reps / 2];
}

/* Median time of fc_select() (auto: hold-out and final fit) over reps. */
static double time_select(const double *y, size_t n, int period, int reps) {
  double t[16];
  struct fc_spec base = {.period = period, .fit_h = 12};
  for(int r = 0; r < reps; r++) {
    struct fc_model *m = NULL;
    struct fc_choice ch;
    double t0 = pw_clock_mono_ms();
    int rc = fc_select(y, n, &base, 12, &m, &ch, NULL);
    t[r] = pw_clock_mono_ms() - t0;
    if(rc)
      return -1;
    fc_model_free(&m);
  }
  qsort(t, (size_t)reps, sizeof(double), cmp_double);
  return t[reps / 2];
}

static void bench_fit_times(void) {
  static const struct { size_t n; int m, step; } sizes[] = {
    {2016, 288, 300}, {10080, 1440, 60}};
  printf("== fit time (median of 7; synthetic demo traffic)\n");
  printf("%-10s %7s %6s %10s %6s\n", "model", "n", "m", "fit_ms", "passes");
  for(size_t i = 0; i < 2; i++) {
    size_t n = sizes[i].n;
    double *y = pw_malloc(n * sizeof(double));
    if(!y)
      return;
    ctl_demo_generate(y, n, sizes[i].step, 42);
    for(int k = 0; k < FC_KIND_COUNT; k++) {
      struct fc_spec s = {.kind = (enum fc_kind)k, .period = sizes[i].m};
      if(k == FC_DSHW) {
        printf("%-10s %7zu %6d %10s %6s  (needs two weekly seasons)\n",
               "dshw", n, s.period, "n/a", "");
        continue;
      }
      int evals = 0;
      double ms = time_fit(y, n, &s, 7, &evals);
      printf("%-10s %7zu %6d %10.2f %6d\n", fc_kind_name(s.kind), n,
             s.period, ms, evals);
    }
    printf("%-10s %7zu %6d %10.2f  (fc_select, horizon 12)\n", "auto", n,
           sizes[i].m, time_select(y, n, sizes[i].m, 7));
    pw_free(y);
  }
}

struct trace {
  const char *file;
  int m, m2;      /* periods in steps */
  int h;          /* horizon in steps */
};

struct acc {
  double abs_err, smape, n;
  double cover;   /* hits of q0.95 */
};

/*
 * Rolling origin: fit on the first `win` steps, then at every origin
 * forecast h steps, feed the next value in O(1), and refit on the last
 * `win` steps once a season (warm, from the previous parameters).
 */
static int rolling(const double *y, size_t n, struct fc_spec spec, int h,
                   size_t win, int use_auto, struct acc *a,
                   enum fc_kind *chosen) {
  struct fc_model *m = NULL;
  struct fc_path p;
  double q = 0.95;
  int rc;

  if(use_auto) {
    struct fc_choice ch;
    rc = fc_select(y, win, &spec, h, &m, &ch, NULL);
    if(rc)
      return rc;
    spec = m->spec;
    *chosen = m->spec.kind;
  }
  else {
    rc = fc_fit(y, win, &spec, NULL, &m, NULL);
    if(rc)
      return rc;
  }
  rc = fc_path_init(&p, h, 1);
  if(rc) {
    fc_model_free(&m);
    return rc;
  }
  memset(a, 0, sizeof(*a));
  size_t since = 0;
  for(size_t t = win; t + (size_t)h <= n; t++) {
    if(since == (size_t)spec.period) {
      struct fc_model *r = NULL;
      if(fc_fit(y + t - win, win, &spec, &m->par, &r, NULL) == 0) {
        fc_model_free(&m);
        m = r;
      }
      since = 0;
    }
    if(fc_forecast(m, h, &q, 1, &p) == 0) {
      for(int k = 0; k < h; k++) {
        double v = y[t + (size_t)k], f = p.mean[k];
        if(isnan(v))
          continue;
        a->abs_err += fabs(v - f);
        if(fabs(v) + fabs(f) > 0)
          a->smape += 2 * fabs(v - f) / (fabs(v) + fabs(f));
        a->cover += v <= p.q[k] ? 1 : 0;
        a->n++;
      }
    }
    fc_update(m, y[t]);
    since++;
  }
  fc_path_cleanup(&p);
  fc_model_free(&m);
  return 0;
}

/* In-sample MAE of seasonal naive at lag m over y[0..n). */
static double snaive_scale(const double *y, size_t n, int m) {
  double s = 0;
  size_t c = 0;
  for(size_t t = (size_t)m; t < n; t++) {
    double d = y[t] - y[t - (size_t)m];
    if(!isnan(d)) {
      s += fabs(d);
      c++;
    }
  }
  return c ? s / (double)c : (double)NAN;
}

static void bench_trace(const char *dir, const struct trace *tr,
                        int fit_h) {
  char path[512], err[600];
  struct pw_csv_column col;
  snprintf(path, sizeof(path), "%s/%s", dir, tr->file);
  if(pw_csv_read_column(path, NULL, 0, &col, err, sizeof(err))) {
    printf("%s: skipped: %s\n", tr->file, err);
    return;
  }
  size_t lo = (size_t)(tr->m2 ? 3 * tr->m2 : 10 * tr->m);
  size_t win = lo > col.n / 3 ? col.n / 3 : lo;
  double scale = snaive_scale(col.values, win, tr->m);
  printf("\n%s: n=%zu m=%d m2=%d h=%d fit window=%zu, refit every season, "
         "loss %s\n", tr->file, col.n, tr->m, tr->m2, tr->h, win,
         fit_h ? "1-step + h-step" : "1-step");
  printf("  %-16s %8s %8s %8s %9s\n", "model", "MASE", "sMAPE", "cov95",
         "time_s");
  double base = (double)NAN;
  for(int k = 0; k <= FC_KIND_COUNT; k++) {
    int use_auto = k == FC_KIND_COUNT;
    struct fc_spec s = {.kind = use_auto ? FC_SNAIVE : (enum fc_kind)k,
                        .period = tr->m, .fit_h = fit_h ? tr->h : 0,
                        .period2 = (k == FC_DSHW || use_auto) ? tr->m2 : 0};
    if(k == FC_DSHW && !tr->m2)
      continue;
    struct acc a;
    enum fc_kind chosen = FC_SNAIVE;
    double t0 = pw_clock_mono_ms();
    int rc = rolling(col.values, col.n, s, tr->h, win, use_auto, &a, &chosen);
    double secs = (pw_clock_mono_ms() - t0) / 1e3;
    char name[40];
    snprintf(name, sizeof(name), "%s%s%s", use_auto ? "auto=" : "",
             fc_kind_name(use_auto ? chosen : s.kind), "");
    if(rc) {
      printf("  %-16s  not applicable: %s\n", name, pw_strerror(rc));
      continue;
    }
    double mase = a.abs_err / a.n / scale;
    if(k == FC_SNAIVE)
      base = mase;
    printf("  %-16s %8.3f %8.3f %8.3f %9.2f", name, mase, a.smape / a.n,
           a.cover / a.n, secs);
    if(k != FC_SNAIVE && isfinite(base))
      printf("   MASE %+.0f%% vs snaive", 100 * (mase / base - 1));
    printf("\n");
  }
  pw_csv_column_cleanup(&col);
}

int main(void) {
  gsl_set_error_handler_off();
  bench_fit_times();
  const char *dir = getenv("PREWARM_DATA");
  if(!dir)
    dir = "../shared/data";
  static const struct trace traces[] = {
    {"nab/nyc_taxi.csv", 48, 0, 6},
    {"nab/nyc_taxi.csv", 48, 336, 6},
    {"nab/elb_request_count_8c0756.csv", 288, 0, 12},
    {"nab/Twitter_volume_AMZN.csv", 288, 0, 12},
    {"worldcup98/invocation_count.csv", 1440, 0, 15},
  };
  printf("\n== rolling-origin accuracy on %s\n", dir);
  FILE *probe = fopen(dir, "r");
  if(!probe) {
    printf("skipped: %s is absent (set PREWARM_DATA to the traces)\n", dir);
    return 0;
  }
  fclose(probe);
  for(size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++) {
    bench_trace(dir, &traces[i], 0);
    bench_trace(dir, &traces[i], 1);
  }
  return 0;
}
