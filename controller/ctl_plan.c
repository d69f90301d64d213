#include "ctl_plan.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_csv.h"
#include "../common/pw_time.h"
#include "ctl_cli.h"
#include "ctl_plan_config.h"
#include "ctl_replay.h"
#include "ctl_settings.h"
#include "ctl_report.h"

const char *const ctl_plan_policy_names[CTL_PLAN_NPOLICIES] = {
  "predictive", "reactive", "static", "seasonal_naive", "oracle",
  "on_demand"};

static const char usage[] =
  "usage: prewarm plan --trace FILE [--column NAME] --step SECONDS\n"
  "                    --platform kubernetes|lambda|hybrid --unit-capacity X\n"
  "                    --warmup SECONDS [--duration-ms D] [--keepalive SECONDS]\n"
  "                    [--period N|auto] [--quantile Q] [--headroom F]\n"
  "                    [--model M] [--min N] [--max N] [--stabilization SECONDS]\n"
  "                    [--floor-utilization U] [--momentum F]\n"
  "                    [--surge-ratio R [--surge-factor F]\n"
  "                    [--surge-hold SECONDS]] [--surge-pay P]\n"
  "                    [--decisions FILE]\n"
  "                    [--report DIR] [--format text|json]\n"
  "                    [--slo-unserved F | --slo-cold-start F]\n"
  "                    [--feedback [--slo-window SECONDS]]\n"
  "                    [--warmup-dist S1,S2,...]\n"
  "                    [--price-instance-hour P] [--memory-mb M]\n"
  "                    [--no-frontier]\n"
  "       prewarm plan --config FILE [--target NAME]... [--history DURATION]\n"
  "                    [--end TIME] [--keepalive SECONDS] [--report DIR]\n"
  "                    [--format text|json]\n"
  "\n"
  "Replays a load trace (one row a step: requests or invocations in that\n"
  "step) through prewarm's control loop on a simulated clock and compares\n"
  "what it would have done with reactive (HPA-like), static, seasonal-naive\n"
  "and oracle policies on the same platform model: cost in instance-seconds\n"
  "against unserved load (kubernetes) or cold starts (lambda).\n"
  "\n"
  "  --trace FILE        CSV with a header row, read as prewarm forecast\n"
  "                      reads its input; - reads standard input\n"
  "  --column NAME       the load column (default: the last)\n"
  "  --step SECONDS      the time one row covers\n"
  "  --platform P        kubernetes (replicas) or lambda (provisioned\n"
  "                      concurrency), or hybrid (below)\n"
  "  --unit-capacity X   load one instance serves in one step (kubernetes),\n"
  "                      or concurrent executions per environment (lambda,\n"
  "                      usually 1)\n"
  "  --warmup SECONDS    time from request to ready capacity\n"
  "  --duration-ms D     lambda: mean duration of one invocation; the load\n"
  "                      becomes concurrency by Little's law\n"
  "  --keepalive SECONDS lambda: how long an on-demand environment stays\n"
  "                      warm after use (default 600)\n"
  "  --period N|auto     season in steps (default auto: detected as the\n"
  "                      replay goes, from the rows seen so far)\n"
  "  --quantile Q        forecast quantile provisioned (default 0.95 for\n"
  "                      kubernetes, 0.99 for lambda)\n"
  "  --headroom F        extra fraction on the forecast (default 0)\n"
  "  --model M           auto (default: chosen on a hold-out, again daily),\n"
  "                      snaive, ses, holt-damped, hw, hw-damped or hw-mul\n"
  "  --min N, --max N    bounds on the capacity requested\n"
  "  --stabilization S   scale down only to the highest recommendation of\n"
  "                      the last S seconds, as the HPA does (default 300)\n"
  "  --floor-utilization U  never below the current load served at this\n"
  "                      utilisation (0 < U <= 1, default 0.9)\n"
  "  --momentum F        the floor extends a rise of the last lead time F\n"
  "                      times over the next (default 1, 0 = off)\n"
  ;

/* The usage continues (C99 caps one string literal at 4095 bytes). */
static const char usage_more[] =
  "  --surge-ratio R     the surge guard: a load above R times the highest\n"
  "                      of the 8 steps before starts a surge; while it\n"
  "                      lasts, capacity serves the load before it plus F\n"
  "                      (--surge-factor, default 4) times the rise to its\n"
  "                      peak, until --surge-hold seconds (default 3600)\n"
  "                      after its last such rise (for flash crowds that\n"
  "                      outgrow the warm-up and come in clusters).  Given,\n"
  "                      it acts on every surge; by default (kubernetes) it\n"
  "                      runs at 1.5 and calibrates itself: it acts only\n"
  "                      while what it served beyond ready capacity per\n"
  "                      instance-step it added is at least --surge-pay P\n"
  "                      (default 0.5) times what one instance more at\n"
  "                      every step would have served; --surge-pay 0\n"
  "                      without a ratio switches it off\n"
  "  --decisions FILE    write time,load,desired,ready,forecast,reasons: one\n"
  "                      row per trace row, from rows up to that row only\n"
  "  --report DIR        write DIR/index.html (charts, no network) and the\n"
  "                      CSVs behind it\n"
  "  --format text|json  the summary on stdout (default text)\n";

static const char usage_frontier[] =
  "\n"
  "The reactive frontier: the reactive policy at every utilisation target\n"
  "0.30 to 1.00, and prewarm's curve: the replay again at quantiles 0.5 to\n"
  "0.995 and headroom 0.1 to 0.5, compared at equal cost and equal loss.\n"
  "  --no-frontier       skip them (one replay instead of twelve)\n"
  "  --slo-unserved F    kubernetes: recommend the cheapest setting that\n"
  "                      leaves at most the fraction F unserved\n"
  "  --slo-cold-start F  lambda: the same for the cold-start fraction\n"
  "  --feedback          replay with SLO feedback toward that objective\n"
  "                      instead: the quantile (then the headroom) moves\n"
  "                      as the measured miss asks, as a target with\n"
  "                      slo: in its configuration does; prints the\n"
  "                      trajectory (works with --no-frontier)\n"
  "  --slo-window S      the window the miss is measured over (default\n"
  "                      86400)\n"
  "  --price-instance-hour P  kubernetes: US$ per instance (pod) an hour\n"
  "                      (default 0.048: half an m5.large, 1 vCPU and 4 GiB,\n"
  "                      on demand in AWS us-east-1)\n"
  "  --memory-mb M       lambda: the function's memory (default 1024),\n"
  "                      priced at AWS us-east-1 list prices (x86):\n"
  "                      provisioned concurrency $0.0000041667, its duration\n"
  "                      $0.0000097222, on-demand duration $0.0000166667 a\n"
  "                      GB-second, $0.20 per million requests\n";

static const char usage_config[] =
  "\n"
  "With --config, each target of prewarm's configuration file is planned\n"
  "on its own history, read from its configured source (prometheus,\n"
  "cloudwatch, postgres; a remote_write target from the store:; csv and\n"
  "demo: the whole file), with its configured policy and platform:\n"
  "\n"
  "  --config FILE       the daemon's configuration (prewarm run --config)\n"
  "  --target NAME       plan this target (repeatable; default: all)\n"
  "  --history DURATION  how far back to read, e.g. 7d (default: each\n"
  "                      target's forecast.history, 14d unless set)\n"
  "  --end TIME          read up to TIME, Unix seconds or\n"
  "                      YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
  "  --keepalive SECONDS lambda targets, as above (default 600)\n"
  "  --report DIR        DIR/<target>/index.html and its CSVs per target\n"
  "  --format text|json  text: a 'target' line (source, span, missing\n"
  "                      steps) before each table; json:\n"
  "                      {\"targets\":[{\"name\":...,\"source\":...,...}]}\n"
  "A target that cannot be read is reported with the reason, the others\n"
  "are still planned, and the exit status is 1.\n";

static const char usage_warmup[] =
  "\n"
  "Warm-up as measured: the replay times each rise from the step that asked\n"
  "to the step it was ready, as the daemon does, and from 5 rises covers\n"
  "their 90th percentile (plus a step) instead of --warmup, never more.\n"
  "  --warmup-dist S1,S2,...  the platform's warm-up varies: step t's\n"
  "                      capacity must have been asked for the (t mod N)-th\n"
  "                      of these N values in seconds (e.g. pod start times\n"
  "                      seen, in the order seen); --warmup stays the bound\n"
  "                      on the lead time\n";

static const char usage_hybrid[] =
  "\n"
  "--platform hybrid: pods (planned as kubernetes) whose overflow, the load\n"
  "above their ready capacity, is invoked on a function (--duration-ms D\n"
  "required, --memory-mb, --keepalive) with Lambda's cold starts.  Adds\n"
  "per policy the GB-seconds, invocations, cold starts and total cost, and\n"
  "replays the pods at quantiles 0.5 to 0.995 for the cheapest in total\n"
  "(within --slo-cold-start F, cold starts over all the load).\n";

static void print_usage(void) {
  fputs(usage, stdout);
  fputs(usage_more, stdout);
  fputs(usage_warmup, stdout);
  fputs(usage_hybrid, stdout);
  fputs(usage_frontier, stdout);
  fputs(usage_config, stdout);
}

/* --warmup-dist S1,S2,...: the platform's warm-ups in seconds, kept in
 * seconds until the step is known (converted in parse_args()). */
static int64_t ms_of(double seconds);
static void json_num(double v);
static int warmup_dist(struct ctl_plan_opts *o, const char *arg) {
  char buf[32];
  size_t n = 0;
  const char *p = arg;
  while(*p) {
    size_t len = strcspn(p, ",");
    double v;
    if(len == 0 || len >= sizeof(buf) || n == CTL_PLAN_WARMUP_SEQ)
      return ctl_cli_fail("plan", "--warmup-dist: at most %d warm-ups in "
                          "seconds, separated by commas", CTL_PLAN_WARMUP_SEQ);
    memcpy(buf, p, len);
    buf[len] = '\0';
    if(ctl_cli_double(buf, 0, 86400, 1, &v))
      return ctl_cli_fail("plan", "--warmup-dist: '%s' is not a number of "
                          "seconds from 0 to 86400", buf);
    o->warmup_dist_s[n++] = v;
    p += len;
    if(*p == ',' && !*++p)
      return ctl_cli_fail("plan", "--warmup-dist: a value is missing after "
                          "the last comma");
  }
  if(n == 0)
    return ctl_cli_fail("plan", "--warmup-dist: no value");
  o->nwarmup_seq = n;
  return 0;
}

static int num(const char *opt, const char *v, double lo, double hi,
               double *out) {
  if(ctl_cli_double(v, lo, hi, 1, out))
    return ctl_cli_fail("plan", "%s: '%s' is not a number from %g to %g",
                        opt, v, lo, hi);
  return 0;
}

void ctl_plan_defaults(struct ctl_plan_opts *o) {
  memset(o, 0, sizeof(*o));
  o->keepalive_s = 600;
  o->quantile = -1;  /* the platform's default: see plan_cfg() */
  o->max = LONG_MAX / 4;
  o->stabilization_s = 300;
  o->model_auto = 1;
  o->floor_util = 0.9;
  o->momentum = 1.0;
  o->slo_window_s = 86400;
  o->surge_factor = 4;
  o->surge_hold_s = 3600;
  o->surge_pay = -1;
  ctl_frontier_prices_default(&o->prices);
}

static int parse_opt(struct ctl_plan_opts *o, int c, const char *arg) {
  long v;
  switch(c) {
  case 't': o->trace = arg; return 0;
  case 'c': o->column = arg; return 0;
  case 's': return num("--step", arg, 1e-3, 1e7, &o->step_s);
  case 'u':
    if(ctl_cli_double(arg, 0, 1e15, 0, &o->unit))
      return ctl_cli_fail("plan", "--unit-capacity: '%s' is not a positive "
                          "number", arg);
    return 0;
  case 'w': return num("--warmup", arg, 0, 1e7, &o->warmup_s);
  case 'd':
    if(ctl_cli_double(arg, 0, 1e9, 0, &o->duration_ms))
      return ctl_cli_fail("plan", "--duration-ms: '%s' is not a positive "
                          "number", arg);
    return 0;
  case 'k': return num("--keepalive", arg, 0, 1e7, &o->keepalive_s);
  case 'q':
    if(ctl_cli_double(arg, 0, 1, 0, &o->quantile))
      return ctl_cli_fail("plan", "--quantile: '%s' is not strictly between "
                          "0 and 1", arg);
    return 0;
  case 'H': return num("--headroom", arg, 0, 10, &o->headroom);
  case 'm':
  case 'M':
    if(ctl_cli_long(arg, 0, LONG_MAX / 4, &v))
      return ctl_cli_fail("plan", "--%s: '%s' is not a whole number >= 0",
                          c == 'm' ? "min" : "max", arg);
    *(c == 'm' ? &o->min : &o->max) = v;
    return 0;
  case 'p':
    if(strcmp(arg, "auto") == 0) {
      o->period = 0;
      return 0;
    }
    if(ctl_cli_long(arg, 2, 40320, &v))
      return ctl_cli_fail("plan", "--period: '%s' is not 'auto' or a whole "
                          "number from 2 to 40320", arg);
    o->period = (int)v;
    return 0;
  case 'P':
    o->platform_set = 1;
    if(strcmp(arg, "kubernetes") == 0)
      o->platform = ACT_KUBERNETES;
    else if(strcmp(arg, "lambda") == 0)
      o->platform = ACT_LAMBDA;
    else if(strcmp(arg, "hybrid") == 0)
      o->platform = ACT_KUBERNETES, o->hybrid = 1;
    else
      return ctl_cli_fail("plan", "--platform: '%s' is not kubernetes, "
                          "lambda or hybrid", arg);
    return 0;
  case 'S': return num("--stabilization", arg, 0, 86400, &o->stabilization_s);
  case 'U':
    if(ctl_cli_double(arg, 0, 1, 1, &o->floor_util) || !(o->floor_util > 0))
      return ctl_cli_fail("plan", "--floor-utilization: '%s' is not in "
                          "(0, 1]", arg);
    return 0;
  case 'o':
    if(strcmp(arg, "auto") == 0) {
      o->model_auto = 1;
      return 0;
    }
    o->model_auto = 0;
    if(fc_kind_parse(arg, &o->kind) || o->kind == FC_DSHW)
      return ctl_cli_fail("plan", "--model: '%s' is not auto, snaive, ses, "
                          "holt-damped, hw, hw-damped or hw-mul", arg);
    return 0;
  case 'G': return num("--momentum", arg, 0, 10, &o->momentum);
  case 'r':
    if(ctl_cli_double(arg, 0, 100, 1, &o->surge_ratio) ||
       (o->surge_ratio > 0 && o->surge_ratio <= 1))
      return ctl_cli_fail("plan", "--surge-ratio: '%s' is not 0 (the "
                          "default) or above 1, at most 100", arg);
    return 0;
  case 'F': return num("--surge-factor", arg, 1, 100, &o->surge_factor);
  case 'L': return num("--surge-hold", arg, 1, 7 * 86400.0, &o->surge_hold_s);
  case 'A': return num("--surge-pay", arg, 0, 100, &o->surge_pay);
  case 'N': o->no_frontier = 1; return 0;
  case 'O':
  case 'C':
    o->slo_lambda = c == 'C';
    if(ctl_cli_double(arg, 0, 1, 1, &o->slo) || !(o->slo > 0))
      return ctl_cli_fail("plan", "--slo-%s: '%s' is not a fraction in "
                          "(0, 1]", c == 'C' ? "cold-start" : "unserved",
                          arg);
    return 0;
  case 'B': o->feedback = 1; return 0;
  case 'V': return warmup_dist(o, arg);
  case 'W': return num("--slo-window", arg, 60, 30 * 86400.0, &o->slo_window_s);
  case 'I':
    if(ctl_cli_double(arg, 0, 1e6, 0, &o->prices.instance_hour))
      return ctl_cli_fail("plan", "--price-instance-hour: '%s' is not a "
                          "positive number up to 1e6", arg);
    return 0;
  case 'Y':
    if(ctl_cli_double(arg, 128, 10240, 1, &o->prices.memory_mb))
      return ctl_cli_fail("plan", "--memory-mb: '%s' is not a number from "
                          "128 to 10240", arg);
    return 0;
  case 'D': o->decisions = arg; return 0;
  case 'R': o->report = arg; return 0;
  case 'f':
    if(strcmp(arg, "json") == 0)
      o->json = 1;
    else if(strcmp(arg, "text") != 0)
      return ctl_cli_fail("plan", "--format: '%s' is not text or json", arg);
    return 0;
  default:
    return ctl_cli_fail("plan", "unknown or incomplete option '%s' (see "
                        "prewarm plan --help)", arg);
  }
}

/* --platform hybrid's options: the function's duration is needed (the
 * overflow's concurrency is Little's law), the SLO is on cold starts. */
static int check_hybrid_opts(const struct ctl_plan_opts *o) {
  if(!(o->duration_ms > 0))
    return ctl_cli_fail("plan", "--platform hybrid needs --duration-ms D "
                        "(the function's mean duration)");
  if(o->slo > 0 && !o->slo_lambda)
    return ctl_cli_fail("plan", "--slo-unserved does not apply to "
                        "--platform hybrid (the function serves all the "
                        "load); use --slo-cold-start");
  return 0;
}

/* The frontier's options against the platform. */
static int check_frontier_opts(const struct ctl_plan_opts *o) {
  int lambda = o->platform == ACT_LAMBDA;
  if(o->hybrid && o->feedback)
    return ctl_cli_fail("plan", "--feedback does not apply to --platform "
                        "hybrid (its --slo-cold-start chooses the pods' "
                        "quantile)");
  if(o->hybrid)
    return check_hybrid_opts(o);
  if(o->slo > 0 && o->slo_lambda != lambda)
    return ctl_cli_fail("plan", "--slo-%s applies to --platform %s only; "
                        "use --slo-%s", lambda ? "unserved" : "cold-start",
                        lambda ? "kubernetes" : "lambda",
                        lambda ? "cold-start" : "unserved");
  if(o->feedback && !(o->slo > 0))
    return ctl_cli_fail("plan", "--feedback needs the objective: "
                        "--slo-%s F", lambda ? "cold-start" : "unserved");
  if(o->feedback && o->slo_window_s < 4 * o->step_s)
    return ctl_cli_fail("plan", "--slo-window must cover at least 4 "
                        "steps");
  if(o->slo > 0 && o->no_frontier && !o->feedback)
    return ctl_cli_fail("plan", "--slo-%s needs the frontier; drop "
                        "--no-frontier", lambda ? "cold-start" : "unserved");
  return 0;
}

static int parse_args(int argc, char **argv, struct ctl_plan_opts *o) {
  static const struct option longopts[] = {
    {"trace", required_argument, NULL, 't'},
    {"column", required_argument, NULL, 'c'},
    {"step", required_argument, NULL, 's'},
    {"platform", required_argument, NULL, 'P'},
    {"unit-capacity", required_argument, NULL, 'u'},
    {"warmup", required_argument, NULL, 'w'},
    {"duration-ms", required_argument, NULL, 'd'},
    {"keepalive", required_argument, NULL, 'k'},
    {"period", required_argument, NULL, 'p'},
    {"quantile", required_argument, NULL, 'q'},
    {"headroom", required_argument, NULL, 'H'},
    {"min", required_argument, NULL, 'm'},
    {"max", required_argument, NULL, 'M'},
    {"stabilization", required_argument, NULL, 'S'},
    {"floor-utilization", required_argument, NULL, 'U'},
    {"model", required_argument, NULL, 'o'},
    {"momentum", required_argument, NULL, 'G'},
    {"surge-ratio", required_argument, NULL, 'r'},
    {"surge-factor", required_argument, NULL, 'F'},
    {"surge-hold", required_argument, NULL, 'L'},
    {"surge-pay", required_argument, NULL, 'A'},
    {"decisions", required_argument, NULL, 'D'},
    {"no-frontier", no_argument, NULL, 'N'},
    {"slo-unserved", required_argument, NULL, 'O'},
    {"slo-cold-start", required_argument, NULL, 'C'},
    {"feedback", no_argument, NULL, 'B'},
    {"warmup-dist", required_argument, NULL, 'V'},
    {"slo-window", required_argument, NULL, 'W'},
    {"price-instance-hour", required_argument, NULL, 'I'},
    {"memory-mb", required_argument, NULL, 'Y'},
    {"report", required_argument, NULL, 'R'},
    {"format", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
  int c, rc;

  ctl_plan_defaults(o);
  o->step_s = -1;
  o->unit = -1;
  o->warmup_s = -1;
  opterr = 0;
  optind = 1;
  while((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    if(c == 'h') {
      print_usage();
      return 1;
    }
    rc = parse_opt(o, c, c == '?' ? argv[optind - 1] : optarg);
    if(rc)
      return rc;
  }
  if(optind < argc)
    return ctl_cli_fail("plan", "unexpected argument '%s'", argv[optind]);
  if(!o->trace)
    return ctl_cli_fail("plan", "--trace FILE is required");
  if(o->step_s < 0)
    return ctl_cli_fail("plan", "--step SECONDS is required");
  if(!o->platform_set)
    return ctl_cli_fail("plan", "--platform kubernetes|lambda is required");
  if(o->unit < 0)
    return ctl_cli_fail("plan", "--unit-capacity X is required");
  if(o->warmup_s < 0)
    return ctl_cli_fail("plan", "--warmup SECONDS is required");
  if(o->duration_ms > 0 && o->platform != ACT_LAMBDA && !o->hybrid)
    return ctl_cli_fail("plan", "--duration-ms applies to --platform lambda "
                        "only");
  if(o->min > o->max)
    return ctl_cli_fail("plan", "--min (%ld) is above --max (%ld)", o->min,
                        o->max);
  for(size_t i = 0; i < o->nwarmup_seq; i++)
    o->warmup_seq[i] = ctl_settings_steps(ms_of(o->warmup_dist_s[i]),
                                          ms_of(o->step_s));
  return check_frontier_opts(o);
}

/* Loads and checks the trace: loads are counts, never negative. */
static int load_trace(const struct ctl_plan_opts *o, struct pw_csv_column *col) {
  char err[600];
  int rc = pw_csv_read_column(o->trace, o->column, 1, col, err, sizeof(err));
  if(rc) {
    ctl_cli_fail("plan", "%s", err);
    return rc == PW_ENOMEM ? CTL_EXIT_FAIL : CTL_EXIT_USAGE;
  }
  if(col->n == 0) {
    pw_csv_column_cleanup(col);
    return ctl_cli_fail("plan", "%s: the trace has no rows", o->trace);
  }
  for(size_t i = 0; i < col->n; i++) {
    if(col->values[i] < 0) {
      ctl_cli_fail("plan", "%s:%zu: load %g is negative", o->trace, i + 2,
                   col->values[i]);
      pw_csv_column_cleanup(col);
      return CTL_EXIT_USAGE;
    }
  }
  return 0;
}

/*
 * Rows are steps, by the command's contract.  When the first column holds
 * timestamps that say otherwise (another step than --step, gaps, repeats)
 * the replay goes on as told, and says so on stderr.
 */
static void check_timestamps(const struct ctl_plan_opts *o,
                             const struct pw_csv_column *col) {
  int64_t step_ms;
  if(!col->labels || pw_time_step(col->labels, col->n, &step_ms))
    return;  /* no timestamps to speak of */
  if(step_ms != llround(o->step_s * 1000))
    fprintf(stderr, "prewarm plan: warning: %s: the timestamps are %g s "
            "apart, --step says %g s\n", o->trace, (double)step_ms / 1000,
            o->step_s);
  struct pw_time_gaps g;
  pw_time_gaps(col->labels, col->n, step_ms, &g);
  if(g.count)
    fprintf(stderr, "prewarm plan: warning: %s:%zu: %zu %s in the "
            "timestamps (the first %g s after the row before); every row is "
            "replayed as the next step\n", o->trace, g.first + 2, g.count,
            g.count == 1 ? "gap, repeat or step back"
                         : "gaps, repeats or steps back",
            (double)g.first_ms / 1000);
}

void ctl_plan_progress(void *arg, size_t done, size_t total) {
  const char *what = arg ? arg : "replaying";
  int width = 40, fill = (int)((double)done / (double)total * width);
  fprintf(stderr, "\r%s [%.*s%*s] %3d%%", what, fill,
          "########################################", width - fill, "",
          (int)(100.0 * (double)done / (double)total));
  if(done == total)
    fputs("\n", stderr);
}

static int steps_of(double seconds, double step_s) {
  return (int)ceil(seconds / step_s - 1e-9);
}

static int64_t ms_of(double seconds) {
  return llround(seconds * 1000);
}

/*
 * The command's flags as the target configuration they stand for, so the
 * replay derives its settings exactly as the daemon does
 * (ctl_settings_target()).  Where a flag is not given, the configuration's
 * default applies; the trace is kept whole (two weeks of history, or four
 * seasons of a longer given period).
 */
static void plan_target(const struct ctl_plan_opts *o, struct cfg_target *c,
                        char *model, size_t model_len) {
  static char name[] = "trace";
  cfg_target_defaults(c);
  c->name = name;
  c->step_ms = ms_of(o->step_s);
  if(c->step_ms < 1)
    c->step_ms = 1;
  c->source = CFG_SRC_CSV;
  c->actuator = o->platform == ACT_LAMBDA ? CFG_ACT_LAMBDA
                                          : CFG_ACT_KUBERNETES;
  int64_t two_weeks = 14 * 86400000LL;
  int64_t seasons = 4 * (int64_t)o->period * c->step_ms;
  c->history_ms = two_weeks > seasons ? two_weeks : seasons;
  c->period = o->period;
  snprintf(model, model_len, "%s",
           o->model_auto ? "auto" : fc_kind_name(o->kind));
  c->model = model;
  c->unit_capacity = o->unit;
  c->quantile = o->quantile > 0 ? o->quantile : 0;
  c->headroom = o->headroom;
  c->floor_utilization = o->floor_util;
  c->momentum = o->momentum;
  c->duration_ms = o->platform == ACT_LAMBDA ? o->duration_ms : 0;
  c->warmup_ms = ms_of(o->warmup_s);
  c->stabilization_ms = ms_of(o->stabilization_s);
  c->min = o->min;
  c->max = o->max;
  c->surge_ratio = o->surge_ratio;
  c->surge_factor = o->surge_factor;
  c->surge_hold_ms = ms_of(o->surge_hold_s);
  c->surge_pay = o->surge_pay;
  if(o->feedback) {
    if(o->slo_lambda)
      c->slo_cold_start = o->slo;
    else
      c->slo_unserved = o->slo;
    c->slo_window_ms = ms_of(o->slo_window_s);
    c->slo_keepalive_ms = ms_of(o->keepalive_s);
  }
}

/* Builds the baselines and scores every policy on the platform model. */
static int score_all(struct ctl_plan_result *r, double *need) {
  size_t n = r->n;
  int w = r->model.warmup_steps;
  /* With a warm-up that varies, the baselines that look ahead plan for
   * the longest. */
  for(size_t i = 0; i < r->model.nwarmup_seq; i++)
    if(r->model.warmup_seq[i] > w)
      w = r->model.warmup_seq[i];
  int period = r->period ? r->period : (int)(n / 4 > 1 ? n / 4 : 1);
  act_sim_needed(&r->model, r->load, n, need);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    r->have[p] = p != CTL_PLAN_ON_DEMAND || r->model.platform == ACT_LAMBDA;
    if(!r->have[p])
      continue;
    if(p != CTL_PLAN_PREDICTIVE)
      r->desired[p] = pw_calloc(n, sizeof(double));
    r->ready[p] = pw_malloc(n * sizeof(double));
    r->lost[p] = pw_malloc(n * sizeof(double));
    if(!r->desired[p] || !r->ready[p] || !r->lost[p])
      return PW_ENOMEM;
    switch(p) {
    case CTL_PLAN_REACTIVE:
      ctl_baseline_reactive(need, n, r->step_s, r->desired[p]);
      break;
    case CTL_PLAN_STATIC:
      ctl_baseline_static(need, n, r->start, r->desired[p]);
      break;
    case CTL_PLAN_SNAIVE:
      ctl_baseline_snaive(need, n, w, period, r->step_s, r->desired[p]);
      break;
    case CTL_PLAN_ORACLE:
      ctl_baseline_oracle(need, n, w, r->desired[p]);
      break;
    default:
      break;  /* predictive: the replay's; on demand: zeros */
    }
    int rc = act_sim_score(&r->model, r->load, r->desired[p], n, r->start,
                           r->ready[p], r->lost[p], &r->score[p]);
    if(rc)
      return rc;
  }
  return 0;
}

static void json_frontier(const struct ctl_frontier *f);
static void text_frontier(const struct ctl_frontier *f);

void ctl_plan_json_string(const char *s) {
  putchar('"');
  for(const char *c = s; *c; c++) {
    if(*c == '"' || *c == '\\')
      putchar('\\');
    if((unsigned char)*c >= 0x20)
      putchar(*c);
  }
  putchar('"');
}

/* SLO feedback: the objective, the moves, and the setting at each step
 * where it changed (the trajectory). */
static void json_feedback(const struct ctl_plan_result *r) {
  if(!(r->slo_objective > 0) || r->n == 0)
    return;
  printf(",\"slo_feedback\":{\"objective\":%g,\"kind\":\"%s\","
         "\"window_steps\":%d,\"moves_up\":%ld,\"moves_down\":%ld,"
         "\"quantile_first\":%g,\"quantile_last\":%g,\"headroom_last\":%g,"
         "\"trajectory\":[", r->slo_objective,
         r->slo_cold_start ? "cold_start" : "unserved", r->slo_window_steps,
         r->slo_moves_up, r->slo_moves_down, r->q_used[0],
         r->q_used[r->n - 1], r->h_used[r->n - 1]);
  for(size_t i = 0; i < r->n; i++) {
    if(i > 0 && fabs(r->q_used[i] - r->q_used[i - 1]) < 1e-12 &&
       fabs(r->h_used[i] - r->h_used[i - 1]) < 1e-12)
      continue;
    printf("%s{\"step\":%zu,\"quantile\":%.6g,\"headroom\":%.6g}",
           i ? "," : "", i, r->q_used[i], r->h_used[i]);
  }
  printf("]}");
}

void ctl_plan_print_json_fields(const struct ctl_plan_result *r) {
  int k8s = r->model.platform == ACT_KUBERNETES;
  printf("\"trace\":");
  ctl_plan_json_string(r->trace);
  printf(",\"steps\":%zu,\"step_s\":%g,\"platform\":\"%s\","
         "\"unit_capacity\":%g,\"warmup_steps\":%d,\"period\":%d,"
         "\"period2\":%d,\"period_source\":\"%s\",\"model\":\"%s\","
         "\"refits\":%ld,\"fallback_steps\":%ld,\"scored_from\":%zu,"
         "\"replay_ms\":%.1f,\"policies\":{",
         r->n, r->step_s, k8s ? "kubernetes" : "lambda", r->model.unit,
         r->model.warmup_steps, r->period, r->period2,
         r->period_given ? "given" : "auto", r->model_name, r->refits,
         r->fallback_steps, r->start, r->replay_ms);
  int first = 1;
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    const struct act_sim_score *s = &r->score[p];
    printf("%s\"%s\":{\"instance_seconds\":%.10g,", first ? "" : ",",
           ctl_plan_policy_names[p], s->instance_seconds);
    if(k8s)
      printf("\"unserved\":%.10g,\"unserved_fraction\":%.10g}", s->unserved,
             s->unserved_fraction);
    else
      printf("\"cold_starts\":%.10g,\"cold_start_fraction\":%.10g}",
             s->cold_starts, s->cold_start_fraction);
    first = 0;
  }
  printf("}");
  printf(",\"warmup_measured\":{\"samples\":%ld,\"p90_s\":",
         r->warmup_samples);
  json_num(r->warmup_measured_s);
  printf(",\"lead_steps\":%d", r->lead_steps);
  if(r->model.nwarmup_seq) {
    printf(",\"platform_warmup_steps\":[");
    for(size_t i = 0; i < r->model.nwarmup_seq; i++)
      printf("%s%d", i ? "," : "", r->model.warmup_seq[i]);
    putchar(']');
  }
  putchar('}');
  json_feedback(r);
  if(r->frontier)
    json_frontier(r->frontier);
  ctl_hybrid_print_json(r);
}

static void json_num(double v) {
  if(isfinite(v))
    printf("%.10g", v);
  else
    fputs("null", stdout);
}

static void json_point(const struct ctl_frontier_point *p, int k8s) {
  if(isfinite(p->utilization))
    printf("{\"utilization\":%.2f,", p->utilization);
  else
    printf("{\"quantile\":%g,\"headroom\":%g,", p->quantile, p->headroom);
  printf("\"instance_seconds\":%.10g,\"%s\":%.10g}", p->instance_seconds,
         k8s ? "unserved_fraction" : "cold_start_fraction", p->loss);
}

static void json_points(const char *key, const struct ctl_frontier_point *p,
                        size_t n, int k8s) {
  printf(",\"%s\":[", key);
  for(size_t i = 0; i < n; i++) {
    if(i)
      putchar(',');
    json_point(&p[i], k8s);
  }
  putchar(']');
}

static void json_money(const struct ctl_frontier *f) {
  const struct ctl_frontier_prices *pr = &f->prices;
  double k = f->scale_30d;
  double eq = ctl_frontier_saving_equal_loss(f);
  printf(",\"money\":{\"currency\":\"USD\",\"period_days\":30,");
  if(f->lambda)
    printf("\"memory_mb\":%g,\"price_provisioned_gb_s\":%.10g,"
           "\"price_provisioned_duration_gb_s\":%.10g,"
           "\"price_on_demand_duration_gb_s\":%.10g,"
           "\"price_request\":%.10g,", pr->memory_mb, pr->pc_gb_s,
           pr->pc_duration_gb_s, pr->od_duration_gb_s, pr->request);
  else
    printf("\"price_instance_hour\":%g,", pr->instance_hour);
  printf("\"predictive\":");
  json_num(f->money_chosen.total * k);
  printf(",\"reactive\":");
  json_num(f->money_hpa.total * k);
  printf(",\"saving_vs_reactive\":");
  json_num((f->money_hpa.total - f->money_chosen.total) * k);
  printf(",\"saving_vs_frontier_equal_loss\":");
  json_num(eq);
  putchar('}');
}

static void json_recommendation(const struct ctl_frontier *f, int k8s) {
  printf(",\"recommendation\":");
  if(!(f->slo > 0)) {
    fputs("null", stdout);
    return;
  }
  printf("{\"%s\":%g,\"prewarm\":", k8s ? "slo_unserved" : "slo_cold_start",
         f->slo);
  if(f->rec_curve >= 0)
    json_point(&f->curve[f->rec_curve], k8s);
  else
    fputs("null", stdout);
  printf(",\"frontier\":");
  if(f->rec_frontier >= 0)
    json_point(&f->frontier[f->rec_frontier], k8s);
  else
    fputs("null", stdout);
  putchar('}');
}

/* The frontier's members, after the policies. */
static void json_frontier(const struct ctl_frontier *f) {
  int k8s = !f->lambda;
  json_points("frontier", f->frontier, f->nfrontier, k8s);
  json_points("prewarm_curve", f->curve, f->ncurve, k8s);
  printf(",\"prewarm_setting\":");
  json_point(&f->chosen, k8s);
  printf(",\"reactive_70\":");
  json_point(&f->hpa, k8s);
  printf(",\"frontier_loss_at_equal_cost\":");
  json_num(f->at_cost_loss);
  printf(",\"equal_cost_loss_ratio\":");
  json_num(f->equal_cost_loss_ratio);
  printf(",\"frontier_cost_at_equal_loss\":");
  json_num(f->at_loss_cost);
  printf(",\"equal_loss_cost_ratio\":");
  json_num(f->equal_loss_cost_ratio);
  json_money(f);
  json_recommendation(f, k8s);
}

static void print_json(const struct ctl_plan_result *r) {
  putchar('{');
  ctl_plan_print_json_fields(r);
  printf("}\n");
}

/* SLO feedback's course: the setting at up to 12 evenly spaced steps of
 * the scored part, and where it ended. */
static void text_feedback(const struct ctl_plan_result *r) {
  if(!(r->slo_objective > 0) || r->n == 0)
    return;
  int k8s = r->model.platform == ACT_KUBERNETES;
  const struct act_sim_score *p = &r->score[CTL_PLAN_PREDICTIVE];
  double lo = 1, hi = 0;
  for(size_t i = r->start; i < r->n; i++) {
    lo = fmin(lo, r->q_used[i]);
    hi = fmax(hi, r->q_used[i]);
  }
  printf("\nslo feedback: objective %g%% %s over %.3g h windows; the replay "
         "missed %.3f%%\n", 100 * r->slo_objective,
         k8s ? "unserved" : "cold starts",
         r->slo_window_steps * r->step_s / 3600,
         100 * (k8s ? p->unserved_fraction : p->cold_start_fraction));
  printf("  quantile from %g to %g (range %g to %g), headroom %g at the "
         "end; %ld moves up, %ld down\n  course:", r->q_used[0],
         r->q_used[r->n - 1], lo, hi, r->h_used[r->n - 1], r->slo_moves_up,
         r->slo_moves_down);
  size_t span = r->n - r->start, k = span < 12 ? span : 12;
  for(size_t j = 0; j < k; j++) {
    size_t i = r->start + (span - 1) * j / (k > 1 ? k - 1 : 1);
    printf(" day %.1f q%.3f", (double)i * r->step_s / 86400, r->q_used[i]);
    if(r->h_used[i] > 0)
      printf("+%.2f", r->h_used[i]);
  }
  printf("\n");
}

void ctl_plan_print_text(const struct ctl_plan_result *r) {
  int k8s = r->model.platform == ACT_KUBERNETES;
  const struct act_sim_score *orc = &r->score[CTL_PLAN_ORACLE];
  printf("trace     %s: %zu steps of %g s (%.1f days)\n", r->trace, r->n,
         r->step_s, (double)r->n * r->step_s / 86400);
  printf("platform  %s, unit capacity %g, warm-up %d step%s",
         k8s ? "kubernetes" : "lambda", r->model.unit,
         r->model.warmup_steps, r->model.warmup_steps == 1 ? "" : "s");
  if(!k8s)
    printf(", keep-alive %d steps", r->model.keepalive_steps);
  if(r->model.nwarmup_seq) {
    int lo = r->model.warmup_seq[0], hi = lo;
    for(size_t i = 1; i < r->model.nwarmup_seq; i++) {
      lo = r->model.warmup_seq[i] < lo ? r->model.warmup_seq[i] : lo;
      hi = r->model.warmup_seq[i] > hi ? r->model.warmup_seq[i] : hi;
    }
    printf("\n          the platform's warm-up varies: %d to %d steps "
           "(%zu values, step t takes value t mod %zu)", lo, hi,
           r->model.nwarmup_seq, r->model.nwarmup_seq);
  }
  printf("\n");
  if(r->warmup_samples > 0)
    printf("warm-up   measured on %ld rises: 90th percentile %g s; lead "
           "%d step%s at the end (the configured warm-up gives %d)\n",
           r->warmup_samples, r->warmup_measured_s, r->lead_steps,
           r->lead_steps == 1 ? "" : "s", r->model.warmup_steps + 1);
  if(r->period)
    printf("forecast  period %d%s (%s), model %s, %ld refits\n", r->period,
           r->period2 ? "+second" : "", r->period_given ? "given" : "detected",
           r->model_name, r->refits);
  else
    printf("forecast  no seasonal period found: the predictive policy %s "
           "throughout\n", k8s ? "acted reactively" : "provisioned nothing");
  printf("scored    from step %zu (%s); without a usable forecast on %ld "
         "steps (%s); replay %.2f s\n\n", r->start,
         r->period && r->start == 2 * (size_t)r->period
           ? "after two seasons" : "half the trace",
         r->fallback_steps, k8s ? "acted reactively" : "provisioned nothing",
         r->replay_ms / 1000);
  printf("%-16s %16s %10s %14s %12s\n", "policy", "instance-hours",
         "vs oracle", k8s ? "unserved" : "cold starts",
         k8s ? "unserved %" : "cold start %");
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    const struct act_sim_score *s = &r->score[p];
    char ratio[32] = "-";
    if(orc->instance_seconds > 0)
      snprintf(ratio, sizeof(ratio), "%.2fx",
               s->instance_seconds / orc->instance_seconds);
    printf("%-16s %16.1f %10s %14.0f %11.3f%%\n", ctl_plan_policy_names[p],
           s->instance_seconds / 3600, ratio,
           k8s ? s->unserved : s->cold_starts,
           100 * (k8s ? s->unserved_fraction : s->cold_start_fraction));
  }
  text_feedback(r);
  if(r->frontier && r->frontier->nfrontier)
    text_frontier(r->frontier);
  ctl_hybrid_print_text(r);
}

static void text_setting(const struct ctl_frontier_point *p) {
  printf("quantile %g, headroom %g: %.1f instance-hours, %.3f%%",
         p->quantile, p->headroom, p->instance_seconds / 3600,
         100 * p->loss);
}

/* What to paste into a target's policy: for the cheapest that meets. */
static void text_recommend(const struct ctl_frontier *f) {
  const struct ctl_frontier_point *p;
  if(!(f->slo > 0))
    return;
  printf("\nrecommend for at most %g%% %s:\n", 100 * f->slo,
         f->lambda ? "cold starts" : "unserved");
  if(f->rec_curve < 0) {
    printf("  prewarm   no setting tried meets it (the lowest: %s)\n",
           "see prewarm_curve");
  }
  else {
    p = &f->curve[f->rec_curve];
    printf("  prewarm   ");
    text_setting(p);
    printf("\n  paste into the target's policy:\n"
           "    quantile: %g\n    headroom: %g\n", p->quantile,
           p->headroom);
  }
  if(f->rec_frontier < 0) {
    printf("  reactive  no utilisation target from 0.30 to 1.00 meets it\n");
  }
  else {
    p = &f->frontier[f->rec_frontier];
    printf("  reactive  utilisation %.2f: %.1f instance-hours, %.3f%%\n",
           p->utilization, p->instance_seconds / 3600, 100 * p->loss);
  }
}

static void text_money(const struct ctl_frontier *f) {
  double k = f->scale_30d, eq = ctl_frontier_saving_equal_loss(f);
  if(f->lambda)
    printf("money     per 30 days at this trace's rate, %g MB in us-east-1 "
           "(provisioned concurrency, duration and requests):\n",
           f->prices.memory_mb);
  else
    printf("money     per 30 days at this trace's rate, $%g per "
           "instance-hour:\n", f->prices.instance_hour);
  double save = (f->money_hpa.total - f->money_chosen.total) * k;
  printf("          predictive $%.2f, reactive (HPA at 70%%) $%.2f: %s "
         "$%.2f\n", f->money_chosen.total * k, f->money_hpa.total * k,
         save >= 0 ? "saves" : "costs", fabs(save));
  if(isfinite(eq))
    printf("          against the frontier at equal loss: %s $%.2f of "
           "capacity\n", eq >= 0 ? "saves" : "costs", fabs(eq));
  else
    printf("          against the frontier at equal loss: it does not reach "
           "prewarm's loss\n");
}

/* The frontier section of the text output. */
static void text_frontier(const struct ctl_frontier *f) {
  const char *loss = f->lambda ? "cold start %" : "unserved %";
  const struct ctl_frontier_point *lo = &f->frontier[0];
  const struct ctl_frontier_point *hi = &f->frontier[f->nfrontier - 1];
  printf("\nfrontier  reactive at utilisation 0.30..1.00: %zu points on its "
         "envelope, from %.2f (%.1f instance-hours, %.3f%%) to %.2f "
         "(%.1f, %.3f%%)\n", f->nfrontier, hi->utilization,
         hi->instance_seconds / 3600, 100 * hi->loss, lo->utilization,
         lo->instance_seconds / 3600, 100 * lo->loss);
  printf("prewarm   %zu settings, each a full replay (%.1f s):\n",
         f->ncurve, f->curve_ms / 1000);
  printf("  %8s %8s %16s %12s\n", "quantile", "headroom", "instance-hours",
         loss);
  for(size_t i = 0; i < f->ncurve; i++)
    printf("  %8g %8g %16.1f %11.3f%%\n", f->curve[i].quantile,
           f->curve[i].headroom, f->curve[i].instance_seconds / 3600,
           100 * f->curve[i].loss);
  printf("equal cost  ");
  if(isfinite(f->at_cost_loss))
    printf("at prewarm's %.1f instance-hours the frontier has %.3f%%, "
           "prewarm %.3f%%\n", f->chosen.instance_seconds / 3600,
           100 * f->at_cost_loss, 100 * f->chosen.loss);
  else
    printf("prewarm's %.1f instance-hours are outside the frontier's range "
           "(%.1f to %.1f)\n", f->chosen.instance_seconds / 3600,
           lo->instance_seconds / 3600, hi->instance_seconds / 3600);
  if(isfinite(f->equal_cost_loss_ratio))
    printf("            equal_cost_loss_ratio %.4g\n",
           f->equal_cost_loss_ratio);
  printf("equal loss  ");
  if(isfinite(f->at_loss_cost))
    printf("at prewarm's %.3f%% the frontier needs %.1f instance-hours, "
           "prewarm %.1f: equal_loss_cost_ratio %.4g\n",
           100 * f->chosen.loss, f->at_loss_cost / 3600,
           f->chosen.instance_seconds / 3600, f->equal_loss_cost_ratio);
  else
    printf("the frontier does not reach prewarm's %.3f%% (its lowest: "
           "%.3f%%)\n", 100 * f->chosen.loss, 100 * hi->loss);
  text_money(f);
  text_recommend(f);
}

/* The headline, the text output's last line (after the report's). */
static void text_headline(const struct ctl_plan_result *r) {
  char line[640];
  if(!r->frontier || !r->frontier->nfrontier)
    return;
  ctl_frontier_headline(r->frontier, line, sizeof(line));
  printf("\n%s\n", line);
}

static int write_decisions(const char *path, const struct ctl_plan_result *r) {
  FILE *fp = fopen(path, "w");
  if(!fp)
    return ctl_cli_fail("plan", "%s: cannot create: %s", path,
                        strerror(errno));
  int fb = r->slo_objective > 0;
  fputs(fb ? "time,load,desired,ready,forecast,reasons,quantile,headroom\n"
           : "time,load,desired,ready,forecast,reasons\n", fp);
  for(size_t i = 0; i < r->n; i++) {
    char why[256];
    ctl_reasons_format(r->reasons[i], why, sizeof(why));
    if(r->labels) {
      pw_csv_write_field(fp, r->labels[i]);
      fputc(',', fp);
    }
    else {
      fprintf(fp, "%.0f,", (double)i * r->step_s);
    }
    if(isnan(r->load[i]))
      fputs(",", fp);
    else
      fprintf(fp, "%.10g,", r->load[i]);
    fprintf(fp, "%.0f,%.0f,", r->desired[CTL_PLAN_PREDICTIVE][i],
            r->ready[CTL_PLAN_PREDICTIVE][i]);
    if(isfinite(r->quantile[i]))
      fprintf(fp, "%.6g", r->quantile[i]);
    fputc(',', fp);
    pw_csv_write_field(fp, why);
    if(fb)
      fprintf(fp, ",%.6g,%.6g", r->q_used[i], r->h_used[i]);
    fputc('\n', fp);
  }
  int bad = ferror(fp);
  bad |= fclose(fp);
  if(bad)
    return ctl_cli_fail("plan", "%s: write error", path), CTL_EXIT_FAIL;
  return 0;
}

/* Threads for the curve's replays: the cores, at most 4. */
static int curve_threads(void) {
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  return c < 1 ? 1 : c > 4 ? 4 : (int)c;
}

/* The frontier, prewarm's curve, the comparisons and the money. */
static int build_frontier(const struct ctl_plan_input *in,
                          struct ctl_plan_result *r, char *err,
                          size_t errlen) {
  int k8s = r->model.platform == ACT_KUBERNETES;
  struct ctl_frontier *f = pw_calloc(1, sizeof(*f));
  const struct act_sim_score *p = &r->score[CTL_PLAN_PREDICTIVE];
  int rc;
  if(!f)
    return PW_ENOMEM;
  r->frontier = f;
  f->lambda = !k8s;
  f->model = r->model;
  f->slo = in->slo;
  if(in->prices)
    f->prices = *in->prices;
  else
    ctl_frontier_prices_default(&f->prices);
  f->chosen = (struct ctl_frontier_point){
    .utilization = (double)NAN, .quantile = ctl_settings_quantile(in->target),
    .headroom = in->target->headroom,
    .instance_seconds = p->instance_seconds,
    .loss = k8s ? p->unserved_fraction : p->cold_start_fraction};
  rc = ctl_frontier_reactive(&r->model, r->load, r->n, r->start,
                             &f->frontier, &f->nfrontier, &f->hpa);
  if(rc) {
    snprintf(err, errlen, "frontier: %s", pw_strerror(rc));
    return rc;
  }
  double t0 = pw_clock_mono_ms();
  rc = ctl_frontier_curve(in->target, in->load, in->n, in->start_ms,
                          &r->model, r->start, &f->chosen, curve_threads(),
                          &f->curve, &f->ncurve, err, errlen);
  f->curve_ms = pw_clock_mono_ms() - t0;
  if(rc)
    return rc;
  ctl_frontier_compare(f);
  double scored = (double)(r->n - r->start) * r->step_s;
  f->scale_30d = scored > 0 ? 30 * 86400.0 / scored : 0;
  ctl_frontier_money(&r->model, &f->prices, r->load,
                     r->desired[CTL_PLAN_PREDICTIVE],
                     r->ready[CTL_PLAN_PREDICTIVE], r->n, r->start,
                     &f->money_chosen);
  ctl_frontier_money(&r->model, &f->prices, r->load,
                     r->desired[CTL_PLAN_REACTIVE],
                     r->ready[CTL_PLAN_REACTIVE], r->n, r->start,
                     &f->money_hpa);
  return 0;
}

int ctl_plan_replay(const struct ctl_plan_input *in,
                    struct ctl_plan_result *r, char *err, size_t errlen) {
  const struct cfg_target *t = in->target;
  struct ctl_replay rp = {.load = in->load, .n = in->n,
                          .start_ms = in->start_ms, .target = t};
  size_t n = in->n;
  int lambda = cfg_target_lambda(t);
  double step_s = in->step_s > 0 ? in->step_s : (double)t->step_ms / 1000;
  int rc;

  memset(r, 0, sizeof(*r));
  rp.warmup_steps = ctl_settings_steps(t->warmup_ms, t->step_ms);
  rp.warmup_seq = in->warmup_seq;
  rp.nwarmup_seq = in->nwarmup_seq;
  if(in->progress && n >= 20000)
    rp.progress = ctl_plan_progress;
  rc = ctl_replay_run(&rp, err, errlen);
  if(rc) {
    ctl_replay_cleanup(&rp);
    if(rc != PW_EINVAL)
      snprintf(err, errlen, "replay failed: %s", pw_strerror(rc));
    return rc;
  }
  r->trace = in->name;
  r->n = n;
  r->step_s = step_s;
  /* The platform model is the target's: its platform, unit and warm-up,
   * as the replay's sim actuator has it. */
  r->model = (struct act_sim_model){
    .platform = lambda ? ACT_LAMBDA : ACT_KUBERNETES,
    .unit = t->unit_capacity, .duration_ms = lambda ? t->duration_ms : 0,
    .step_s = step_s, .warmup_steps = rp.warmup_steps,
    .warmup_seq = in->warmup_seq, .nwarmup_seq = in->nwarmup_seq,
    .keepalive_steps = steps_of(in->keepalive_s, step_s)};
  r->period = rp.period;
  r->period2 = rp.period2;
  r->period_given = t->period > 0;
  r->model_name = rp.have_model ? fc_kind_name(rp.kind) : "none";
  r->refits = rp.stats.refits;
  r->fallback_steps = rp.stats.fallbacks;
  r->replay_ms = rp.elapsed_ms;
  r->load = in->load;
  r->labels = in->labels;
  r->quantile = rp.quantile;
  r->reasons = rp.reasons;
  r->q_used = rp.q_used;
  r->h_used = rp.h_used;
  r->slo_cold_start = t->slo_cold_start > 0;
  r->slo_objective = r->slo_cold_start ? t->slo_cold_start : t->slo_unserved;
  r->slo_window_steps = ctl_settings_steps(t->slo_window_ms, t->step_ms);
  r->slo_moves_up = rp.stats.slo_moves_up;
  r->slo_moves_down = rp.stats.slo_moves_down;
  r->warmup_measured_s = rp.stats.warmup_measured_s;
  r->warmup_samples = rp.stats.warmup_samples;
  r->lead_steps = rp.stats.lead_steps;
  r->desired[CTL_PLAN_PREDICTIVE] = rp.desired;
  /* Scored from the step after the first two seasons (half the trace when
   * no season was found or two do not fit). */
  size_t two = r->period ? 2 * (size_t)r->period : n;
  r->start = two < n / 2 ? two : n / 2;
  double *need = pw_malloc((n ? n : 1) * sizeof(double));
  rc = need ? score_all(r, need) : PW_ENOMEM;
  pw_free(need);
  if(rc) {
    snprintf(err, errlen, "scoring failed: %s", pw_strerror(rc));
    ctl_plan_result_cleanup(r);
    return rc;
  }
  if(in->frontier)
    rc = build_frontier(in, r, err, errlen);
  if(rc == 0 && in->overflow)
    rc = ctl_hybrid_build(in, r, err, errlen);
  if(rc)
    ctl_plan_result_cleanup(r);
  return rc;
}

int ctl_plan_run(const struct ctl_plan_opts *o, const double *load,
                 size_t n, char **labels, struct ctl_plan_result *r,
                 char *err, size_t errlen) {
  struct cfg_target target;
  char model[32];
  plan_target(o, &target, model, sizeof(model));
  struct ctl_hybrid_fn fn = {.duration_ms = o->duration_ms,
                             .slo = o->slo};
  struct ctl_plan_input in = {
    .target = &target, .name = o->trace, .load = load, .n = n,
    .labels = labels, .start_ms = 0, .step_s = o->step_s,
    .keepalive_s = o->keepalive_s, .progress = o->progress,
    .frontier = !o->no_frontier, .slo = o->hybrid ? 0 : o->slo,
    .prices = &o->prices, .overflow = o->hybrid ? &fn : NULL,
    .warmup_seq = o->nwarmup_seq ? o->warmup_seq : NULL,
    .nwarmup_seq = o->nwarmup_seq};
  return ctl_plan_replay(&in, r, err, errlen);
}

void ctl_plan_result_cleanup(struct ctl_plan_result *r) {
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    pw_free(r->desired[p]);
    pw_free(r->ready[p]);
    pw_free(r->lost[p]);
  }
  /* quantile, reasons and the settings came from the replay. */
  pw_free(r->quantile);
  pw_free(r->reasons);
  pw_free(r->q_used);
  pw_free(r->h_used);
  ctl_frontier_free(r->frontier);
  ctl_hybrid_free(r->hybrid);
  memset(r, 0, sizeof(*r));
}

static int run_plan(const struct ctl_plan_opts *o, struct pw_csv_column *col) {
  struct ctl_plan_result r;
  char err[256];
  int rc = ctl_plan_run(o, col->values, col->n, col->labels, &r, err,
                        sizeof(err));
  if(rc) {
    ctl_cli_fail("plan", "%s", err);
    return rc == PW_EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
  }
  if(o->decisions)
    rc = write_decisions(o->decisions, &r);
  if(rc == 0 && o->report) {
    rc = ctl_report_write(&r, o->report, err, sizeof(err));
    if(rc)
      rc = ctl_cli_fail("plan", "%s", err);
  }
  if(rc == 0) {
    if(o->json)
      print_json(&r);
    else
      ctl_plan_print_text(&r);
    if(o->report && !o->json)
      printf("\nreport    %s/index.html\n", o->report);
    if(!o->json)
      text_headline(&r);
  }
  ctl_plan_result_cleanup(&r);
  return rc;
}

int ctl_plan_main(int argc, char **argv) {
  struct ctl_plan_opts o;
  struct pw_csv_column col;
  int rc;

  for(int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if(strcmp(argv[i], "--help") == 0) {
      print_usage();
      return CTL_EXIT_OK;
    }
  if(ctl_plan_config_wanted(argc, argv))
    return ctl_plan_config_main(argc, argv);
  rc = parse_args(argc, argv, &o);
  if(rc)
    return rc == 1 ? CTL_EXIT_OK : rc;
  o.progress = isatty(STDERR_FILENO);
  rc = load_trace(&o, &col);
  if(rc)
    return rc;
  check_timestamps(&o, &col);
  rc = run_plan(&o, &col);
  pw_csv_column_cleanup(&col);
  return rc;
}
