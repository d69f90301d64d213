#include "ctl_daemon.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../actuators/act_dryrun.h"
#include "../actuators/act_k8s.h"
#include "../actuators/act_lambda.h"
#include "../common/pw_alloc.h"
#include "../common/pw_aws.h"
#include "../common/pw_clock.h"
#include "../common/pw_csv.h"
#include "../common/pw_log.h"
#include "../telemetry/tel_csv.h"
#include "../telemetry/tel_cw.h"
#include "../telemetry/tel_pg.h"
#include "../telemetry/tel_prom.h"
#include "ctl_demo.h"
#include "ctl_dlog.h"
#include "ctl_feed.h"
#include "ctl_lease.h"
#include "ctl_store.h"
#include "ctl_target.h"
#include "ctl_ui.h"

#define NaN ((double)NAN)

/* A Prometheus histogram: cumulative bucket counts at the bounds le. */
#define HIST_MAX_LE 12
struct histogram {
  const double *le;
  size_t nle;
  long bucket[HIST_MAX_LE];
  long count;
  double sum_s;
};

static const double tick_le[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5,
                                 1, 2.5, 5};
/* Refits of one model take milliseconds, a model selection up to about a
 * second. */
static const double fit_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05, 0.1, 0.25, 0.5, 1, 2.5};
static const char *const fit_kinds[CTL_FIT_KINDS] = {"select", "full",
                                                     "refit"};

static void histogram_init(struct histogram *h, const double *le, size_t n) {
  assert(n <= HIST_MAX_LE);
  memset(h, 0, sizeof(*h));
  h->le = le;
  h->nle = n;
}

static void histogram_observe(struct histogram *h, double s) {
  h->count++;
  h->sum_s += s;
  for(size_t k = 0; k < h->nle; k++)
    if(s <= h->le[k])
      h->bucket[k]++;
}

/* What /ui draws: the recent ticks of a target. */
#define HIST 720
struct point {
  int64_t ts_ms;
  long desired, ready;
  unsigned reasons;
};

struct dtarget {
  const struct cfg_target *c;
  struct point hist[HIST];    /* a ring; hist_n points, the newest at
                               * hist_head - 1 */
  size_t hist_head, hist_n;
  struct tel_source *src;
  struct act *act;
  struct ctl_target *t;
  struct ctl_feed feed;
  struct ctl_schedule *sched;
  /* the last tick */
  int have;
  int64_t at_ms;
  struct ctl_decision dec;
  struct act_capacity cap;
  int act_rc, src_rc;
  char act_why[256], src_why[256];
  long by_reason[CTL_RB_COUNT];
  long act_ok, act_unchanged, act_refused, act_error, act_standby;
};

struct ctl_daemon {
  pthread_mutex_t mu;      /* guards everything below */
  struct cfg *cfg;
  struct pw_aws *aws;
  int aws_borrowed;        /* the previous daemon's, until adopted */
  /* A reload's targets taken over from the previous daemon: carry[i] is
   * 1 + the index there, or 0 for a target built anew; NULL when none. */
  size_t *carry;
  struct tel_rw *rw;          /* borrowed */
  int uses_rw;
  long reloads_ok, reloads_refused;
  struct ctl_store *store;
  struct dtarget *tg;
  size_t n;
  int dry_run;
  long ticks;
  double last_tick_mono;     /* when the last tick ended */
  struct histogram tick_hist;
  struct histogram fit_hist[CTL_FIT_KINDS];
  int64_t started_ms;
  struct ctl_lease *lease;   /* borrowed, or NULL */
  const volatile sig_atomic_t *stop;  /* borrowed, or NULL */
  struct ctl_dlog *dlog;     /* or NULL */
  int dlog_failing;          /* to log a failure streak once */
};

void ctl_daemon_set_lease(struct ctl_daemon *d, struct ctl_lease *lease) {
  pthread_mutex_lock(&d->mu);
  d->lease = lease;
  pthread_mutex_unlock(&d->mu);
}

void ctl_daemon_set_stop(struct ctl_daemon *d,
                         const volatile sig_atomic_t *stop) {
  d->stop = stop;
}

static int steps_of(int64_t ms, int64_t step_ms) {
  return (int)((ms + step_ms - 1) / step_ms);
}

/* The target's loop settings, as `prewarm plan` derives them. */
static int target_cfg(const struct cfg_target *c, struct dtarget *g,
                      int64_t start_ms, struct ctl_target_cfg *tc) {
  int lambda = c->actuator == CFG_ACT_LAMBDA;
  int w = steps_of(c->warmup_ms, c->step_ms);
  int day = steps_of(86400000, c->step_ms);
  memset(tc, 0, sizeof(*tc));
  g->sched = pw_calloc(c->nschedules ? c->nschedules : 1, sizeof(*g->sched));
  if(!g->sched)
    return PW_ENOMEM;
  for(size_t i = 0; i < c->nschedules; i++)
    g->sched[i] = (struct ctl_schedule){c->schedules[i].start_ms,
                                        c->schedules[i].end_ms,
                                        c->schedules[i].min};
  int stab = steps_of(c->stabilization_ms, c->step_ms);
  tc->policy = (struct ctl_policy){
    .unit_capacity = c->unit_capacity, .duration_ms = c->duration_ms,
    .step_s = (double)c->step_ms / 1000.0, .lead_steps = w + 1,
    .quantile = c->quantile, .headroom = c->headroom,
    .floor_utilization = lambda ? 0 : c->floor_utilization,
    .fallback_utilization = lambda ? 0 : 0.7, .min = c->min, .max = c->max,
    .budget_instance_hours = c->budget_instance_hours,
    .stabilization_steps = stab > 0 ? stab - 1 : 0,
    .max_error_ratio = lambda ? 4.0 : 2.0, .momentum = 1,
    .surge_ratio = c->surge_ratio, .surge_factor = c->surge_factor,
    .surge_hold_steps = steps_of(c->surge_hold_ms, c->step_ms),
    .schedules = g->sched, .nschedules = (int)c->nschedules};
  tc->period = c->period;
  tc->model_auto = !c->model || strcmp(c->model, "auto") == 0;
  if(!tc->model_auto && fc_kind_parse(c->model, &tc->kind))
    return PW_EINVAL;
  tc->refit_steps = steps_of(c->refit_ms, c->step_ms);
  if(tc->refit_steps < 1)
    tc->refit_steps = 1;
  tc->reselect_steps = day > tc->refit_steps ? day : tc->refit_steps;
  tc->history_steps = steps_of(c->history_ms, c->step_ms);
  if(tc->history_steps < 64)
    tc->history_steps = 64;
  tc->fit_seasons = 7;
  tc->start_ms = start_ms;
  return 0;
}

static int need_aws(struct ctl_daemon *d, char *err, size_t errlen) {
  return d->aws ? 0 : pw_aws_new(&d->aws, err, errlen);
}

/* A replayed history (csv, demo): row i is the step at start + i * step. */
static int replay_source(const struct cfg_target *c, int64_t start_ms,
                         struct tel_source **out, char *err, size_t errlen) {
  struct pw_csv_column col = {0};
  int rc;
  if(c->source == CFG_SRC_DEMO) {
    size_t n = (size_t)(c->days * 86400000 / c->step_ms);
    double *v = pw_malloc((n ? n : 1) * sizeof(double));
    if(!v)
      return PW_ENOMEM;
    ctl_demo_generate(v, n, (int)(c->step_ms / 1000), (unsigned long)c->seed);
    rc = tel_csv_new(v, n, start_ms, c->step_ms, out);
    pw_free(v);
    return rc;
  }
  rc = pw_csv_read_column(c->file, c->column, 0, &col, err, errlen);
  if(rc == 0)
    rc = tel_csv_new(col.values, col.n, start_ms, c->step_ms, out);
  pw_csv_column_cleanup(&col);
  return rc;
}

static char *env_or_file(const char *env, const char *file) {
  if(env) {
    const char *v = getenv(env);
    return v ? pw_strdup(v) : NULL;
  }
  struct pw_buf b;
  pw_buf_init(&b, 64 * 1024);
  if(pw_buf_read_file(&b, file)) {
    pw_buf_cleanup(&b);
    return NULL;
  }
  pw_buf_rtrim(&b);
  return b.p;
}

static int make_source(struct ctl_daemon *d, struct dtarget *g,
                       int64_t start_ms, int64_t now_ms, char *err,
                       size_t errlen) {
  const struct cfg_target *c = g->c;
  switch(c->source) {
  case CFG_SRC_PROMETHEUS: {
    struct tel_prom_cfg p = {c->url, c->query, c->step_ms,
                             c->bearer_token_file, c->basic_user,
                             c->basic_password_file, c->ca_file, 0};
    return tel_prom_new(&p, &g->src, err, errlen);
  }
  case CFG_SRC_CLOUDWATCH: {
    struct tel_cw_cfg w = {c->function, c->qualifier, c->metric, c->stat,
                           c->step_ms, 0, c->fill_zero, 0};
    int rc = need_aws(d, err, errlen);
    return rc ? rc : tel_cw_new(&w, d->aws, &g->src, err, errlen);
  }
  case CFG_SRC_POSTGRES: {
    char *conn = env_or_file(c->conninfo_env, c->conninfo_file);
    if(!conn) {
      snprintf(err, errlen, "postgres: %s %s is not set or not readable",
               c->conninfo_env ? "environment variable" : "file",
               c->conninfo_env ? c->conninfo_env : c->conninfo_file);
      return PW_EINVAL;
    }
    struct tel_pg_cfg p = {conn, c->query, c->step_ms, c->counter, 0};
    int rc = tel_pg_new(&p, &g->src, err, errlen);
    memset(conn, 0, strlen(conn));
    pw_free(conn);
    return rc;
  }
  case CFG_SRC_REMOTE_WRITE: {
    struct tel_rw_selector s = {c->metric, (const char *const *)c->labels,
                                c->nlabels, c->counter, c->step_ms};
    /* A push has no history to backfill: steps are kept from now on. */
    d->uses_rw = 1;
    return tel_rw_source(d->rw, &s, now_ms, &g->src, err, errlen);
  }
  case CFG_SRC_CSV:
  case CFG_SRC_DEMO:
    return replay_source(c, start_ms, &g->src, err, errlen);
  }
  return PW_EINVAL;
}

static int make_actuator(struct ctl_daemon *d, struct dtarget *g, char *err,
                         size_t errlen) {
  const struct cfg_target *c = g->c;
  struct act *inner = NULL;
  int rc = 0;
  if(c->actuator == CFG_ACT_KUBERNETES) {
    struct act_k8s_cfg k = {c->mode, c->kind, c->namespace_, c->object,
                            c->kubeconfig, NULL, 0, 0, 0};
    rc = act_k8s_new(&k, &inner, err, errlen);
  } else if(c->actuator == CFG_ACT_LAMBDA) {
    struct act_lambda_cfg l = {c->function, c->qualifier, 0, 0, 0, 0, 0};
    rc = need_aws(d, err, errlen);
    if(rc == 0)
      rc = act_lambda_new(&l, d->aws, &inner, err, errlen);
  }
  if(rc)
    return rc;
  if(inner && !d->dry_run) {
    g->act = inner;
    return 0;
  }
  return act_dryrun_new(inner, &g->act);
}

static int build_target(struct ctl_daemon *d, struct dtarget *g,
                        int64_t now_ms, char *err, size_t errlen) {
  const struct cfg_target *c = g->c;
  int64_t start = (now_ms - c->history_ms) / c->step_ms * c->step_ms;
  struct ctl_target_cfg tc;
  char inner[256] = "";
  int rc = target_cfg(c, g, start, &tc);
  /* Spread the targets' refits over the hour. */
  tc.phase = (double)(g - d->tg) / (double)d->cfg->ntargets;
  if(rc == 0)
    rc = ctl_target_new(&tc, &g->t, inner, sizeof(inner));
  if(rc == 0)
    rc = make_source(d, g, start, now_ms, inner, sizeof(inner));
  if(rc == 0)
    rc = make_actuator(d, g, inner, sizeof(inner));
  if(rc) {
    snprintf(err, errlen, "target %s: %s", c->name,
             inner[0] ? inner : pw_strerror(rc));
    return rc;
  }
  /* Remote-write data arrives a few seconds late: one step of grace. */
  int64_t lag = c->lag_ms ? c->lag_ms
                : c->source == CFG_SRC_REMOTE_WRITE ? c->step_ms : 0;
  ctl_feed_init(&g->feed, g->src, c->step_ms, lag, c->history_ms, now_ms);
  return 0;
}

static void resume_history(struct ctl_daemon *d, struct dtarget *g,
                           int64_t now_ms) {
  struct tel_samples s = {0};
  int64_t from = g->feed.next_ms;
  if(ctl_store_history(d->store, g->c->name, from, now_ms, &s) == 0 && s.n) {
    ctl_target_observe(g->t, s.ts_ms, s.v, s.n);
    g->feed.next_ms = s.ts_ms[s.n - 1] + g->c->step_ms;
    pw_logf(PW_LOG_INFO, PW_LF(PW_LF_NUM("steps", (double)s.n)),
            "resumed history from the store");
  } else if(s.n == 0 && ctl_store_why(d->store)[0]) {
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", ctl_store_why(d->store))),
            "no history from the store");
  }
  tel_samples_cleanup(&s);
}

/* The previous daemon's target configured as c, or -1: same name, same
 * configuration in every key, and the same dry-run setting.  A file
 * usually keeps its order, so the search starts at the same index i
 * (10,000 targets then cost 10,000 comparisons, not 50 million). */
static long same_target(const struct ctl_daemon *prev, int dry_run,
                        const struct cfg_target *c, size_t i) {
  if(!prev || prev->dry_run != dry_run || prev->n == 0)
    return -1;
  for(size_t k = 0; k < prev->n; k++) {
    size_t j = (i + k) % prev->n;
    if(prev->tg[j].t && strcmp(prev->tg[j].c->name, c->name) == 0)
      return cfg_target_equal(prev->tg[j].c, c) ? (long)j : -1;
  }
  return -1;
}

int ctl_daemon_new(struct cfg *cfg, int dry_run, int64_t now_ms,
                   struct tel_rw *rw, struct ctl_daemon **out, char *err,
                   size_t errlen) {
  return ctl_daemon_reload(NULL, cfg, dry_run, now_ms, rw, out, err, errlen);
}

int ctl_daemon_reload(const struct ctl_daemon *prev, struct cfg *cfg,
                      int dry_run, int64_t now_ms, struct tel_rw *rw,
                      struct ctl_daemon **out, char *err, size_t errlen) {
  struct ctl_daemon *d = pw_calloc(1, sizeof(*d));
  int rc = 0;
  *out = NULL;
  if(!d) {
    cfg_free(&cfg);
    return PW_ENOMEM;
  }
  pthread_mutex_init(&d->mu, NULL);
  d->cfg = cfg;
  d->rw = rw;
  d->dry_run = dry_run || cfg->dry_run;
  d->started_ms = now_ms;
  histogram_init(&d->tick_hist, tick_le, sizeof(tick_le) / sizeof(*tick_le));
  for(int k = 0; k < CTL_FIT_KINDS; k++)
    histogram_init(&d->fit_hist[k], fit_le, sizeof(fit_le) / sizeof(*fit_le));
  d->tg = pw_calloc(cfg->ntargets, sizeof(*d->tg));
  if(!d->tg)
    rc = PW_ENOMEM;
  if(rc == 0 && prev) {
    d->carry = pw_calloc(cfg->ntargets ? cfg->ntargets : 1,
                         sizeof(*d->carry));
    if(!d->carry)
      rc = PW_ENOMEM;
    /* New targets share the credentials (and their cache) with the
     * targets kept; the adoption hands them over. */
    d->aws = prev->aws;
    d->aws_borrowed = prev->aws != NULL;
  }
  if(rc == 0 && cfg->dlog_path)
    rc = ctl_dlog_open(cfg->dlog_path, cfg->dlog_max_bytes,
                       (int)cfg->dlog_keep, &d->dlog, err, errlen);
  if(rc == 0 && cfg->store_conninfo_env) {
    const char *conn = getenv(cfg->store_conninfo_env);
    struct ctl_store_cfg sc = {conn ? conn : "", 0, 0};
    rc = ctl_store_open(&sc, &d->store, err, errlen);
  }
  for(size_t i = 0; rc == 0 && i < cfg->ntargets; i++, d->n++) {
    d->tg[i].c = &cfg->targets[i];
    long j = same_target(prev, d->dry_run, &cfg->targets[i], i);
    if(j >= 0) {
      d->carry[i] = (size_t)j + 1;
      d->uses_rw |= cfg->targets[i].source == CFG_SRC_REMOTE_WRITE;
      continue;  /* taken over by ctl_daemon_adopt() */
    }
    rc = build_target(d, &d->tg[i], now_ms, err, errlen);
    if(rc == 0 && d->store) {
      pw_log_target(cfg->targets[i].name);
      resume_history(d, &d->tg[i], now_ms);
      pw_log_target(NULL);
    }
  }
  if(rc) {
    if(rc == PW_ENOMEM && !err[0])
      snprintf(err, errlen, "out of memory");
    ctl_daemon_free(&d);
    return rc;
  }
  *out = d;
  return 0;
}

void ctl_daemon_free(struct ctl_daemon **dp) {
  struct ctl_daemon *d = *dp;
  if(!d)
    return;
  for(size_t i = 0; d->tg && i < d->cfg->ntargets; i++) {
    struct dtarget *g = &d->tg[i];
    act_free(&g->act);
    tel_source_free(&g->src);
    ctl_target_free(&g->t);
    ctl_feed_cleanup(&g->feed);
    pw_free(g->sched);
  }
  pw_free(d->tg);
  pw_free(d->carry);
  ctl_store_close(&d->store);
  ctl_dlog_close(&d->dlog);
  if(!d->aws_borrowed)
    pw_aws_free(&d->aws);
  cfg_free(&d->cfg);
  pthread_mutex_destroy(&d->mu);
  pw_free(d);
  *dp = NULL;
}

size_t ctl_daemon_adopt(struct ctl_daemon *d, struct ctl_daemon *prev) {
  size_t kept = 0;
  pthread_mutex_lock(&prev->mu);
  pthread_mutex_lock(&d->mu);
  for(size_t i = 0; d->carry && i < d->n; i++) {
    if(!d->carry[i])
      continue;
    struct dtarget *from = &prev->tg[d->carry[i] - 1];
    const struct cfg_target *c = d->tg[i].c;
    d->tg[i] = *from;
    d->tg[i].c = c;  /* the new file's copy of the same settings */
    memset(from, 0, sizeof(*from));
    kept++;
  }
  pw_free(d->carry);
  d->carry = NULL;
  /* The loop goes on: its tick count, last tick and histograms too. */
  d->ticks = prev->ticks;
  d->last_tick_mono = prev->last_tick_mono;
  d->tick_hist = prev->tick_hist;
  memcpy(d->fit_hist, prev->fit_hist, sizeof(d->fit_hist));
  if(d->aws_borrowed) {
    prev->aws = NULL;
    d->aws_borrowed = 0;
  }
  pthread_mutex_unlock(&d->mu);
  pthread_mutex_unlock(&prev->mu);
  return kept;
}

int ctl_daemon_uses_rw(const struct ctl_daemon *d) {
  return d->uses_rw;
}

void ctl_daemon_set_reloads(struct ctl_daemon *d, long ok, long refused) {
  pthread_mutex_lock(&d->mu);
  d->reloads_ok = ok;
  d->reloads_refused = refused;
  pthread_mutex_unlock(&d->mu);
}

const struct cfg *ctl_daemon_cfg(const struct ctl_daemon *d) {
  return d->cfg;
}

void ctl_daemon_flush(struct ctl_daemon *d) {
  pthread_mutex_lock(&d->mu);
  if(d->store && ctl_store_flush(d->store))
    pw_log(PW_LOG_WARN, "store: %s", ctl_store_why(d->store));
  pthread_mutex_unlock(&d->mu);
}

static void remember(struct dtarget *g) {
  g->hist[g->hist_head] = (struct point){g->at_ms, g->dec.desired,
                                         g->cap.ready, g->dec.reasons};
  g->hist_head = (g->hist_head + 1) % HIST;
  if(g->hist_n < HIST)
    g->hist_n++;
}

static void record(struct ctl_daemon *d, struct dtarget *g, int rc) {
  char reasons[256];
  remember(g);
  for(int b = 0; b < CTL_RB_COUNT; b++)
    if(g->dec.reasons & (1u << b))
      g->by_reason[b]++;
  if(rc == PW_EBUSY && g->cap.requested == -2)
    g->act_standby++;
  else if(rc == 0 && (g->cap.flags & ACT_F_UNCHANGED))
    g->act_unchanged++;
  else if(rc == 0)
    g->act_ok++;
  else if(rc == PW_EREFUSED)
    g->act_refused++;
  else
    g->act_error++;
  g->act_rc = rc;
  snprintf(g->act_why, sizeof(g->act_why), "%s", g->act->why);
  ctl_reasons_format(g->dec.reasons, reasons, sizeof(reasons));
  if(rc && rc != PW_EREFUSED && g->cap.requested != -2)
    pw_logf(PW_LOG_WARN,
            PW_LF(PW_LF_NUM("desired", g->dec.desired),
                  PW_LF_STR("error", g->act_why[0] ? g->act_why
                                                   : pw_strerror(rc))),
            "actuation failed, capacity kept");
  pw_logf(PW_LOG_DEBUG,
          PW_LF(PW_LF_NUM("desired", g->dec.desired),
                PW_LF_NUM("requested", g->cap.requested >= 0
                                       ? (double)g->cap.requested : NaN),
                PW_LF_NUM("ready", g->cap.ready >= 0 ? (double)g->cap.ready
                                                     : NaN),
                PW_LF_STR("reasons", reasons)),
          "decided");
  if(d->dlog) {
    const struct ctl_target_stats *ts = ctl_target_stats(g->t);
    int fc = !(g->dec.reasons & CTL_R(FALLBACK));
    struct pb_decision pd = {
      g->c->name, g->at_ms, fc_series_back(ctl_target_series(g->t), 0),
      g->dec.desired, reasons, fc ? ts->forecast_at_lead : NaN,
      fc ? ts->quantile_at_lead : NaN, g->cap.requested < 0 ? -1
                                                             : g->cap.requested,
      g->cap.ready, g->act_why, g->cap.requested != -2};
    int wrc = ctl_dlog_write(d->dlog, &pd);
    if(wrc && !d->dlog_failing)
      pw_log(PW_LOG_ERROR, "decision log %s: cannot write: %s",
             d->cfg->dlog_path, pw_strerror(wrc));
    d->dlog_failing = wrc != 0;
  }
  if(!d->store)
    return;
  for(size_t i = 0; i < g->feed.buf.n && g->src_rc == 0; i++)
    if(ctl_store_observation(d->store, g->c->name, g->feed.buf.ts_ms[i],
                             g->feed.buf.v[i]))
      break;
  const struct ctl_target_stats *st = ctl_target_stats(g->t);
  if(ctl_store_decision(d->store, g->c->name, g->at_ms,
                        fc_series_back(ctl_target_series(g->t), 0),
                        g->dec.desired, reasons, st->forecast_at_lead,
                        st->quantile_at_lead))
    pw_log(PW_LOG_WARN, "store: out of memory queueing a decision");
}

static int tick_one(struct ctl_daemon *d, struct dtarget *g, int64_t now_ms) {
  pthread_mutex_lock(&d->mu);
  g->src_rc = ctl_feed_tick(&g->feed, now_ms, g->t);
  snprintf(g->src_why, sizeof(g->src_why), "%s", g->src->why);
  if(g->src_rc)
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", g->src_why)),
            "reading load failed");
  struct ctl_decision dec;
  const struct ctl_target_stats *st = ctl_target_stats(g->t);
  long fits = st->fits;
  (void)ctl_target_tick(g->t, now_ms, NULL, &dec, &g->cap);
  if(st->fits != fits)
    histogram_observe(&d->fit_hist[st->fit_kind_last],
                      st->fit_ms_last / 1000.0);
  int lead = !d->lease || ctl_lease_leading(d->lease);
  pthread_mutex_unlock(&d->mu);
  /* The actuator may wait on the network: not under the lock.  A
   * follower keeps its model warm and acts not at all. */
  struct act_capacity cap = {-2, -1, -1, 0};
  int rc = PW_EBUSY;
  if(lead)
    rc = ctl_target_actuate(g->t, g->act, &dec, &cap);
  else
    act_why(g->act, "not the leader: deciding only");
  if(strcmp(g->act->ops->name, "dryrun") == 0)
    dec.reasons |= CTL_R(DRY_RUN);
  pthread_mutex_lock(&d->mu);
  g->dec = dec;
  g->cap = cap;
  g->at_ms = now_ms;
  g->have = 1;
  record(d, g, rc);
  pthread_mutex_unlock(&d->mu);
  return rc || g->src_rc;
}

int ctl_daemon_tick(struct ctl_daemon *d, int64_t now_ms) {
  assert(!d->carry);  /* a reloaded daemon ticks once it has adopted */
  double t0 = pw_clock_mono_ms();
  int bad = 0;
  for(size_t i = 0; i < d->n && !(d->stop && *d->stop); i++) {
    /* What the target's source, model and actuator log names it. */
    pw_log_target(d->tg[i].c->name);
    bad += tick_one(d, &d->tg[i], now_ms) != 0;
  }
  pw_log_target(NULL);
  double s = (pw_clock_mono_ms() - t0) / 1000.0;
  pthread_mutex_lock(&d->mu);
  d->ticks++;
  d->last_tick_mono = pw_clock_mono_ms();
  histogram_observe(&d->tick_hist, s);
  if(d->store && ctl_store_flush(d->store))
    pw_log(PW_LOG_WARN, "store: %s (rows kept for the next try)",
           ctl_store_why(d->store));
  pthread_mutex_unlock(&d->mu);
  return bad;
}

/* ---- /metrics: the Prometheus text format 0.0.4 (CONTRACTS.md 5.2) ---- */

/*
 * At 10,000 targets a scrape is some 300,000 lines, so a sample is built
 * in a small array and appended once, and integral values (counters,
 * capacities, most loads) skip printf.
 */

/* Writes v as the text format wants it into s (room for 32 bytes). */
static size_t num(char *s, double v) {
  if(isnan(v))
    return (size_t)sprintf(s, "NaN");
  if(isinf(v))
    return (size_t)sprintf(s, v > 0 ? "+Inf" : "-Inf");
  double r = rint(v);
  if(fabs(v) < 1e15 && !(v < r) && !(v > r)) {
    char digits[20];
    unsigned long long u = (unsigned long long)fabs(r);
    size_t n = 0, k = 0;
    do
      digits[k++] = (char)('0' + u % 10);
    while((u /= 10) > 0);
    if(r < 0)
      s[n++] = '-';
    while(k)
      s[n++] = digits[--k];
    return n;
  }
  return (size_t)sprintf(s, "%.17g", v);
}

static size_t put(char *s, size_t n, const char *str) {
  size_t k = strlen(str);
  memcpy(s + n, str, k);
  return n + k;
}

static int family(struct pw_buf *b, const char *name, const char *type,
                  const char *help) {
  return pw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                       type);
}

/* name{target="T"[,k="v"]} value.  Neither needs escaping: config/ allows
 * a target name only a-z 0-9 - _ . (at most 63), and k and v are ours. */
static int sample(struct pw_buf *b, const char *name, const char *target,
                  const char *k, const char *v, double value) {
  char line[320];
  assert(strlen(name) + strlen(target) + (k ? strlen(k) + strlen(v) : 0) <
         sizeof(line) - 48);
  size_t n = put(line, 0, name);
  n = put(line, n, "{target=\"");
  n = put(line, n, target);
  if(k) {
    n = put(line, n, "\",");
    n = put(line, n, k);
    n = put(line, n, "=\"");
    n = put(line, n, v);
  }
  n = put(line, n, "\"} ");
  n += num(line + n, value);
  line[n++] = '\n';
  return pw_buf_append(b, line, n);
}

/* One gauge family over all targets. */
static int per_target(struct ctl_daemon *d, struct pw_buf *b,
                      const char *name, const char *help, int which) {
  int rc = family(b, name, "gauge", help);
  for(size_t i = 0; rc == 0 && i < d->n; i++) {
    const struct dtarget *g = &d->tg[i];
    const struct ctl_target_stats *st = ctl_target_stats(g->t);
    double v = (double)NAN;
    switch(which) {
    case 0: v = g->have ? (double)g->dec.desired : NaN; break;
    case 1: v = g->have ? (double)g->cap.requested : NaN; break;
    case 2: v = g->have ? (double)g->cap.ready : NaN; break;
    case 3: v = fc_series_back(ctl_target_series(g->t), 0); break;
    case 4: v = g->have && !(g->dec.reasons & CTL_R(FALLBACK))
                  ? st->forecast_at_lead : NaN; break;
    case 5: v = g->have && !(g->dec.reasons & CTL_R(FALLBACK))
                  ? st->quantile_at_lead : NaN; break;
    case 6: v = st->error_ratio; break;
    case 7: v = ctl_feed_stale(&g->feed, g->at_ms, 3); break;
    case 8: v = st->fit_ms_last / 1000.0; break;
    default: break;
    }
    if(which == 1 && v < 0)
      v = NaN;
    rc = sample(b, name, g->c->name, NULL, NULL, v);
  }
  return rc;
}

static int counters(struct ctl_daemon *d, struct pw_buf *b) {
  int rc = family(b, "prewarm_decisions_total", "counter",
                  "Decisions by reason (a decision may have several).");
  for(size_t i = 0; rc == 0 && i < d->n; i++)
    for(int r = 0; rc == 0 && r < CTL_RB_COUNT; r++) {
      char name[64];
      ctl_reasons_format(1u << r, name, sizeof(name));
      rc = sample(b, "prewarm_decisions_total", d->tg[i].c->name, "reason",
                  name, (double)d->tg[i].by_reason[r]);
    }
  if(rc == 0)
    rc = family(b, "prewarm_actuations_total", "counter",
                "Actuator calls by result.");
  static const char *const results[] = {"ok", "unchanged", "refused",
                                        "error", "standby"};
  for(size_t i = 0; rc == 0 && i < d->n; i++) {
    const struct dtarget *g = &d->tg[i];
    const long v[] = {g->act_ok, g->act_unchanged, g->act_refused,
                      g->act_error, g->act_standby};
    for(int k = 0; rc == 0 && k < 5; k++)
      rc = sample(b, "prewarm_actuations_total", g->c->name, "result",
                  results[k], (double)v[k]);
  }
  if(rc == 0)
    rc = family(b, "prewarm_source_errors_total", "counter",
                "Failed reads of the target's load.");
  for(size_t i = 0; rc == 0 && i < d->n; i++)
    rc = sample(b, "prewarm_source_errors_total", d->tg[i].c->name, NULL,
                NULL, (double)d->tg[i].feed.failures);
  if(rc == 0)
    rc = family(b, "prewarm_source_rejected_samples_total", "counter",
                "Samples refused: non-finite, negative, duplicated, out of "
                "order or off the step grid.");
  for(size_t i = 0; rc == 0 && i < d->n; i++)
    rc = sample(b, "prewarm_source_rejected_samples_total", d->tg[i].c->name,
                NULL, NULL, (double)d->tg[i].src->rejected);
  return rc;
}

/* The series of one histogram; label is "" or k="v" (already escaped). */
static int histogram_render(struct pw_buf *b, const char *name,
                            const char *label, const struct histogram *h) {
  const char *sep = label[0] ? "," : "";
  int rc = 0;
  for(size_t k = 0; rc == 0 && k < h->nle; k++)
    rc = pw_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %ld\n", name, label, sep,
                       h->le[k], h->bucket[k]);
  if(rc == 0)
    rc = pw_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %ld\n", name, label,
                       sep, h->count);
  if(rc == 0 && label[0])
    rc = pw_buf_printf(b, "%s_sum{%s} %.17g\n%s_count{%s} %ld\n", name,
                       label, h->sum_s, name, label, h->count);
  else if(rc == 0)
    rc = pw_buf_printf(b, "%s_sum %.17g\n%s_count %ld\n", name, h->sum_s,
                       name, h->count);
  return rc;
}

static int histograms(struct ctl_daemon *d, struct pw_buf *b) {
  int rc = family(b, "prewarm_tick_duration_seconds", "histogram",
                  "Time of one pass over every target.");
  if(rc == 0)
    rc = histogram_render(b, "prewarm_tick_duration_seconds", "",
                          &d->tick_hist);
  if(rc == 0)
    rc = family(b, "prewarm_fit_duration_seconds", "histogram",
                "Time of one model fit, over all targets, by kind: select "
                "(a model chosen afresh), full, refit (the hourly one).");
  for(int k = 0; rc == 0 && k < CTL_FIT_KINDS; k++) {
    char label[32];
    snprintf(label, sizeof(label), "kind=\"%s\"", fit_kinds[k]);
    rc = histogram_render(b, "prewarm_fit_duration_seconds", label,
                          &d->fit_hist[k]);
  }
  return rc;
}

static int rw_metrics(struct ctl_daemon *d, struct pw_buf *b) {
  struct tel_rw_stats st;
  tel_rw_totals(d->rw, &st);
  const struct {
    const char *what;
    long v;
  } rows[] = {{"requests", st.requests}, {"samples", st.samples},
              {"kept", st.kept}, {"stale", st.stale}, {"late", st.late},
              {"refused", st.refused}};
  int rc = family(b, "prewarm_remote_write_total", "counter",
                  "Remote-write requests and samples received, by what "
                  "became of them.");
  for(size_t i = 0; rc == 0 && i < sizeof(rows) / sizeof(rows[0]); i++)
    rc = pw_buf_printf(b, "prewarm_remote_write_total{what=\"%s\"} %ld\n",
                       rows[i].what, rows[i].v);
  return rc;
}

static int render_metrics(struct ctl_daemon *d, struct pw_buf *b) {
  static const struct {
    const char *name, *help;
  } gauges[] = {
    {"prewarm_target_desired", "Capacity the policy asks for."},
    {"prewarm_target_requested", "Capacity the platform has been asked for."},
    {"prewarm_target_ready", "Capacity that serves now."},
    {"prewarm_target_load", "The last observed load."},
    {"prewarm_target_forecast_mean", "Mean forecast at the lead time."},
    {"prewarm_target_forecast_upper",
     "The provisioned forecast quantile at the lead time."},
    {"prewarm_target_forecast_error_ratio",
     "Recent forecast error relative to persistence."},
    {"prewarm_target_stale", "1 when no new data arrived for 3 steps."},
    {"prewarm_target_fit_seconds", "Duration of the last model fit."},
  };
  int rc = family(b, "prewarm_build_info", "gauge", "prewarm's version.");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_build_info{version=\"0.1.0\"} 1\n");
  if(rc == 0)
    rc = family(b, "prewarm_leader", "gauge", "1 when this replica "
                "actuates (always 1 without leader election).");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_leader %d\n",
                       !d->lease || ctl_lease_leading(d->lease));
  if(rc == 0)
    rc = family(b, "prewarm_dry_run", "gauge", "1 when --dry-run or "
                "dry_run: true makes every actuator record only.");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_dry_run %d\n", d->dry_run);
  for(int k = 0; rc == 0 && k < 9; k++)
    rc = per_target(d, b, gauges[k].name, gauges[k].help, k);
  if(rc == 0)
    rc = counters(d, b);
  if(rc == 0)
    rc = histograms(d, b);
  if(rc == 0 && d->uses_rw)
    rc = rw_metrics(d, b);
  if(rc == 0)
    rc = family(b, "prewarm_config_reloads_total", "counter",
                "SIGHUP reloads, by result (a refused file changes nothing).");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_config_reloads_total{result=\"ok\"} %ld\n"
                       "prewarm_config_reloads_total{result=\"refused\"} "
                       "%ld\n", d->reloads_ok, d->reloads_refused);
  return rc;
}

/* ---- /api/v1/targets: JSON ---- */

static int json_num(struct pw_buf *b, const char *key, double v, int comma) {
  if(!isfinite(v))
    return pw_buf_printf(b, "\"%s\":null%s", key, comma ? "," : "");
  return pw_buf_printf(b, "\"%s\":%.10g%s", key, v, comma ? "," : "");
}


static int target_json(const struct dtarget *g, struct pw_buf *b, int path) {
  char reasons[256] = "";
  const struct ctl_target_stats *st = ctl_target_stats(g->t);
  int rc = pw_buf_printf(b, "{\"name\":");
  if(rc == 0)
    rc = pw_buf_json_str(b, g->c->name);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"step_seconds\":%lld,",
                       (long long)(g->c->step_ms / 1000));
  if(rc == 0)
    rc = json_num(b, "desired", g->have ? (double)g->dec.desired : NaN, 1);
  if(rc == 0)
    rc = json_num(b, "requested", g->have && g->cap.requested >= 0
                                    ? (double)g->cap.requested : NaN, 1);
  if(rc == 0)
    rc = json_num(b, "ready", g->have && g->cap.ready >= 0
                                ? (double)g->cap.ready : NaN, 1);
  if(rc == 0)
    rc = json_num(b, "load", fc_series_back(ctl_target_series(g->t), 0), 1);
  if(rc == 0)
    rc = json_num(b, "forecast_error_ratio", st->error_ratio, 1);
  ctl_reasons_format(g->dec.reasons, reasons, sizeof(reasons));
  if(rc == 0)
    rc = pw_buf_printf(b, "\"decided_at_ms\":%lld,\"reasons\":",
                       (long long)g->at_ms);
  if(rc == 0)
    rc = pw_buf_json_str(b, reasons);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"stale\":%s,\"source_error\":",
                       ctl_feed_stale(&g->feed, g->at_ms, 3) ? "true"
                                                              : "false");
  if(rc == 0)
    rc = pw_buf_json_str(b, g->src_rc ? g->src_why : "");
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"actuator\":");
  if(rc == 0)
    rc = pw_buf_json_str(b, g->act_why);
  const struct fc_path *p = ctl_target_path(g->t);
  int have = path && g->have && !(g->dec.reasons & CTL_R(FALLBACK)) && p->h;
  for(int part = 0; rc == 0 && have && part < 2; part++) {
    rc = pw_buf_printf(b, ",\"forecast_%s\":[", part ? "upper" : "mean");
    for(int k = 0; rc == 0 && k < p->h; k++)
      rc = pw_buf_printf(b, "%s%.6g", k ? "," : "",
                         part ? p->q[k * p->nq] : p->mean[k]);
    if(rc == 0)
      rc = pw_buf_append(b, "]", 1);
  }
  return rc ? rc : pw_buf_append(b, "}", 1);
}

/*
 * The outlook: the model's forecast for the next h steps (a quarter of the
 * load shown), its mean and the policy's quantile, and the capacity that
 * quantile asks for within min and max: what the target will need in the
 * hours ahead.  Empty arrays while the target acts without a forecast.
 * Writes the keys, each after a comma.
 */
static int outlook_json(const struct dtarget *g, struct pw_buf *b,
                        size_t h) {
  const struct fc_model *m = ctl_target_model(g->t);
  const struct ctl_policy *pol = ctl_target_policy(g->t);
  struct fc_path path = {0};
  int have = m && h > 0 && g->have && !(g->dec.reasons & CTL_R(FALLBACK)) &&
             fc_path_init(&path, (int)h, 1) == 0 &&
             fc_forecast(m, (int)h, &pol->quantile, 1, &path) == 0;
  const struct fc_series *s = ctl_target_series(g->t);
  int rc = pw_buf_printf(b, ",\"outlook_start_ms\":%lld",
                         (long long)s->next_ms);
  static const char *const keys[] = {"outlook_mean", "outlook_upper",
                                     "outlook_capacity"};
  for(int part = 0; rc == 0 && part < 3; part++) {
    rc = pw_buf_printf(b, ",\"%s\":[", keys[part]);
    for(int k = 0; rc == 0 && have && k < path.h; k++) {
      double v = part == 0 ? path.mean[k] : path.q[k];
      if(part == 2) {
        long c = ctl_policy_forecast_capacity(pol, v);
        v = (double)(c < pol->min ? pol->min : c > pol->max ? pol->max : c);
      }
      rc = isfinite(v) ? pw_buf_printf(b, "%s%.6g", k ? "," : "", v)
                       : pw_buf_printf(b, "%snull", k ? "," : "");
    }
    if(rc == 0)
      rc = pw_buf_append(b, "]", 1);
  }
  fc_path_cleanup(&path);
  return rc;
}

/* /api/v1/targets/NAME/history: the last HIST steps of load from the
 * target's series (backfilled history included) and the recent ticks,
 * oldest first. */
static int history_json(const struct dtarget *g, struct pw_buf *b) {
  const struct fc_series *s = ctl_target_series(g->t);
  size_t nl = s->n < HIST ? s->n : HIST;
  int rc = pw_buf_printf(b, "{\"name\":");
  if(rc == 0)
    rc = pw_buf_json_str(b, g->c->name);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"unit_capacity\":%.10g,\"step_ms\":%lld,"
                       "\"load_start_ms\":%lld,\"load\":[",
                       g->c->unit_capacity, (long long)s->step_ms,
                       (long long)(s->next_ms - (int64_t)nl * s->step_ms));
  for(size_t i = 0; rc == 0 && i < nl; i++) {
    double v = fc_series_back(s, nl - 1 - i);
    rc = isfinite(v) ? pw_buf_printf(b, "%s%.6g", i ? "," : "", v)
                     : pw_buf_printf(b, "%snull", i ? "," : "");
  }
  if(rc == 0)
    rc = pw_buf_append(b, "]", 1);
  if(rc == 0)
    rc = outlook_json(g, b, nl / 4);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"ticks\":[");
  for(size_t i = 0; rc == 0 && i < g->hist_n; i++) {
    const struct point *p = &g->hist[(g->hist_head + HIST - g->hist_n + i) %
                                     HIST];
    char reasons[256];
    ctl_reasons_format(p->reasons, reasons, sizeof(reasons));
    rc = pw_buf_printf(b, "%s{\"t\":%lld,\"desired\":%ld,\"ready\":%ld,"
                       "\"reasons\":", i ? "," : "", (long long)p->ts_ms,
                       p->desired, p->ready);
    if(rc == 0)
      rc = pw_buf_json_str(b, reasons);
    if(rc == 0)
      rc = pw_buf_append(b, "}", 1);
  }
  return rc ? rc : pw_buf_printf(b, "]}\n");
}

static unsigned api(struct ctl_daemon *d, const char *url,
                    struct pw_buf *b) {
  const char *name = url + strlen("/api/v1/targets");
  if(*name == '\0') {
    int rc = pw_buf_printf(b, "{\"targets\":[");
    for(size_t i = 0; rc == 0 && i < d->n; i++) {
      if(i)
        rc = pw_buf_append(b, ",", 1);
      if(rc == 0)
        rc = target_json(&d->tg[i], b, 0);
    }
    if(rc == 0)
      rc = pw_buf_printf(b, "]}\n");
    return rc ? 500 : 200;
  }
  if(*name != '/')
    return 0;
  size_t len = strcspn(name + 1, "/");
  int hist = strcmp(name + 1 + len, "/history") == 0;
  if(name[1 + len] && !hist)
    return 0;
  for(size_t i = 0; i < d->n; i++)
    if(strlen(d->tg[i].c->name) == len &&
       strncmp(d->tg[i].c->name, name + 1, len) == 0) {
      int rc = hist ? history_json(&d->tg[i], b)
                    : target_json(&d->tg[i], b, 1);
      return rc || (!hist && pw_buf_append(b, "\n", 1)) ? 500 : 200;
    }
  return pw_buf_printf(b, "{\"error\":\"no such target\"}\n") ? 500 : 404;
}

/* Alive: the loop has ticked within three of its intervals (plus 30 s
 * for a slow tick), or has not started ticking yet. */
static unsigned healthz(struct ctl_daemon *d, struct pw_buf *body) {
  int64_t tick = d->cfg->tick_ms;
  for(size_t i = 0; !tick && i < d->n; i++)
    if(!tick || d->tg[i].c->step_ms < tick)
      tick = d->tg[i].c->step_ms;
  double every = (double)tick / (d->cfg->speed > 0 ? d->cfg->speed : 1);
  double since = pw_clock_mono_ms() - d->last_tick_mono;
  if(d->ticks && since > 3 * every + 30000) {
    if(pw_buf_printf(body, "the loop has not ticked for %.0f s\n",
                     since / 1000))
      return 500;
    return 503;
  }
  return pw_buf_printf(body, "ok\n") ? 500 : 200;
}

unsigned ctl_daemon_get(void *ud, const char *url, struct pw_buf *body,
                        const char **content_type) {
  struct ctl_daemon *d = ud;
  unsigned status = 0;
  pthread_mutex_lock(&d->mu);
  if(strcmp(url, "/metrics") == 0) {
    *content_type = "text/plain; version=0.0.4; charset=utf-8";
    status = render_metrics(d, body) ? 500 : 200;
  } else if(strcmp(url, "/healthz") == 0) {
    status = healthz(d, body);
  } else if(strcmp(url, "/readyz") == 0) {
    size_t answered = 0;
    for(size_t i = 0; i < d->n; i++)
      answered += d->tg[i].feed.answered != 0;
    status = answered == d->n ? 200 : 503;
    if(pw_buf_printf(body, "%zu of %zu sources answered\n", answered, d->n))
      status = 500;
  } else if(strcmp(url, "/ui") == 0 || strcmp(url, "/") == 0) {
    *content_type = "text/html; charset=utf-8";
    status = 200;
    for(size_t i = 0; status == 200 && ctl_ui_page[i]; i++)
      if(pw_buf_append(body, ctl_ui_page[i], strlen(ctl_ui_page[i])))
        status = 500;
  } else if(strncmp(url, "/api/v1/targets", 15) == 0) {
    *content_type = "application/json";
    status = api(d, url, body);
  }
  pthread_mutex_unlock(&d->mu);
  return status;
}
