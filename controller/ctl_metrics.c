/*
 * /metrics: the Prometheus text format 0.0.4 (CONTRACTS.md 5.2), from
 * the targets' published snapshots and the loop's statistics; no I/O and
 * no target state is touched.
 *
 * At 10,000 targets a scrape is some 300,000 lines, so a sample is built
 * in a small array and appended once, and integral values (counters,
 * capacities, most loads) skip printf.  Each family takes each target's
 * publish lock once, for a copy of the few numbers it needs.
 */
#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_log.h"
#include "ctl_daemon_int.h"

#define NaN ((double)NAN)

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

enum gauge { G_DESIRED, G_REQUESTED, G_READY, G_LOAD, G_MEAN, G_UPPER,
             G_ERROR, G_STALE, G_FIT, G_SKIPPED, G_ACT_STALE, G_QUANTILE,
             G_HEADROOM, G_SLO_OBJECTIVE, G_SLO_MISS, G_WARMUP, G_LEAD,
             G_SURGE,
             G_COUNT };

static double gauge_of(const struct ctl_unit *u, const struct ctl_snap *z,
                       int which, int64_t now_ms) {
  switch(which) {
  case G_DESIRED: return z->have ? (double)z->desired : NaN;
  case G_REQUESTED: return z->have && z->requested >= 0
                           ? (double)z->requested : NaN;
  case G_READY: return z->have && z->ready >= 0 ? (double)z->ready : NaN;
  case G_LOAD: return z->load;
  case G_MEAN: return z->forecast_mean;
  case G_UPPER: return z->forecast_upper;
  case G_ERROR: return z->error_ratio;
  case G_STALE: return ctl_snap_stale(z, u->feed.lag_ms, now_ms);
  case G_FIT: return z->fit_s;
  case G_SKIPPED: return (double)atomic_load(&u->ticks_skipped);
  case G_ACT_STALE: return z->have ? z->act_stale : NaN;
  case G_QUANTILE: return z->quantile;
  case G_HEADROOM: return z->headroom;
  case G_SLO_OBJECTIVE: return z->slo_objective;
  case G_SLO_MISS: return z->slo_miss;
  case G_WARMUP: return z->warmup_s;
  case G_LEAD: return z->lead_s;
  case G_SURGE: return z->surge_active;
  default: return NaN;
  }
}

/* One family over all targets. */
static int per_target(struct ctl_daemon *d, struct pw_buf *b,
                      const char *name, const char *type, const char *help,
                      int which, int64_t now_ms) {
  int rc = family(b, name, type, help);
  for(size_t i = 0; rc == 0 && i < d->n; i++) {
    struct ctl_unit *u = d->units[i];
    if(!u)
      continue;  /* with sharding: another replica's */
    double v = gauge_of(u, ctl_unit_snap_lock(u), which, now_ms);
    ctl_unit_snap_unlock(u);
    rc = sample(b, name, u->c->name, NULL, NULL, v);
  }
  return rc;
}

/* A labelled counter family: n values per target. */
static int labelled(struct ctl_daemon *d, struct pw_buf *b, const char *name,
                    const char *help, const char *label,
                    const char *const *values, int n,
                    long (*get)(const struct ctl_snap *, int)) {
  int rc = family(b, name, "counter", help);
  long v[32];
  assert(n <= 32);
  for(size_t i = 0; rc == 0 && i < d->n; i++) {
    struct ctl_unit *u = d->units[i];
    if(!u)
      continue;
    const struct ctl_snap *z = ctl_unit_snap_lock(u);
    for(int k = 0; k < n; k++)
      v[k] = get(z, k);
    ctl_unit_snap_unlock(u);
    for(int k = 0; rc == 0 && k < n; k++)
      rc = sample(b, name, u->c->name, label, values[k], (double)v[k]);
  }
  return rc;
}

static long by_reason(const struct ctl_snap *z, int k) {
  return z->by_reason[k];
}

static long by_result(const struct ctl_snap *z, int k) {
  return z->acts[k];
}

static long src_counts(const struct ctl_snap *z, int k) {
  return k == 0 ? z->src_failures : z->src_rejected;
}

static int counters(struct ctl_daemon *d, struct pw_buf *b) {
  const char *reasons[CTL_RB_COUNT];
  char names[CTL_RB_COUNT][32];
  for(int r = 0; r < CTL_RB_COUNT; r++) {
    ctl_reasons_format(1u << r, names[r], sizeof(names[r]));
    reasons[r] = names[r];
  }
  int rc = labelled(d, b, "prewarm_decisions_total",
                    "Decisions by reason (a decision may have several).",
                    "reason", reasons, CTL_RB_COUNT, by_reason);
  if(rc == 0)
    rc = labelled(d, b, "prewarm_actuations_total", "Actuator calls by "
                  "result (standby: not the leader; pending: an earlier "
                  "change is still being applied).", "result",
                  ctl_act_result_names, CTL_ACT_RESULTS, by_result);
  for(int k = 0; rc == 0 && k < 2; k++) {
    const char *name = k ? "prewarm_source_rejected_samples_total"
                         : "prewarm_source_errors_total";
    rc = family(b, name, "counter", k ? "Samples refused: non-finite, "
                "negative, duplicated, out of order or off the step grid."
                : "Failed reads of the target's load.");
    for(size_t i = 0; rc == 0 && i < d->n; i++) {
      struct ctl_unit *u = d->units[i];
      if(!u)
        continue;
      long v = src_counts(ctl_unit_snap_lock(u), k);
      ctl_unit_snap_unlock(u);
      rc = sample(b, name, u->c->name, NULL, NULL, (double)v);
    }
  }
  return rc;
}

/* The series of one histogram; label is "" or k="v" (already escaped). */
static int histogram_render(struct pw_buf *b, const char *name,
                            const char *label,
                            const struct ctl_histogram *h) {
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

static int loop_metrics(struct pw_buf *b, const struct ctl_loop_stats *st) {
  int rc = family(b, "prewarm_tick_duration_seconds", "histogram",
                  "Time from a tick's start to its last target's step.");
  if(rc == 0)
    rc = histogram_render(b, "prewarm_tick_duration_seconds", "", &st->tick);
  if(rc == 0)
    rc = family(b, "prewarm_fit_duration_seconds", "histogram",
                "Time of one model fit, over all targets, by kind: select "
                "(a model chosen afresh), full, refit (the hourly one).");
  for(int k = 0; rc == 0 && k < CTL_FIT_KINDS; k++) {
    char label[32];
    snprintf(label, sizeof(label), "kind=\"%s\"", ctl_fit_kind_names[k]);
    rc = histogram_render(b, "prewarm_fit_duration_seconds", label,
                          &st->fit[k]);
  }
  if(rc == 0)
    rc = family(b, "prewarm_targets_stepping", "gauge",
                "Targets whose step is running now (reading, fitting or "
                "acting).");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_targets_stepping %ld\n", st->busy);
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
              {"refused", st.refused}, {"rejected", st.rejected},
              {"unauthorized", st.unauthorized}};
  int rc = family(b, "prewarm_remote_write_total", "counter",
                  "Remote-write requests and samples received, by what "
                  "became of them.");
  for(size_t i = 0; rc == 0 && i < sizeof(rows) / sizeof(rows[0]); i++)
    rc = pw_buf_printf(b, "prewarm_remote_write_total{what=\"%s\"} %ld\n",
                       rows[i].what, rows[i].v);
  return rc;
}

static int record_metrics(struct ctl_daemon *d, struct pw_buf *b) {
  struct ctl_daemon_store_stats st;
  ctl_daemon_store_stats(d, &st);
  int rc = 0;
  if(d->cfg->dlog_path) {
    rc = family(b, "prewarm_decision_log_errors_total", "counter",
                "Decisions the decision log could not write (each cut "
                "back to the last whole record).");
    if(rc == 0)
      rc = pw_buf_printf(b, "prewarm_decision_log_errors_total %ld\n",
                         st.dlog_errors);
    if(rc == 0)
      rc = family(b, "prewarm_decision_log_failing", "gauge",
                  "1 while the decision log's last write failed.");
    if(rc == 0)
      rc = pw_buf_printf(b, "prewarm_decision_log_failing %d\n",
                         st.dlog_failing);
  }
  if(rc == 0 && d->store) {
    rc = family(b, "prewarm_store_rows_total", "counter",
                "Rows for the store by what became of them: written, "
                "failed (a failed write keeps them queued; counted at each "
                "try), dropped (the oldest, when a queue was full).");
    if(rc == 0)
      rc = pw_buf_printf(b, "prewarm_store_rows_total{result=\"written\"} "
                         "%ld\nprewarm_store_rows_total{result=\"failed\"} "
                         "%ld\nprewarm_store_rows_total{result=\"dropped\"} "
                         "%ld\n", st.store.written, st.store.failed,
                         st.store.dropped + st.dropped);
    if(rc == 0)
      rc = family(b, "prewarm_store_flush_failures_total", "counter",
                  "Writes to the store that failed.");
    if(rc == 0)
      rc = pw_buf_printf(b, "prewarm_store_flush_failures_total %ld\n",
                         st.store.flush_failures);
    if(rc == 0)
      rc = family(b, "prewarm_store_queue_rows", "gauge",
                  "Rows waiting to be written to the store.");
    if(rc == 0)
      rc = pw_buf_printf(b, "prewarm_store_queue_rows %ld\n",
                         st.queued + st.store.queued);
  }
  return rc;
}

int ctl_metrics_render(struct ctl_daemon *d, struct pw_buf *b) {
  static const struct {
    const char *name, *type, *help;
  } gauges[G_COUNT] = {
    {"prewarm_target_desired", "gauge", "Capacity the policy asks for."},
    {"prewarm_target_requested", "gauge",
     "Capacity the platform has been asked for."},
    {"prewarm_target_ready", "gauge", "Capacity that serves now."},
    {"prewarm_target_load", "gauge", "The last observed load."},
    {"prewarm_target_forecast_mean", "gauge",
     "Mean forecast at the lead time."},
    {"prewarm_target_forecast_upper", "gauge",
     "The provisioned forecast quantile at the lead time."},
    {"prewarm_target_forecast_error_ratio", "gauge",
     "Recent forecast error relative to persistence."},
    {"prewarm_target_stale", "gauge",
     "1 when no new data arrived for 3 steps."},
    {"prewarm_target_fit_seconds", "gauge", "Duration of the last model fit."},
    {"prewarm_target_skipped_ticks_total", "counter",
     "Ticks the target missed because its last step (a slow source or "
     "actuator) was still running."},
    {"prewarm_target_actuator_stale", "gauge",
     "1 when the platform could not be read at the last step: requested "
     "and ready are the last values read."},
    {"prewarm_target_quantile", "gauge",
     "The forecast quantile provisioned now (SLO feedback moves it)."},
    {"prewarm_target_headroom", "gauge",
     "The headroom on the forecast now (SLO feedback moves it past the "
     "top quantile)."},
    {"prewarm_target_slo_objective", "gauge",
     "The share of load (Kubernetes) or invocations (Lambda) the target's "
     "objective lets miss; NaN without one."},
    {"prewarm_target_slo_miss_ratio", "gauge",
     "The share missed over the objective's window: load above ready "
     "capacity, or cold starts by the platform model; NaN without one."},
    {"prewarm_target_warmup_seconds", "gauge",
     "Measured warm-up: the 90th percentile of the times from a rise asked "
     "for to its capacity ready (NaN until 5 were timed)."},
    {"prewarm_target_lead_seconds", "gauge",
     "The lead time decisions cover now: the measured warm-up and a tick, "
     "at most the configured warm-up's."},
    {"prewarm_target_surge_guard_active", "gauge",
     "1 while the calibrated surge guard has paid for itself and acts on a "
     "surge, 0 while it only runs in the shadow; NaN without one."},
  };
  struct ctl_loop_stats st;
  long ok, refused;
  int64_t now = atomic_load(&d->now_ms);
  ctl_loop_stats(d->loop, &st);
  pthread_mutex_lock(&d->mu);
  ok = d->reloads_ok;
  refused = d->reloads_refused;
  pthread_mutex_unlock(&d->mu);
  int rc = family(b, "prewarm_build_info", "gauge", "prewarm's version.");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_build_info{version=\"0.1.0\"} 1\n");
  if(rc == 0)
    rc = family(b, "prewarm_leader", "gauge", "1 when this replica "
                "actuates (always 1 without leader election).");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_leader %d\n", ctl_daemon_leading(d));
  if(rc == 0)
    rc = family(b, "prewarm_dry_run", "gauge", "1 when --dry-run or "
                "dry_run: true makes every actuator record only.");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_dry_run %d\n", d->dry_run);
  for(int k = 0; rc == 0 && k < G_COUNT; k++)
    rc = per_target(d, b, gauges[k].name, gauges[k].type, gauges[k].help, k,
                    now);
  if(rc == 0)
    rc = counters(d, b);
  if(rc == 0)
    rc = loop_metrics(b, &st);
  if(rc == 0 && d->uses_rw)
    rc = rw_metrics(d, b);
  if(rc == 0)
    rc = record_metrics(d, b);
  if(rc == 0 && d->shards)
    rc = ctl_daemon_shard_metrics(d, b);
  if(rc == 0)
    rc = family(b, "prewarm_config_reloads_total", "counter",
                "SIGHUP reloads, by result (a refused file changes nothing).");
  if(rc == 0)
    rc = pw_buf_printf(b, "prewarm_config_reloads_total{result=\"ok\"} %ld\n"
                       "prewarm_config_reloads_total{result=\"refused\"} "
                       "%ld\n", ok, refused);
  return rc;
}
