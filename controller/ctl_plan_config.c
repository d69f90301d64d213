#include "ctl_plan_config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/pw_alloc.h"
#include "../common/pw_aws.h"
#include "../common/pw_buf.h"
#include "../common/pw_clock.h"
#include "../common/pw_time.h"
#include "../config/cfg.h"
#include "../telemetry/tel_csv.h"
#include "ctl_build.h"
#include "ctl_cli.h"
#include "ctl_plan.h"
#include "ctl_report.h"
#include "ctl_store.h"

/* Steps asked of a source in one read: a progress bar moves between
 * them.  Prometheus splits its own reads at 10,000 points too. */
#define READ_STEPS 10000

/* The longest history planned, in steps (memory: ~30 bytes a step). */
#define MAX_STEPS ((size_t)TEL_SAMPLES_MAX)

struct opts {
  const char *config, *report;
  const char **targets;      /* --target names, in argv (borrowed) */
  size_t ntargets;
  int64_t history_ms;        /* 0: each target's forecast.history */
  int64_t end_ms;            /* -1: now (less the target's lag) */
  double keepalive_s;
  int json, progress;
};

/* What plan needs to read every target. */
struct ctx {
  const struct opts *o;
  struct cfg *cfg;
  struct pw_aws *aws;
  struct ctl_build_env env;
  struct ctl_store *store;   /* opened for the first remote-write target */
  int64_t now_ms;
};

/* One target's outcome. */
struct one {
  const struct cfg_target *t;
  struct ctl_plan_history h;
  char **labels;             /* the time of each step (one block) */
  char why[512];             /* the failure, "" when planned */
};

int ctl_plan_config_wanted(int argc, char **argv) {
  for(int i = 1; i < argc; i++) {
    if(strcmp(argv[i], "--") == 0)
      return 0;
    if(strcmp(argv[i], "--config") == 0 ||
       strncmp(argv[i], "--config=", 9) == 0)
      return 1;
  }
  return 0;
}

/* ---- the grid ---- */

int ctl_plan_history_grid(const struct tel_samples *s, int64_t start_ms,
                          int64_t step_ms, size_t n,
                          struct ctl_plan_history *h) {
  memset(h, 0, sizeof(*h));
  h->load = pw_malloc((n ? n : 1) * sizeof(double));
  if(!h->load)
    return PW_ENOMEM;
  h->n = n;
  h->start_ms = start_ms;
  h->step_ms = step_ms;
  for(size_t i = 0; i < n; i++)
    h->load[i] = (double)NAN;
  unsigned char *seen = pw_calloc(n ? n : 1, 1);
  if(!seen) {
    ctl_plan_history_cleanup(h);
    return PW_ENOMEM;
  }
  int64_t end_ms = start_ms + (int64_t)n * step_ms;
  for(size_t k = 0; k < s->n; k++) {
    int64_t ts = s->ts_ms[k];
    if(ts < start_ms || ts >= end_ms || (ts - start_ms) % step_ms != 0) {
      h->rejected++;
      continue;
    }
    size_t i = (size_t)((ts - start_ms) / step_ms);
    if(seen[i]) {
      h->rejected++;
      continue;
    }
    seen[i] = 1;
    h->load[i] = s->v[k];  /* NAN: the source says the step is missing */
  }
  pw_free(seen);
  for(size_t i = 0; i < n; i++)
    h->missing += !isfinite(h->load[i]);
  return 0;
}

void ctl_plan_history_cleanup(struct ctl_plan_history *h) {
  pw_free(h->load);
  memset(h, 0, sizeof(*h));
}

/* ---- the arguments ---- */

static const char usage[] =
  "usage: prewarm plan --config FILE [--target NAME]... [--history DURATION]\n"
  "                    [--end TIME] [--keepalive SECONDS] [--report DIR]\n"
  "                    [--format text|json]\n";

static int parse_opt(struct opts *o, int c, const char *arg) {
  int64_t ms;
  switch(c) {
  case 'C': o->config = arg; return 0;
  case 'T': {
    const char **t = pw_realloc(o->targets,
                                (o->ntargets + 1) * sizeof(*t));
    if(!t)
      return ctl_cli_fail("plan", "out of memory"), CTL_EXIT_FAIL;
    t[o->ntargets++] = arg;
    o->targets = t;
    return 0;
  }
  case 'Y':
    if(cfg_duration_ms(arg, &ms) || ms < 60000 || ms > 366 * 86400000LL)
      return ctl_cli_fail("plan", "--history: '%s' is not a duration from "
                          "1m to 366d (e.g. 7d, 36h)", arg);
    o->history_ms = ms;
    return 0;
  case 'E':
    if(pw_time_parse(arg, &ms))
      return ctl_cli_fail("plan", "--end: '%s' is not a time (Unix seconds "
                          "or YYYY-MM-DDTHH:MM:SSZ)", arg);
    o->end_ms = ms;
    return 0;
  case 'k':
    if(ctl_cli_double(arg, 0, 1e7, 1, &o->keepalive_s))
      return ctl_cli_fail("plan", "--keepalive: '%s' is not a number from 0 "
                          "to 1e+07", arg);
    return 0;
  case 'R': o->report = arg; return 0;
  case 'f':
    if(strcmp(arg, "json") == 0)
      o->json = 1;
    else if(strcmp(arg, "text") != 0)
      return ctl_cli_fail("plan", "--format: '%s' is not text or json", arg);
    return 0;
  case 'x':
    return ctl_cli_fail("plan", "--%s: with --config the target's own "
                        "configuration says this; --config takes --target, "
                        "--history, --end, --keepalive, --report and "
                        "--format (see prewarm plan --help)", arg);
  default:
    return ctl_cli_fail("plan", "unknown or incomplete option '%s' (see "
                        "prewarm plan --help)", arg);
  }
}

static int parse_args(int argc, char **argv, struct opts *o) {
  /* The --trace form's settings are refused by name ('x'). */
  static const struct option longopts[] = {
    {"config", required_argument, NULL, 'C'},
    {"target", required_argument, NULL, 'T'},
    {"history", required_argument, NULL, 'Y'},
    {"end", required_argument, NULL, 'E'},
    {"keepalive", required_argument, NULL, 'k'},
    {"report", required_argument, NULL, 'R'},
    {"format", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"trace", required_argument, NULL, 'x'},
    {"column", required_argument, NULL, 'x'},
    {"step", required_argument, NULL, 'x'},
    {"platform", required_argument, NULL, 'x'},
    {"unit-capacity", required_argument, NULL, 'x'},
    {"warmup", required_argument, NULL, 'x'},
    {"period", required_argument, NULL, 'x'},
    {"quantile", required_argument, NULL, 'x'},
    {"model", required_argument, NULL, 'x'},
    {"decisions", required_argument, NULL, 'x'},
    {NULL, 0, NULL, 0}};
  int c, rc, li;

  memset(o, 0, sizeof(*o));
  o->end_ms = -1;
  o->keepalive_s = 600;
  opterr = 0;
  optind = 1;
  while((li = -1, c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
    if(c == 'h')
      return 1;
    rc = parse_opt(o, c, c == '?' ? argv[optind - 1]
                         : c == 'x' ? longopts[li].name : optarg);
    if(rc)
      return rc;
  }
  if(optind < argc)
    return ctl_cli_fail("plan", "unexpected argument '%s'", argv[optind]);
  if(!o->config || !*o->config)
    return ctl_cli_fail("plan", "--config FILE is required");
  return 0;
}

/* ---- reading a target's history ---- */

static int64_t align_down(int64_t t, int64_t step) {
  return t >= 0 ? t / step * step : (t - step + 1) / step * step;
}

static void fmt_time(int64_t ms, char *buf, size_t len) {
  time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  struct tm tm;
  if(!gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
    snprintf(buf, len, "%lld", (long long)(ms / 1000));
}

/*
 * The window planned: n steps ending at `to`, the start of the step in
 * progress at --end (default now, less the target's lag: a step is read
 * once it is final, as the daemon's feed reads it).  Every bound is a
 * multiple of the step from the epoch, which is also the grid Prometheus
 * is asked to evaluate on (tel_prom).
 */
static int window(const struct ctx *x, const struct cfg_target *t,
                  int64_t *from, size_t *n, char *why, size_t len) {
  int64_t lag = t->lag_ms ? t->lag_ms
                : t->source == CFG_SRC_REMOTE_WRITE ? t->step_ms : 0;
  int64_t end = x->o->end_ms >= 0 ? x->o->end_ms : x->now_ms - lag;
  int64_t hist = x->o->history_ms ? x->o->history_ms : t->history_ms;
  int64_t steps = (hist + t->step_ms - 1) / t->step_ms;
  if(steps < 1 || (uint64_t)steps > MAX_STEPS) {
    snprintf(why, len, "a history of %lld steps of %g s: at most %zu",
             (long long)steps, (double)t->step_ms / 1000, MAX_STEPS);
    return PW_EINVAL;
  }
  *n = (size_t)steps;
  *from = align_down(end, t->step_ms) - steps * t->step_ms;
  return 0;
}

static void show_progress(const struct ctx *x, char *what, size_t done,
                          size_t total) {
  if(x->o->progress && total)
    ctl_plan_progress(what, done, total);
}

/*
 * Reads [from, from + n steps) from src in pieces of READ_STEPS, so a
 * progress bar can move.  A piece where the source has no series at all
 * (PW_ENOTFOUND: a backfill may start before the series existed) is not
 * an error unless no piece has data; any other failure is.
 */
static int read_source(const struct ctx *x, const struct cfg_target *t,
                       struct tel_source *src, int64_t from, size_t n,
                       struct tel_samples *out, char *why, size_t len) {
  int64_t step = t->step_ms;
  int found = 0, rc = 0, shown = 0;
  char label[96], last_why[256] = "";
  snprintf(label, sizeof(label), "reading %s", t->name);
  for(size_t i = 0; i < n; i += READ_STEPS) {
    size_t k = n - i < READ_STEPS ? n - i : READ_STEPS;
    int64_t a = from + (int64_t)i * step;
    rc = tel_fetch(src, a, a + (int64_t)k * step, out);
    if(rc == PW_ENOTFOUND) {
      snprintf(last_why, sizeof(last_why), "%s", src->why);
      rc = 0;
    } else if(rc) {
      break;
    } else {
      found = 1;
    }
    show_progress(x, label, i + k, n);
    shown = 1;
  }
  if(rc == 0 && !found) {
    rc = PW_ENOTFOUND;
    snprintf(why, len, "%s", last_why[0] ? last_why : "no data");
  } else if(rc) {
    if(x->o->progress && shown)
      fputc('\n', stderr);  /* end the bar's line */
    snprintf(why, len, "%s", src->why[0] ? src->why : pw_strerror(rc));
  }
  return rc;
}

/* A remote-write target keeps no history of its own: the daemon records
 * what it received in the store, and that is what is planned on. */
static int read_store(struct ctx *x, const struct cfg_target *t,
                      int64_t from, size_t n, struct tel_samples *out,
                      char *why, size_t len) {
  if(!x->cfg->store_conninfo_env) {
    snprintf(why, len, "a remote_write source keeps no history; plan reads "
             "it from the store, and %s has no store: section",
             x->cfg->path ? x->cfg->path : x->o->config);
    return PW_EINVAL;
  }
  if(!x->store) {
    const char *conn = getenv(x->cfg->store_conninfo_env);
    struct ctl_store_cfg sc = {conn ? conn : "", 0, 0};
    int rc = ctl_store_open(&sc, &x->store, why, len);
    if(rc)
      return rc;
  }
  int rc = ctl_store_history(x->store, t->name, from,
                             from + (int64_t)n * t->step_ms, out);
  if(rc)
    snprintf(why, len, "store: %s", ctl_store_why(x->store)[0]
                                      ? ctl_store_why(x->store)
                                      : pw_strerror(rc));
  return rc;
}

/*
 * A csv or demo source is a recorded history: the whole file by default
 * (not limited by forecast.history), --history's worth of its first rows
 * when given, as the daemon takes its history from the first rows.  Its
 * rows are placed to end where the window ends.
 */
static int read_replay(struct ctx *x, const struct cfg_target *t,
                       int64_t *from, size_t *n, struct tel_samples *out,
                       char *why, size_t len) {
  struct tel_source *src = NULL;
  int rc = ctl_build_replay_source(t, 0, &src, why, len);
  if(rc)
    return rc;
  size_t rows = (size_t)(tel_csv_end_ms(src) / t->step_ms);
  int64_t end = *from + (int64_t)*n * t->step_ms;
  if(!x->o->history_ms || rows < *n)
    *n = rows;
  *from = end - (int64_t)*n * t->step_ms;
  rc = tel_fetch(src, 0, (int64_t)*n * t->step_ms, out);
  /* Stamped from the epoch: moved to the window. */
  for(size_t i = 0; rc == 0 && i < out->n; i++)
    out->ts_ms[i] += *from;
  if(rc)
    snprintf(why, len, "%s", pw_strerror(rc));
  tel_source_free(&src);
  return rc;
}

/*
 * Where a sample lands.  The daemon's feed hands a sample stamped T to
 * the step that starts at T, and so does the grid here.  Prometheus is
 * asked for the evaluation times from, from + step, ..., to - step
 * (tel_prom, multiples of the step from the epoch); the point at time t
 * is the query's value at t, which for an instant selector is the newest
 * raw sample in (t - lookback, t], the lookback being Prometheus's
 * --query.lookback-delta (5 m by default).  So a raw sample written at
 * exactly T = from + i * step is step i, bit for bit; one written between
 * grid points shows at the next grid time (step ceil((T - from) / step));
 * and a step with no raw sample of its own repeats the one before for up
 * to the lookback, as the daemon would read it too: only longer gaps are
 * missing steps.  PostgreSQL gets [from, to) in Unix seconds as $1 and
 * $2, and the rows' own times are the steps (tel_pg refuses rows off the
 * grid); the store's rows are stamped as the feed read them.
 */
static int read_history(struct ctx *x, const struct cfg_target *t,
                        struct one *r) {
  struct tel_samples s = {0};
  struct tel_source *src = NULL;
  int64_t from;
  size_t n;
  int rc = window(x, t, &from, &n, r->why, sizeof(r->why));
  if(rc)
    return rc;
  switch(t->source) {
  case CFG_SRC_REMOTE_WRITE:
    rc = read_store(x, t, from, n, &s, r->why, sizeof(r->why));
    break;
  case CFG_SRC_CSV:
  case CFG_SRC_DEMO:
    rc = read_replay(x, t, &from, &n, &s, r->why, sizeof(r->why));
    break;
  default:
    rc = ctl_build_source(t, &x->env, from, from + (int64_t)n * t->step_ms,
                          &src, r->why, sizeof(r->why));
    if(rc == 0)
      rc = read_source(x, t, src, from, n, &s, r->why, sizeof(r->why));
    break;
  }
  if(rc == 0 && n == 0) {
    snprintf(r->why, sizeof(r->why), "the history has no rows");
    rc = PW_ENOTFOUND;
  }
  if(rc == 0)
    rc = ctl_plan_history_grid(&s, from, t->step_ms, n, &r->h);
  if(rc == 0 && src)
    r->h.rejected += src->rejected;
  tel_source_free(&src);
  tel_samples_cleanup(&s);
  if(rc == 0 && r->h.missing == r->h.n) {
    /* No data is never zero load: nothing to plan on. */
    char a[32], b[32];
    fmt_time(from, a, sizeof(a));
    fmt_time(from + (int64_t)n * t->step_ms, b, sizeof(b));
    snprintf(r->why, sizeof(r->why), "no data from %s to %s UTC", a, b);
    rc = PW_ENOTFOUND;
  }
  if(rc && !r->why[0])
    snprintf(r->why, sizeof(r->why), "%s", pw_strerror(rc));
  return rc;
}

/* The time of each step, for the report's series.csv: one block. */
static int make_labels(struct one *r) {
  enum { W = 20 };  /* "YYYY-MM-DD HH:MM:SS" and its NUL */
  size_t n = r->h.n;
  char **l = pw_malloc(n * sizeof(char *) + n * W);
  if(!l)
    return PW_ENOMEM;
  char *p = (char *)(l + n);
  for(size_t i = 0; i < n; i++) {
    l[i] = p + i * W;
    fmt_time(r->h.start_ms + (int64_t)i * r->h.step_ms, l[i], W);
  }
  r->labels = l;
  return 0;
}

/* ---- the outputs ---- */

static void header_text(const struct one *r) {
  const struct cfg_target *t = r->t;
  printf("target    %s: %s", t->name, ctl_build_source_name(t->source));
  if(r->why[0]) {
    printf(": not planned: %s\n", r->why);
    return;
  }
  char a[32], b[32];
  fmt_time(r->h.start_ms, a, sizeof(a));
  fmt_time(r->h.start_ms + (int64_t)r->h.n * r->h.step_ms, b, sizeof(b));
  printf(", history %s to %s UTC, %zu step%s missing", a, b, r->h.missing,
         r->h.missing == 1 ? "" : "s");
  if(r->h.rejected)
    printf(", %ld sample%s refused", r->h.rejected,
           r->h.rejected == 1 ? "" : "s");
  printf("\n");
}

static void header_json(const struct one *r) {
  printf("{\"name\":");
  ctl_plan_json_string(r->t->name);
  printf(",\"source\":\"%s\",", ctl_build_source_name(r->t->source));
  if(r->why[0]) {
    printf("\"error\":");
    ctl_plan_json_string(r->why);
    return;
  }
  printf("\"from\":%lld,\"to\":%lld,\"missing_steps\":%zu,"
         "\"rejected_samples\":%ld,", (long long)(r->h.start_ms / 1000),
         (long long)((r->h.start_ms + (int64_t)r->h.n * r->h.step_ms) / 1000),
         r->h.missing, r->h.rejected);
}

static int report_dir(const char *dir, const char *name, char *path,
                      size_t len, char *why, size_t whylen) {
  if(mkdir(dir, 0755) && errno != EEXIST) {
    snprintf(why, whylen, "%s: cannot create: %s", dir, strerror(errno));
    return PW_EIO;
  }
  snprintf(path, len, "%s/%s", dir, name);
  return 0;
}

/* Plans one target whose history was read, and prints it.  0, or an
 * error with r->why. */
static int plan_one(struct ctx *x, struct one *r) {
  struct ctl_plan_result res;
  char err[400], path[4096];
  int rc = make_labels(r);
  /* A Kubernetes actuator's overflow: a hybrid plan (the daemon itself
   * actuates only the pods). */
  struct ctl_hybrid_fn fn = {.duration_ms = r->t->overflow_duration_ms,
                             .memory_mb = r->t->overflow_memory_mb};
  struct ctl_plan_input in = {
    .target = r->t, .name = r->t->name, .load = r->h.load, .n = r->h.n,
    .labels = r->labels, .start_ms = r->h.start_ms,
    .keepalive_s = x->o->keepalive_s, .progress = x->o->progress,
    /* Each target against the HPA's whole curve, as --trace does. */
    .frontier = 1,
    .overflow = r->t->actuator == CFG_ACT_KUBERNETES &&
                    r->t->overflow_duration_ms > 0 ? &fn : NULL};
  if(rc == 0)
    rc = ctl_plan_replay(&in, &res, err, sizeof(err));
  else
    snprintf(err, sizeof(err), "%s", pw_strerror(rc));
  if(rc) {
    snprintf(r->why, sizeof(r->why), "%s", err);
    return rc;
  }
  if(x->o->report) {
    rc = report_dir(x->o->report, r->t->name, path, sizeof(path), err,
                    sizeof(err));
    if(rc == 0)
      rc = ctl_report_write(&res, path, err, sizeof(err));
    if(rc)
      snprintf(r->why, sizeof(r->why), "report: %s", err);
  }
  if(rc == 0 && x->o->json) {
    header_json(r);
    ctl_plan_print_json_fields(&res);
    putchar('}');
  } else if(rc == 0) {
    header_text(r);
    ctl_plan_print_text(&res);
    if(x->o->report)
      printf("\nreport    %s/index.html\n", path);
  }
  ctl_plan_result_cleanup(&res);
  return rc;
}

/* Reads, plans and prints one target; 0 or 1 (it failed, and says so on
 * stdout and stderr). */
static int run_one(struct ctx *x, const struct cfg_target *t, int first) {
  struct one r = {.t = t};
  if(x->o->json && !first)
    putchar(',');
  else if(!x->o->json && !first)
    putchar('\n');
  int rc = read_history(x, t, &r);
  if(rc == 0)
    rc = plan_one(x, &r);
  if(rc) {
    fprintf(stderr, "prewarm plan: target %s: %s\n", t->name, r.why);
    if(x->o->json) {
      header_json(&r);
      putchar('}');
    } else {
      header_text(&r);
    }
  }
  fflush(stdout);
  pw_free(r.labels);
  ctl_plan_history_cleanup(&r.h);
  return rc ? 1 : 0;
}

/* ---- the command ---- */

/* The targets to plan: every one, or those named (each once, in the
 * file's order).  0 or CTL_EXIT_USAGE naming the unknown one. */
static int select_targets(const struct opts *o, const struct cfg *cfg,
                          unsigned char *sel) {
  for(size_t i = 0; i < cfg->ntargets; i++)
    sel[i] = o->ntargets == 0;
  for(size_t k = 0; k < o->ntargets; k++) {
    size_t i = 0;
    while(i < cfg->ntargets && strcmp(cfg->targets[i].name, o->targets[k]))
      i++;
    if(i < cfg->ntargets) {
      sel[i] = 1;
      continue;
    }
    struct pw_buf names;
    pw_buf_init(&names, 64 * 1024);
    for(size_t j = 0; j < cfg->ntargets; j++)
      if(pw_buf_printf(&names, "%s%s", j ? ", " : "", cfg->targets[j].name))
        break;  /* a long list is cut */
    ctl_cli_fail("plan", "--target %s: %s has no such target (it has: %s)",
                 o->targets[k], o->config, pw_buf_str(&names));
    pw_buf_cleanup(&names);
    return CTL_EXIT_USAGE;
  }
  return 0;
}

static int load_config(const struct opts *o, struct cfg **out) {
  struct pw_buf errors;
  pw_buf_init(&errors, 1u << 20);
  int rc = cfg_load(o->config, out, &errors);
  if(rc) {
    fputs(pw_buf_str(&errors), stderr);
    if(!errors.len)
      fprintf(stderr, "prewarm plan: %s: %s\n", o->config, pw_strerror(rc));
  }
  pw_buf_cleanup(&errors);
  return rc ? CTL_EXIT_USAGE : 0;
}

static int run_all(struct ctx *x, const unsigned char *sel) {
  int status = 0, first = 1;
  if(x->o->json)
    printf("{\"targets\":[");
  for(size_t i = 0; i < x->cfg->ntargets; i++) {
    if(!sel[i])
      continue;
    status |= run_one(x, &x->cfg->targets[i], first);
    first = 0;
  }
  if(x->o->json)
    printf("]}\n");
  return status ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int ctl_plan_config_main(int argc, char **argv) {
  struct opts o;
  struct ctx x;
  struct pw_clock wall;
  unsigned char *sel = NULL;
  int rc = parse_args(argc, argv, &o);
  if(rc == 1) {
    fputs(usage, stdout);
    fputs("\n(see prewarm plan --help)\n", stdout);
    pw_free(o.targets);
    return CTL_EXIT_OK;
  }
  memset(&x, 0, sizeof(x));
  if(rc == 0)
    rc = load_config(&o, &x.cfg);
  if(rc == 0) {
    sel = pw_calloc(x.cfg->ntargets ? x.cfg->ntargets : 1, 1);
    rc = sel ? select_targets(&o, x.cfg, sel) : CTL_EXIT_FAIL;
  }
  pw_clock_wall(&wall);
  x.now_ms = wall.ops->now_ms(&wall);
  if(rc == 0 && o.end_ms > x.now_ms + 60000)
    rc = ctl_cli_fail("plan", "--end: the time is in the future");
  if(rc == 0) {
    o.progress = isatty(STDERR_FILENO);
    x.o = &o;
    x.env.aws = &x.aws;
    rc = run_all(&x, sel);
  }
  ctl_store_close(&x.store);
  pw_aws_free(&x.aws);
  cfg_free(&x.cfg);
  pw_free(sel);
  pw_free(o.targets);
  return rc;
}
