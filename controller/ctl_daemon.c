#include "ctl_daemon.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"
#include "ctl_build.h"
#include "ctl_daemon_int.h"
#include "ctl_lease.h"
#include "../telemetry/tel_csv.h"

#define NaN ((double)NAN)

/* Rows kept for the store while it is slow or down (then the oldest go,
 * counted): about a minute of 10,000 targets' observations and
 * decisions, some 60 MiB at most. */
#define REC_MAX_ROWS 200000

/* Workers by default: steps wait mostly on the network, so a few more
 * than the cores; each holds a fit scratch buffer of a target's history. */
#define DEFAULT_WORKERS 8

int64_t ctl_daemon_tick_ms(const struct cfg *c) {
  if(c->tick_ms)
    return c->tick_ms;
  int64_t t = 0;
  for(size_t i = 0; i < c->ntargets; i++)
    if(!t || c->targets[i].step_ms < t)
      t = c->targets[i].step_ms;
  return t;
}

void ctl_daemon_set_lease(struct ctl_daemon *d, struct ctl_lease *lease) {
  pthread_mutex_lock(&d->mu);
  d->lease = lease;
  pthread_mutex_unlock(&d->mu);
}

int ctl_daemon_leading(struct ctl_daemon *d) {
  pthread_mutex_lock(&d->mu);
  int leading = !d->lease || ctl_lease_leading(d->lease);
  pthread_mutex_unlock(&d->mu);
  return leading;
}

int64_t ctl_daemon_replay_end(const struct ctl_daemon *d) {
  int64_t end = 0;
  for(size_t i = 0; i < d->n; i++) {
    int64_t e = tel_csv_end_ms(d->units[i]->src);
    if(e < 0)
      return -1;
    if(e > end)
      end = e;
  }
  return end;
}

void ctl_daemon_set_stop(struct ctl_daemon *d,
                         const atomic_int *stop) {
  d->stop = stop;
}

static int lead(void *ud) {
  struct ctl_daemon *d = ud;
  if(d->stop && atomic_load(d->stop))
    return 0;  /* stopping: decide, act no more */
  return ctl_daemon_leading(d);
}

/* ---- recording: the decision log and the store's queue ---- */

static void queue_row(struct ctl_daemon *d, const struct ctl_rec_row *r) {
  if(!d->max_rows)
    return;
  if(d->rows_n == d->max_rows) {
    d->rows_head = (d->rows_head + 1) % d->max_rows;
    d->rows_n--;
    d->rows_dropped++;
  }
  d->rows[(d->rows_head + d->rows_n) % d->max_rows] = *r;
  d->rows_n++;
}

static void recorded(void *ud, struct ctl_unit *u, int rc,
                     const struct ctl_step *st) {
  struct ctl_daemon *d = ud;
  const struct ctl_target_stats *ts = ctl_target_stats(u->t);
  double load = fc_series_back(ctl_target_series(u->t), 0);
  int fc = !(u->dec.reasons & CTL_R(FALLBACK));
  char reasons[160];
  (void)rc;
  ctl_reasons_format(u->dec.reasons, reasons, sizeof(reasons));
  if(d->dlog) {
    struct pb_decision pd = {
      u->c->name, u->at_ms, load, u->dec.desired, reasons,
      fc ? ts->forecast_at_lead : NaN, fc ? ts->quantile_at_lead : NaN,
      u->cap.requested < 0 ? -1 : u->cap.requested, u->cap.ready,
      u->act->why, st->result != CTL_ACT_STANDBY};
    pthread_mutex_lock(&d->dlog_mu);
    int wrc = ctl_dlog_write(d->dlog, &pd);
    const char *why = wrc ? ctl_dlog_last_error(d->dlog) : "";
    pthread_mutex_lock(&d->rec_mu);
    if(wrc) {
      d->dlog_errors++;
      if(!d->dlog_failing)
        pw_logf(PW_LOG_ERROR,
                PW_LF(PW_LF_STR("path", d->cfg->dlog_path),
                      PW_LF_STR("error", why)),
                "decision log: cannot write; the record is cut back and "
                "the log tries again");
      snprintf(d->dlog_why, sizeof(d->dlog_why), "%s", why);
    } else if(d->dlog_failing) {
      pw_logf(PW_LOG_INFO, PW_LF(PW_LF_STR("path", d->cfg->dlog_path)),
              "decision log: writing again");
    }
    d->dlog_failing = wrc != 0;
    pthread_mutex_unlock(&d->rec_mu);
    pthread_mutex_unlock(&d->dlog_mu);
  }
  if(d->store) {
    pthread_mutex_lock(&d->rec_mu);
    struct ctl_rec_row r = {.desired = -1};
    snprintf(r.target, sizeof(r.target), "%s", u->c->name);
    for(size_t i = 0; st->src_rc == 0 && i < st->read->n; i++) {
      r.ts_ms = st->read->ts_ms[i];
      r.load = st->read->v[i];
      queue_row(d, &r);
    }
    r.ts_ms = u->at_ms;
    r.load = load;
    r.desired = u->dec.desired;
    snprintf(r.reasons, sizeof(r.reasons), "%s", reasons);
    r.fc_mean = fc ? ts->forecast_at_lead : NaN;
    r.fc_upper = fc ? ts->quantile_at_lead : NaN;
    queue_row(d, &r);
    pthread_mutex_unlock(&d->rec_mu);
  }
}

/* Moves the queued rows into the store and writes them; with store_mu
 * held (network I/O: no handler takes store_mu). */
static int store_write(struct ctl_daemon *d) {
  enum { BATCH = 4096 };
  struct ctl_rec_row *batch = d->batch;
  long lost = 0;
  for(;;) {
    size_t n = 0;
    pthread_mutex_lock(&d->rec_mu);
    while(n < BATCH && d->rows_n) {
      batch[n++] = d->rows[d->rows_head];
      d->rows_head = (d->rows_head + 1) % d->max_rows;
      d->rows_n--;
    }
    pthread_mutex_unlock(&d->rec_mu);
    for(size_t i = 0; i < n; i++) {
      const struct ctl_rec_row *r = &batch[i];
      int rc = r->desired < 0
               ? ctl_store_observation(d->store, r->target, r->ts_ms,
                                       r->load)
               : ctl_store_decision(d->store, r->target, r->ts_ms, r->load,
                                    r->desired, r->reasons, r->fc_mean,
                                    r->fc_upper);
      lost += rc != 0;
    }
    if(n < BATCH)
      break;
  }
  if(lost) {
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_NUM("rows", (double)lost)),
            "store: out of memory queueing rows; they are dropped");
    pthread_mutex_lock(&d->rec_mu);
    d->rows_dropped += lost;
    pthread_mutex_unlock(&d->rec_mu);
  }
  int rc = ctl_store_flush(d->store);
  if(rc) {
    if(!d->store_failures++ || d->store_failures % 60 == 0)
      pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", ctl_store_why(d->store))),
              "store: cannot write, rows kept for the next try");
  } else {
    d->store_failures = 0;
  }
  /* What /metrics shows, copied where a handler may read it. */
  struct ctl_store_stats st;
  ctl_store_stats(d->store, &st);
  pthread_mutex_lock(&d->rec_mu);
  d->store_stats = st;
  pthread_mutex_unlock(&d->rec_mu);
  return rc;
}

/* The store's own thread: writes every second, or when kicked, so a slow
 * or unreachable database holds up neither the loop nor a handler. */
static void *store_main(void *arg) {
  struct ctl_daemon *d = arg;
  pthread_mutex_lock(&d->mu);
  while(!d->store_quit) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    if(!d->store_kick)
      pthread_cond_timedwait(&d->store_cv, &d->mu, &ts);
    d->store_kick = 0;
    if(d->store_quit)
      break;
    pthread_mutex_unlock(&d->mu);
    pthread_mutex_lock(&d->store_mu);
    (void)store_write(d);
    pthread_mutex_unlock(&d->store_mu);
    pthread_mutex_lock(&d->mu);
  }
  pthread_mutex_unlock(&d->mu);
  return NULL;
}

int ctl_daemon_flush(struct ctl_daemon *d, char *err, size_t errlen) {
  if(!d->store)
    return 0;
  pthread_mutex_lock(&d->store_mu);
  int rc = store_write(d);
  if(rc) {
    struct ctl_store_stats st;
    ctl_store_stats(d->store, &st);
    snprintf(err, errlen, "store: %ld rows not written: %s", st.queued,
             ctl_store_why(d->store));
  }
  pthread_mutex_unlock(&d->store_mu);
  return rc;
}

void ctl_daemon_store_stats(struct ctl_daemon *d,
                            struct ctl_daemon_store_stats *out) {
  memset(out, 0, sizeof(*out));
  pthread_mutex_lock(&d->rec_mu);
  out->queued = (long)d->rows_n;
  out->dropped = d->rows_dropped;
  out->dlog_errors = d->dlog_errors;
  out->dlog_failing = d->dlog_failing;
  snprintf(out->dlog_why, sizeof(out->dlog_why), "%s", d->dlog_why);
  out->store = d->store_stats;
  pthread_mutex_unlock(&d->rec_mu);
}

/* ---- building ---- */

static void resume_history(struct ctl_daemon *d, struct ctl_unit *u,
                           int64_t now_ms) {
  struct tel_samples s = {0};
  int64_t from = u->feed.next_ms;
  if(ctl_store_history(d->store, u->c->name, from, now_ms, &s) == 0 && s.n) {
    ctl_target_observe(u->t, s.ts_ms, s.v, s.n);
    /* The feed goes on from there, and data that current is fresh. */
    ctl_feed_resumed(&u->feed, &s);
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
    if(prev->units[j] && strcmp(prev->units[j]->c->name, c->name) == 0)
      return cfg_target_equal(prev->units[j]->c, c) ? (long)j : -1;
  }
  return -1;
}

/* ---- sharding ---- */

/* The fence, asked by a unit right before it actuates. */
static int fence(void *ud, const struct ctl_unit *u) {
  struct ctl_daemon *d = ud;
  size_t i = (size_t)(u->c - d->cfg->targets);
  return d->shards && ctl_shard_held(d->shards, d->shard_of[i]);
}

static int same_str(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_sharding(const struct cfg *a, const struct cfg *b) {
  return a->shards == b->shards && same_str(a->sh_prefix, b->sh_prefix) &&
         same_str(a->sh_namespace, b->sh_namespace) &&
         same_str(a->sh_identity_env, b->sh_identity_env) &&
         same_str(a->sh_kubeconfig, b->sh_kubeconfig) &&
         a->sh_duration_ms == b->sh_duration_ms &&
         a->sh_renew_ms == b->sh_renew_ms && a->sh_retry_ms == b->sh_retry_ms;
}

/* The shard table, and the Lease manager (a reload's adoption takes
 * prev's over instead). */
static int shards_init(struct ctl_daemon *d, const struct ctl_daemon *prev,
                       char *err, size_t errlen) {
  const struct cfg *c = d->cfg;
  if(prev && (!prev->shard_of || !same_sharding(prev->cfg, c))) {
    snprintf(err, errlen, "sharding: a change applies at the next start "
             "only (the shards' Leases and targets would move); the reload "
             "is refused");
    return PW_EINVAL;
  }
  size_t nt = c->ntargets ? c->ntargets : 1;
  d->shard_of = pw_calloc(nt, sizeof(*d->shard_of));
  d->shard_warned = pw_calloc(nt, 1);
  d->shard_units = pw_calloc((size_t)c->shards, sizeof(*d->shard_units));
  d->shard_held = pw_calloc((size_t)c->shards, 1);
  if(!d->shard_of || !d->shard_warned || !d->shard_units || !d->shard_held)
    return PW_ENOMEM;
  for(size_t i = 0; i < c->ntargets; i++)
    d->shard_of[i] = cfg_shard_of(c->targets[i].name, c->shards);
  if(prev)
    return 0;
  char host[256] = "";
  const char *id = getenv(c->sh_identity_env ? c->sh_identity_env
                                             : "POD_NAME");
  if(!id || !*id) {
    if(gethostname(host, sizeof(host) - 1) != 0 || !host[0]) {
      snprintf(err, errlen, "sharding: no identity (set POD_NAME)");
      return PW_EINVAL;
    }
    id = host;
  }
  struct ctl_shard_cfg sc = {c->shards, c->sh_prefix, c->sh_namespace, id,
                             c->sh_duration_ms, c->sh_renew_ms,
                             c->sh_retry_ms, c->sh_kubeconfig, NULL};
  return ctl_shard_start(&sc, &d->shards, err, errlen);
}

/* Builds target i for a shard just taken, with its history: from the
 * store when there is one, else the feed's first read covers the
 * history from the source (as at start). */
static int shard_build(struct ctl_daemon *d, size_t i, int64_t now_ms,
                       struct ctl_unit **out, int *loaded) {
  char err[512] = "";
  const struct cfg_target *c = &d->cfg->targets[i];
  double phase = (double)i / (double)d->cfg->ntargets;
  int rc = ctl_build_unit(c, &d->benv, now_ms, phase, 0, out, err,
                          sizeof(err));
  if(rc) {
    if(!d->shard_warned[i]++)
      pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("target", c->name),
                                 PW_LF_STR("error", err)),
              "sharding: cannot build the target of a shard taken over; "
              "it is not acted on");
    return rc;
  }
  d->shard_warned[i] = 0;
  (*out)->fence = fence;
  (*out)->fence_ud = d;
  *loaded = 0;
  if(d->store) {
    /* The store's thread may be writing: its lock, for the read. */
    pw_log_target(c->name);
    pthread_mutex_lock(&d->store_mu);
    resume_history(d, *out, now_ms);
    pthread_mutex_unlock(&d->store_mu);
    pw_log_target(NULL);
    *loaded = 1;
  }
  return 0;
}

/* Before each tick: builds the targets of the shards held and frees
 * those of the shards not held (once their step is over), then says
 * which shards are idle so that the ones being given up are released. */
static void shards_reconcile(struct ctl_daemon *d, int64_t now_ms) {
  long ns = d->cfg->shards, built = 0, failed = 0, loads = 0, freed = 0;
  double t0 = pw_clock_mono_ms();
  for(long k = 0; k < ns; k++) {
    d->shard_held[k] = (char)ctl_shard_held(d->shards, k);
    d->shard_units[k] = 0;
  }
  for(size_t i = 0; i < d->n; i++) {
    long k = d->shard_of[i];
    struct ctl_unit *u = d->units[i];
    int loaded = 0;
    if(d->shard_held[k] && !u) {
      if(shard_build(d, i, now_ms, &u, &loaded)) {
        failed++;
        continue;
      }
      pthread_rwlock_wrlock(&d->units_mu);
      d->units[i] = u;
      pthread_rwlock_unlock(&d->units_mu);
      built++;
      loads += loaded;
    } else if(!d->shard_held[k] && u && !ctl_loop_busy(d->loop, u)) {
      pthread_rwlock_wrlock(&d->units_mu);
      d->units[i] = NULL;
      pthread_rwlock_unlock(&d->units_mu);
      ctl_unit_free(&u);
      freed++;
    }
    if(d->units[i])
      d->shard_units[k]++;
  }
  for(long k = 0; k < ns; k++)
    ctl_shard_set_idle(d->shards, k, d->shard_units[k] == 0);
  if(!built && !freed && !failed)
    return;
  double s = (pw_clock_mono_ms() - t0) / 1000;
  pthread_mutex_lock(&d->mu);
  d->shard_builds += built;
  d->shard_build_failures += failed;
  d->shard_history_loads += loads;
  d->shard_frees += freed;
  d->shard_rebuild_s += s;
  pthread_mutex_unlock(&d->mu);
  pw_logf(PW_LOG_INFO,
          PW_LF(PW_LF_NUM("built", built), PW_LF_NUM("freed", freed),
                PW_LF_NUM("failed", failed),
                PW_LF_NUM("history_from_store", loads),
                PW_LF_NUM("seconds", s)),
          "sharding: targets taken over or given up");
}

/* A label value as the exposition format wants it. */
static void label_value(struct pw_buf *b, const char *s) {
  for(; *s; s++) {
    if(*s == '\\' || *s == '"')
      pw_buf_addf(b, "\\%c", *s);
    else if(*s == '\n')
      pw_buf_adds(b, "\\n");
    else
      pw_buf_addf(b, "%c", *s);
  }
}

static void family_head(struct pw_buf *b, const char *name,
                        const char *type, const char *help) {
  pw_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int ctl_daemon_shard_metrics(struct ctl_daemon *d, struct pw_buf *b) {
  struct ctl_shard_view v;
  int rc = ctl_shard_view(d->shards, &v);
  if(rc)
    return rc;
  long *targets = pw_calloc((size_t)v.shards, sizeof(*targets));
  if(!targets) {
    ctl_shard_view_cleanup(&v);
    return PW_ENOMEM;
  }
  for(size_t i = 0; i < d->n; i++)
    if(d->units[i])
      targets[d->shard_of[i]]++;
  family_head(b, "prewarm_shard_owned", "gauge", "1 when this replica holds "
              "the shard's Lease (renewed within the renew deadline) and "
              "acts on its targets.");
  for(long k = 0; k < v.shards; k++)
    pw_buf_addf(b, "prewarm_shard_owned{shard=\"%ld\"} %d\n", k,
                v.rows[k].held);
  family_head(b, "prewarm_shard_targets", "gauge", "Targets of the shard "
              "this replica has built (reads, forecasts and actuates).");
  for(long k = 0; k < v.shards; k++)
    pw_buf_addf(b, "prewarm_shard_targets{shard=\"%ld\"} %ld\n", k,
                targets[k]);
  family_head(b, "prewarm_shard_holder_info", "gauge", "The replica holding "
              "each shard's Lease, as last read (where to find the "
              "others' targets).");
  for(long k = 0; k < v.shards; k++) {
    if(!v.rows[k].holder[0])
      continue;
    pw_buf_addf(b, "prewarm_shard_holder_info{shard=\"%ld\",lease=\"",
                k);
    label_value(b, v.prefix);
    pw_buf_addf(b, "-%ld\",holder=\"", k);
    label_value(b, v.rows[k].holder);
    pw_buf_adds(b, "\"} 1\n");
  }
  family_head(b, "prewarm_shard_live_replicas", "gauge", "Replicas holding "
              "or renewing a Lease within the lease duration.");
  pw_buf_addf(b, "prewarm_shard_live_replicas %ld\n", v.live);
  family_head(b, "prewarm_shard_fair_share", "gauge", "The most shards this "
              "replica holds: ceil(shards / live replicas).");
  pw_buf_addf(b, "prewarm_shard_fair_share %ld\n", v.share);
  family_head(b, "prewarm_shard_transitions_total", "counter", "Shards "
              "taken, given up (released) and lost (not renewed in time, "
              "or taken by another replica).");
  pw_buf_addf(b, "prewarm_shard_transitions_total{kind=\"acquired\"} %ld\n"
              "prewarm_shard_transitions_total{kind=\"released\"} %ld\n"
              "prewarm_shard_transitions_total{kind=\"lost\"} %ld\n",
              v.acquired, v.released, v.lost);
  family_head(b, "prewarm_shard_lease_errors_total", "counter", "Lease "
              "requests that failed or were refused (logged with the API "
              "server's reason).");
  pw_buf_addf(b, "prewarm_shard_lease_errors_total %ld\n", v.errors);
  pthread_mutex_lock(&d->mu);
  long built = d->shard_builds, bad = d->shard_build_failures;
  long loads = d->shard_history_loads, freed = d->shard_frees;
  double secs = d->shard_rebuild_s;
  pthread_mutex_unlock(&d->mu);
  family_head(b, "prewarm_shard_rebuilds_total", "counter", "Targets built "
              "on taking a shard over (result ok or error), and freed on "
              "giving one up.");
  pw_buf_addf(b, "prewarm_shard_rebuilds_total{result=\"ok\"} %ld\n"
              "prewarm_shard_rebuilds_total{result=\"error\"} %ld\n"
              "prewarm_shard_rebuilds_total{result=\"freed\"} %ld\n",
              built, bad, freed);
  family_head(b, "prewarm_shard_history_loads_total", "counter", "Targets "
              "whose history came from the store on a takeover.");
  pw_buf_addf(b, "prewarm_shard_history_loads_total %ld\n", loads);
  family_head(b, "prewarm_shard_rebuild_seconds_total", "counter", "Time the "
              "loop thread spent building and freeing targets on shard "
              "moves.");
  pw_buf_addf(b, "prewarm_shard_rebuild_seconds_total %.6f\n", secs);
  pw_free(targets);
  ctl_shard_view_cleanup(&v);
  return pw_buf_error(b) ? PW_ETOOBIG : 0;
}

unsigned ctl_daemon_shards_json(struct ctl_daemon *d, struct pw_buf *b) {
  struct ctl_shard_view v;
  if(!d->shards) {
    pw_buf_adds(b, "{\"sharding\":false}\n");
    return pw_buf_error(b) ? 500 : 200;
  }
  if(ctl_shard_view(d->shards, &v))
    return 500;
  pw_buf_adds(b, "{\"sharding\":true,\"identity\":");
  pw_buf_add_json(b, v.identity);
  pw_buf_adds(b, ",\"namespace\":");
  pw_buf_add_json(b, v.namespace_);
  pw_buf_adds(b, ",\"lease_prefix\":");
  pw_buf_add_json(b, v.prefix);
  pw_buf_addf(b, ",\"shards\":%ld,\"live_replicas\":%ld,"
              "\"fair_share\":%ld,\"leases\":[", v.shards, v.live,
              v.share);
  for(long k = 0; k < v.shards; k++) {
    char lease[256];
    snprintf(lease, sizeof(lease), "%s-%ld", v.prefix, k);
    pw_buf_addf(b, "%s{\"shard\":%ld,\"lease\":", k ? "," : "", k);
    pw_buf_add_json(b, lease);
    pw_buf_adds(b, ",\"holder\":");
    pw_buf_add_json(b, v.rows[k].holder);
    pw_buf_addf(b, ",\"owned\":%s,\"targets\":[",
                v.rows[k].held ? "true" : "false");
    for(size_t i = 0, first = 1; i < d->n; i++) {
      if(d->shard_of[i] != k || !d->units[i])
        continue;
      if(!first)
        pw_buf_adds(b, ",");
      first = 0;
      pw_buf_add_json(b, d->units[i]->c->name);
    }
    pw_buf_adds(b, "]}");
  }
  pw_buf_adds(b, "]}\n");
  ctl_shard_view_cleanup(&v);
  return pw_buf_error(b) ? 500 : 200;
}

int ctl_daemon_new(struct cfg *cfg, const struct ctl_daemon_opts *o,
                   int64_t now_ms, struct tel_rw *rw,
                   struct ctl_daemon **out, char *err, size_t errlen) {
  return ctl_daemon_reload(NULL, cfg, o, now_ms, rw, out, err, errlen);
}

static int open_store(struct ctl_daemon *d, char *err, size_t errlen) {
  const char *conn = getenv(d->cfg->store_conninfo_env);
  struct ctl_store_cfg sc = {conn ? conn : "", 0, 0};
  int rc = ctl_store_open(&sc, &d->store, err, errlen);
  if(rc)
    return rc;
  d->max_rows = REC_MAX_ROWS;
  d->rows = pw_calloc(d->max_rows, sizeof(*d->rows));
  d->batch = pw_calloc(4096, sizeof(*d->batch));
  return d->rows && d->batch ? 0 : PW_ENOMEM;
}

/* Whether a reload's decision log is the running one's. */
static int same_dlog(const struct cfg *a, const struct cfg *b) {
  return a->dlog_path && b->dlog_path &&
         strcmp(a->dlog_path, b->dlog_path) == 0 &&
         a->dlog_max_bytes == b->dlog_max_bytes &&
         a->dlog_keep == b->dlog_keep;
}

static int start(struct ctl_daemon *d, char *err, size_t errlen) {
  struct ctl_loop_hooks hooks = {lead, recorded, d};
  int rc = ctl_loop_new(d->units, d->n, d->workers, &hooks, &d->loop);
  if(rc == 0 && d->store && d->workers) {
    if(pthread_create(&d->store_thread, NULL, store_main, d) != 0)
      rc = PW_EIO;
    else
      d->store_running = 1;
  }
  if(rc)
    snprintf(err, errlen, "cannot start the loop's threads: %s",
             pw_strerror(rc));
  return rc;
}

int ctl_daemon_reload(const struct ctl_daemon *prev, struct cfg *cfg,
                      const struct ctl_daemon_opts *o, int64_t now_ms,
                      struct tel_rw *rw, struct ctl_daemon **out, char *err,
                      size_t errlen) {
  struct ctl_daemon *d = pw_calloc(1, sizeof(*d));
  int rc = 0;
  *out = NULL;
  if(!d) {
    cfg_free(&cfg);
    return PW_ENOMEM;
  }
  pthread_mutex_init(&d->mu, NULL);
  pthread_mutex_init(&d->rec_mu, NULL);
  pthread_mutex_init(&d->dlog_mu, NULL);
  pthread_mutex_init(&d->store_mu, NULL);
  pthread_cond_init(&d->store_cv, NULL);
  pthread_rwlock_init(&d->units_mu, NULL);
  d->cfg = cfg;
  d->rw = rw;
  d->dry_run = o->dry_run || cfg->dry_run;
  d->workers = o->workers ? o->workers
               : cfg->workers ? (unsigned)cfg->workers : DEFAULT_WORKERS;
  if(o->replay)
    d->workers = 0;  /* deterministic, as prewarm plan */
  d->started_ms = now_ms;
  atomic_store(&d->now_ms, now_ms);
  d->units = pw_calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*d->units));
  if(!d->units)
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
  /* The running decision log is handed over when the file stays. */
  if(rc == 0 && cfg->dlog_path && !(prev && prev->dlog &&
                                    same_dlog(cfg, prev->cfg)))
    rc = ctl_dlog_open(cfg->dlog_path, cfg->dlog_max_bytes,
                       (int)cfg->dlog_keep, &d->dlog, err, errlen);
  if(rc == 0 && cfg->store_conninfo_env)
    rc = open_store(d, err, errlen);
  if(rc == 0 && cfg->shards && !o->replay)
    rc = shards_init(d, prev, err, errlen);
  struct ctl_build_env env = {&d->aws, rw, d->dry_run, 0};
  d->benv = env;
  for(size_t i = 0; rc == 0 && i < cfg->ntargets; i++, d->n++) {
    long j = same_target(prev, d->dry_run, &cfg->targets[i], i);
    if(j >= 0) {
      d->carry[i] = (size_t)j + 1;
      d->uses_rw |= cfg->targets[i].source == CFG_SRC_REMOTE_WRITE;
      continue;  /* taken over by ctl_daemon_adopt() */
    }
    if(d->shard_of) {
      /* Built when this replica holds the target's shard. */
      d->uses_rw |= cfg->targets[i].source == CFG_SRC_REMOTE_WRITE;
      continue;
    }
    /* Spread the targets' refits over the hour. */
    double phase = (double)i / (double)cfg->ntargets;
    rc = ctl_build_unit(&cfg->targets[i], &env, now_ms, phase, o->replay,
                        &d->units[i], err, errlen);
    if(rc == 0 && d->store) {
      pw_log_target(cfg->targets[i].name);
      resume_history(d, d->units[i], now_ms);
      pw_log_target(NULL);
    }
  }
  d->uses_rw |= env.uses_rw;
  /* A reloaded daemon starts its loop once it has adopted. */
  if(rc == 0 && !prev)
    rc = start(d, err, errlen);
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
  ctl_loop_free(&d->loop);
  /* No step is in flight: the shards can go to the other replicas. */
  ctl_shard_stop(&d->shards);
  if(d->store_running) {
    pthread_mutex_lock(&d->mu);
    d->store_quit = 1;
    pthread_cond_signal(&d->store_cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->store_thread, NULL);
  }
  for(size_t i = 0; d->units && i < d->cfg->ntargets; i++)
    ctl_unit_free(&d->units[i]);
  pw_free(d->units);
  pw_free(d->carry);
  pw_free(d->shard_of);
  pw_free(d->shard_units);
  pw_free(d->shard_held);
  pw_free(d->shard_warned);
  ctl_store_close(&d->store);
  pw_free(d->rows);
  pw_free(d->batch);
  ctl_dlog_close(&d->dlog);
  if(!d->aws_borrowed)
    pw_aws_free(&d->aws);
  cfg_free(&d->cfg);
  pthread_cond_destroy(&d->store_cv);
  pthread_rwlock_destroy(&d->units_mu);
  pthread_mutex_destroy(&d->store_mu);
  pthread_mutex_destroy(&d->rec_mu);
  pthread_mutex_destroy(&d->dlog_mu);
  pthread_mutex_destroy(&d->mu);
  pw_free(d);
  *dp = NULL;
}

/* The record side goes on: the decision log (when the same file), the
 * rows still queued for the store, and the counters.  prev's loop is
 * stopped, so nothing records into it. */
static void carry_records(struct ctl_daemon *d, struct ctl_daemon *prev) {
  if(!d->dlog && prev->dlog && same_dlog(d->cfg, prev->cfg)) {
    d->dlog = prev->dlog;
    prev->dlog = NULL;
  }
  pthread_mutex_lock(&prev->rec_mu);
  pthread_mutex_lock(&d->rec_mu);
  d->dlog_errors = prev->dlog_errors;
  d->dlog_failing = prev->dlog_failing;
  memcpy(d->dlog_why, prev->dlog_why, sizeof(d->dlog_why));
  d->rows_dropped += prev->rows_dropped;
  /* Queued rows move when the new daemon has a store too; else they are
   * counted as dropped (the store is gone from the file). */
  while(prev->rows_n) {
    if(d->max_rows)
      queue_row(d, &prev->rows[prev->rows_head]);
    else
      d->rows_dropped++;
    prev->rows_head = (prev->rows_head + 1) % prev->max_rows;
    prev->rows_n--;
  }
  pthread_mutex_unlock(&d->rec_mu);
  pthread_mutex_unlock(&prev->rec_mu);
}

int ctl_daemon_adopt(struct ctl_daemon *d, struct ctl_daemon *prev,
                     size_t *kept, char *err, size_t errlen) {
  *kept = 0;
  /* Start first: a failure leaves prev whole and running.  The new loop
   * only reads the units at its first tick, after the moves below. */
  int rc = start(d, err, errlen);
  if(rc)
    return rc;
  /* prev's units are idle from here on: its loop is gone. */
  struct ctl_loop_stats st;
  ctl_loop_stats(prev->loop, &st);
  ctl_loop_free(&prev->loop);
  for(size_t i = 0; d->carry && i < d->n; i++) {
    if(!d->carry[i])
      continue;
    struct ctl_unit *u = prev->units[d->carry[i] - 1];
    prev->units[d->carry[i] - 1] = NULL;
    u->c = &d->cfg->targets[i];  /* the new file's copy of the same
                                  * settings */
    if(u->fence)
      u->fence_ud = d;
    d->units[i] = u;
    (*kept)++;
  }
  pw_free(d->carry);
  d->carry = NULL;
  if(d->aws_borrowed) {
    prev->aws = NULL;
    d->aws_borrowed = 0;
  }
  carry_records(d, prev);
  if(d->shard_of && !d->shards) {
    d->shards = prev->shards;  /* the same Leases go on being renewed */
    prev->shards = NULL;
  }
  ctl_loop_carry(d->loop, &st);  /* the loop goes on: its counts too */
  return 0;
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

int ctl_daemon_tick(struct ctl_daemon *d, int64_t now_ms, int wait) {
  assert(!d->carry);  /* a reloaded daemon ticks once it has adopted */
  atomic_store(&d->now_ms, now_ms);
  if(d->shards)
    shards_reconcile(d, now_ms);
  int bad = ctl_loop_tick(d->loop, now_ms, wait);
  if(d->store_running) {
    pthread_mutex_lock(&d->mu);
    d->store_kick = 1;
    pthread_cond_signal(&d->store_cv);
    pthread_mutex_unlock(&d->mu);
  }
  return bad;
}

void ctl_daemon_drain(struct ctl_daemon *d) {
  ctl_loop_drain(d->loop);
}
