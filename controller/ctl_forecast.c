#include "ctl_forecast.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_csv.h"
#include "../common/pw_time.h"
#include "../forecast/fc_fit.h"
#include "../forecast/fc_period.h"
#include "../forecast/fc_select.h"
#include "ctl_cli.h"

#define MAX_QUANTILES 32
#define MAX_HORIZON 1000000

static const char usage[] =
  "usage: prewarm forecast --input FILE [--column NAME] --horizon H\n"
  "                        [--period N|auto] [--period2 N]\n"
  "                        [--model auto|snaive|ses|holt-damped|hw|hw-damped|\n"
  "                                 hw-mul|dshw]\n"
  "                        [--quantiles LIST] [--clip K] [--stats]\n"
  "\n"
  "Fits a seasonal model to one column of a CSV file (a header row, one row\n"
  "a step; empty, NaN and NA cells are missing) and prints the forecast for\n"
  "the next H steps as CSV: h,mean,q<p>... on standard output.\n"
  "\n"
  "  --input FILE      the series; - reads standard input\n"
  "  --column NAME     the value column (default: the last column)\n"
  "  --horizon H       steps to forecast (1..1000000)\n"
  "  --period N|auto   season length in steps (default: auto, detected from\n"
  "                    the autocorrelation; when the first column holds\n"
  "                    timestamps, a day is preferred once three are seen)\n"
  "  --period2 N       a second, longer season for dshw (e.g. 2016 weekly\n"
  "                    with 288 daily at 5-minute steps); with --model auto\n"
  "                    it adds dshw to the candidates\n"
  "  --model M         auto (default) chooses on a hold-out; snaive, ses\n"
  "                    (level only), holt-damped (damped trend, no season),\n"
  "                    hw (additive), hw-damped, hw-mul (multiplicative\n"
  "                    season), dshw (double seasonal, Taylor 2003)\n"
  "  --quantiles LIST  comma-separated probabilities (default 0.95)\n"
  "  --clip K          robust fit: clip one-step errors at K standard\n"
  "                    deviations (1..10; default off)\n"
  "  The fit minimises the mean of the squared one-step and H-step errors\n"
  "  (H capped at the period).  Each quantile is calibrated on the model's\n"
  "  own past errors at that horizon.\n"
  "  --stats           write the chosen model and fit statistics as one\n"
  "                    JSON object on standard error\n";

struct opts {
  const char *input, *column, *qlist;
  long horizon;
  int period, period2, model_auto, stats;
  enum fc_kind kind;
  double clip;
  int nq;
  double q[MAX_QUANTILES];
  char *qname[MAX_QUANTILES];  /* as written; point into qbuf */
  char qbuf[512];
};

static int parse_quantiles(struct opts *o) {
  if(strlen(o->qlist) >= sizeof(o->qbuf))
    return ctl_cli_fail("forecast", "--quantiles: list too long");
  strcpy(o->qbuf, o->qlist);
  for(char *save = NULL, *tok = strtok_r(o->qbuf, ",", &save); tok;
      tok = strtok_r(NULL, ",", &save)) {
    if(o->nq == MAX_QUANTILES)
      return ctl_cli_fail("forecast", "--quantiles: at most 32 values");
    if(ctl_cli_double(tok, 0, 1, 0, &o->q[o->nq]))
      return ctl_cli_fail("forecast",
                          "--quantiles: '%s' is not a probability "
                          "strictly between 0 and 1", tok);
    o->qname[o->nq++] = tok;
  }
  if(o->nq == 0)
    return ctl_cli_fail("forecast", "--quantiles: empty list");
  return 0;
}

static int parse_args(int argc, char **argv, struct opts *o) {
  static const struct option longopts[] = {
    {"input", required_argument, NULL, 'i'},
    {"column", required_argument, NULL, 'c'},
    {"horizon", required_argument, NULL, 'H'},
    {"period", required_argument, NULL, 'p'},
    {"period2", required_argument, NULL, 'P'},
    {"model", required_argument, NULL, 'm'},
    {"quantiles", required_argument, NULL, 'q'},
    {"clip", required_argument, NULL, 'k'},
    {"stats", no_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
  const char *period = "auto", *model = "auto";
  int c;

  o->qlist = "0.95";
  o->horizon = -1;
  opterr = 0;
  optind = 1;
  while((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch(c) {
    case 'i': o->input = optarg; break;
    case 'c': o->column = optarg; break;
    case 'H':
      if(ctl_cli_long(optarg, 1, MAX_HORIZON, &o->horizon))
        return ctl_cli_fail("forecast", "--horizon: '%s' is not a whole "
                            "number from 1 to %d", optarg, MAX_HORIZON);
      break;
    case 'p': period = optarg; break;
    case 'P': {
      long v;
      if(ctl_cli_long(optarg, 3, 40320, &v))
        return ctl_cli_fail("forecast", "--period2: '%s' is not a whole "
                            "number from 3 to 40320", optarg);
      o->period2 = (int)v;
      break;
    }
    case 'm': model = optarg; break;
    case 'q': o->qlist = optarg; break;
    case 'k':
      if(ctl_cli_double(optarg, 1, 10, 1, &o->clip))
        return ctl_cli_fail("forecast", "--clip: '%s' is not a number "
                            "from 1 to 10", optarg);
      break;
    case 's': o->stats = 1; break;
    case 'h': fputs(usage, stdout); return 1;
    default:
      return ctl_cli_fail("forecast", "unknown or incomplete option '%s' "
                          "(see prewarm forecast --help)", argv[optind - 1]);
    }
  }
  if(optind < argc)
    return ctl_cli_fail("forecast", "unexpected argument '%s'", argv[optind]);
  if(!o->input)
    return ctl_cli_fail("forecast", "--input FILE is required");
  if(o->horizon < 0)
    return ctl_cli_fail("forecast", "--horizon H is required");
  if(strcmp(model, "auto") == 0)
    o->model_auto = 1;
  else if(fc_kind_parse(model, &o->kind))
    return ctl_cli_fail("forecast", "--model: unknown model '%s' (auto, "
                        "snaive, ses, holt-damped, hw, hw-damped, hw-mul, "
                        "dshw)", model);
  if(strcmp(period, "auto") != 0) {
    long v;
    if(ctl_cli_long(period, 2, 40320, &v))
      return ctl_cli_fail("forecast", "--period: '%s' is not 'auto' or a "
                          "whole number from 2 to 40320", period);
    o->period = (int)v;
  }
  if(!o->model_auto && o->kind == FC_DSHW && !o->period2)
    return ctl_cli_fail("forecast", "--model dshw needs --period2");
  if(o->period2 && o->period && o->period2 <= o->period)
    return ctl_cli_fail("forecast", "--period2 (%d) must be longer than "
                        "--period (%d)", o->period2, o->period);
  return parse_quantiles(o);
}

/* The line number (1-based, header = 1) of row i. */
static unsigned long line_of(size_t i) { return (unsigned long)i + 2; }

/* Are the observed values all equal?  *first gets the first of them. */
static int all_equal(const struct pw_csv_column *col, double *first) {
  size_t i = 0;
  while(i < col->n && isnan(col->values[i]))
    i++;
  if(i == col->n)
    return 0;
  *first = col->values[i];
  for(; i < col->n; i++) {
    if(!isnan(col->values[i]) &&
       (col->values[i] < *first || col->values[i] > *first))
      return 0;
  }
  return 1;
}

static int choose_period(struct opts *o, const struct pw_csv_column *col,
                         struct fc_period_info *pi) {
  memset(pi, 0, sizeof(*pi));
  if(o->period)
    return 0;
  /* With timestamps in the first column the step is known, and with it
   * the day the detector prefers once three fit. */
  int64_t step_ms;
  int day = 0;
  if(pw_time_step(col->labels, col->n, &step_ms) == 0 &&
     86400000 % step_ms == 0)
    day = (int)(86400000 / step_ms);
  int rc = fc_period_detect_calendar(col->values, col->n, 0, 0, day, pi);
  if(rc == PW_ENOMEM)
    return ctl_cli_fail("forecast", "out of memory"), CTL_EXIT_FAIL;
  if(rc || pi->period == 0) {
    double first;
    if(all_equal(col, &first))
      return ctl_cli_fail("forecast", "%s: no seasonal period found in %zu "
                          "rows: every value is %g, and a constant series "
                          "has no season; pass --period N", o->input,
                          col->n, first);
    return ctl_cli_fail("forecast", "%s: no seasonal period found in %zu "
                        "rows (autocorrelation has no clear peak); pass "
                        "--period N", o->input, col->n);
  }
  o->period = pi->period;
  if(o->period2 && o->period2 <= o->period)
    return ctl_cli_fail("forecast", "%s: --period2 (%d) must be longer than "
                        "the detected period (%d)", o->input, o->period2,
                        o->period);
  if(!o->period2 && o->model_auto && pi->period2 &&
     (size_t)pi->period2 * 2 <= col->n)
    o->period2 = pi->period2;
  return 0;
}

/* Refuses what cannot be fitted, naming the file and the line. */
static int check_rows(const struct opts *o, const struct pw_csv_column *col) {
  size_t lead = 0;
  while(lead < col->n && isnan(col->values[lead]))
    lead++;
  if(lead == col->n)
    return ctl_cli_fail("forecast", "%s:%lu: no values in column '%s'",
                        o->input, line_of(col->n) - 1, col->name);
  struct fc_spec s = {.kind = o->model_auto ? FC_SNAIVE : o->kind,
                      .period = o->period,
                      .period2 = o->model_auto || o->kind != FC_DSHW
                                   ? 0 : o->period2};
  size_t need = fc_spec_min_rows(&s);
  if(col->n - lead < need)
    return ctl_cli_fail("forecast", "%s:%lu: %zu rows from the first value, "
                        "but %s with period %d needs at least %zu (two "
                        "seasons)", o->input, line_of(col->n) - 1,
                        col->n - lead, o->model_auto ? "any model"
                        : fc_kind_name(o->kind),
                        s.kind == FC_DSHW ? s.period2 : s.period, need);
  if(!o->model_auto && o->kind == FC_HW_MUL) {
    for(size_t i = 0; i < col->n; i++) {
      if(!isnan(col->values[i]) && !(col->values[i] > 0))
        return ctl_cli_fail("forecast", "%s:%lu: hw-mul needs values above "
                            "zero, found %g", o->input, line_of(i),
                            col->values[i]);
    }
  }
  return 0;
}

static void print_path(const struct opts *o, const struct fc_path *p) {
  fputs("h,mean", stdout);
  for(int j = 0; j < o->nq; j++)
    printf(",q%s", o->qname[j]);
  fputc('\n', stdout);
  for(int k = 0; k < p->h; k++) {
    printf("%d,%.10g", k + 1, p->mean[k]);
    for(int j = 0; j < o->nq; j++)
      printf(",%.10g", p->q[k * p->nq + j]);
    fputc('\n', stdout);
  }
}

/* JSON numbers: non-finite values become null. */
static void json_num(const char *key, double v, int comma) {
  if(isfinite(v))
    fprintf(stderr, "\"%s\":%.10g%s", key, v, comma ? "," : "");
  else
    fprintf(stderr, "\"%s\":null%s", key, comma ? "," : "");
}

static void print_stats(const struct fc_model *m,
                        const struct fc_choice *ch,
                        const struct fc_period_info *pi,
                        const struct pw_csv_column *col, double fit_ms,
                        const struct fc_fit_info *fi) {
  size_t missing = 0;
  for(size_t i = 0; i < col->n; i++)
    missing += isnan(col->values[i]) ? 1 : 0;
  fprintf(stderr, "{\"model\":\"%s\",\"selection\":\"%s\",\"period\":%d,"
          "\"period2\":%d,\"period_source\":\"%s\",",
          fc_kind_name(m->spec.kind), ch ? ch->method : "given",
          m->spec.period, m->spec.period2,
          pi->period ? "auto" : "given");
  json_num("period_strength", pi->period ? pi->strength : (double)NAN, 1);
  fprintf(stderr, "\"n\":%zu,\"missing\":%zu,\"skipped_leading\":%zu,",
          col->n, missing, fi->skipped);
  json_num("fit_ms", fit_ms, 1);
  fprintf(stderr, "\"iterations\":%d,\"evaluations\":%d,\"params\":{",
          fi->iterations, fi->evaluations);
  json_num("alpha", m->par.alpha, 1);
  json_num("beta", m->par.beta, 1);
  json_num("gamma", m->par.gamma, 1);
  json_num("omega", m->par.omega, 1);
  json_num("phi", m->par.phi, 1);
  json_num("ar", m->par.ar, 0);
  fputs("},", stderr);
  json_num("aic", m->spec.kind == FC_SNAIVE ? (double)NAN : m->aic, 1);
  json_num("rmse", m->nsse ? sqrt(m->sse / (double)m->nsse) : (double)NAN, 1);
  json_num("sigma", sqrt(m->sigma2), 1);
  /* The clipping in use: as asked, or what auto chose. */
  fprintf(stderr, "\"clip\":%g,\"fit_h\":%d", m->spec.clip_k, m->spec.fit_h);
  if(ch) {
    fprintf(stderr, ",\"holdout\":%d,\"candidates\":{", ch->holdout);
    int first = 1;
    for(int k = 0; k < FC_KIND_COUNT; k++) {
      if(ch->tried[k] == FC_TRY_SKIPPED)
        continue;
      fprintf(stderr, "%s", first ? "" : ",");
      json_num(fc_kind_name((enum fc_kind)k),
               ch->tried[k] == FC_TRY_OK ? ch->score[k] : (double)NAN, 0);
      first = 0;
    }
    fputc('}', stderr);
  }
  fputs("}\n", stderr);
}

static int fit_and_print(struct opts *o, const struct pw_csv_column *col,
                         const struct fc_period_info *pi) {
  /* The fit weighs the one-step and the H-step errors alike (H capped at
   * the period), so that the parameters suit the horizon asked for. */
  struct fc_spec spec = {.kind = o->kind, .period = o->period,
                         .period2 = o->period2, .clip_k = o->clip,
                         .fit_h = (int)(o->horizon < o->period ? o->horizon
                                                               : o->period)};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  struct fc_fit_info fi;
  struct fc_path path;
  int rc;

  double t0 = pw_clock_mono_ms();
  if(o->model_auto) {
    rc = fc_select(col->values, col->n, &spec, (int)o->horizon, &m, &ch,
                   &fi);
  }
  else {
    if(spec.kind != FC_DSHW)
      spec.period2 = 0;
    rc = fc_fit(col->values, col->n, &spec, NULL, &m, &fi);
  }
  double fit_ms = pw_clock_mono_ms() - t0;
  if(rc == PW_ETOOSHORT)
    return ctl_cli_fail("forecast", "%s: a season of the first two has no "
                        "values; cannot initialise the model", o->input);
  if(rc) {
    ctl_cli_fail("forecast", "%s: fitting %s failed: %s", o->input,
                 o->model_auto ? "a model" : fc_kind_name(o->kind),
                 pw_strerror(rc));
    return rc == PW_ENUMERIC ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
  }
  rc = fc_path_init(&path, (int)o->horizon, o->nq);
  if(rc == 0)
    rc = fc_forecast(m, (int)o->horizon, o->q, o->nq, &path);
  if(rc == 0) {
    print_path(o, &path);
    if(o->stats)
      print_stats(m, o->model_auto ? &ch : NULL, pi, col, fit_ms, &fi);
  }
  else {
    ctl_cli_fail("forecast", "forecast failed: %s", pw_strerror(rc));
  }
  fc_path_cleanup(&path);
  fc_model_free(&m);
  return rc ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int ctl_forecast_main(int argc, char **argv) {
  struct opts o;
  struct pw_csv_column col;
  struct fc_period_info pi;
  char err[600];
  int rc;

  memset(&o, 0, sizeof(o));
  rc = parse_args(argc, argv, &o);
  if(rc)
    return rc == 1 ? CTL_EXIT_OK : rc;
  rc = pw_csv_read_column(o.input, o.column, 1, &col, err, sizeof(err));
  if(rc) {
    ctl_cli_fail("forecast", "%s", err);
    return rc == PW_ENOMEM ? CTL_EXIT_FAIL : CTL_EXIT_USAGE;
  }
  if(col.n == 0) {
    pw_csv_column_cleanup(&col);
    return ctl_cli_fail("forecast", "%s: the file has no data rows (only "
                        "a header row)", o.input);
  }
  rc = choose_period(&o, &col, &pi);
  if(rc == 0)
    rc = check_rows(&o, &col);
  if(rc == 0)
    rc = fit_and_print(&o, &col, &pi);
  pw_csv_column_cleanup(&col);
  return rc;
}
