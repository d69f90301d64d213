/*
 * The daemon's read-only HTTP endpoints: /api/v1/targets[/NAME[/history]]
 * and /api/v1/target-names (JSON), /healthz, /readyz, /ui, and the
 * routing of GET requests to them and to /metrics.  Everything comes
 * from the targets' published snapshots and the loop's statistics: a
 * handler never waits on I/O, a fit or a target's step, and several may
 * run at once.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_clock.h"
#include "ctl_daemon_int.h"
#include "ctl_ui.h"

#define NaN ((double)NAN)

/* The writers below append without checking each piece: a pw_buf keeps
 * its first error (pw_buf_error()), and the caller asks once. */

static void json_num(struct pw_buf *b, const char *key, double v) {
  if(!isfinite(v))
    pw_buf_addf(b, "\"%s\":null,", key);
  else
    pw_buf_addf(b, "\"%s\":%.10g,", key, v);
}

static void json_array(struct pw_buf *b, const char *key, const double *v,
                       size_t n) {
  pw_buf_addf(b, ",\"%s\":[", key);
  for(size_t k = 0; k < n; k++)
    if(isfinite(v[k]))
      pw_buf_addf(b, "%s%.6g", k ? "," : "", v[k]);
    else
      pw_buf_adds(b, k ? ",null" : "null");
  pw_buf_adds(b, "]");
}

/* One target; with path, the forecast over the lead window too.  Called
 * with the unit's publish lock held. */
static void target_json(const struct ctl_unit *u, const struct ctl_snap *z,
                        int64_t now_ms, struct pw_buf *b, int path) {
  char reasons[256] = "";
  pw_buf_adds(b, "{\"name\":");
  pw_buf_add_json(b, u->c->name);
  pw_buf_addf(b, ",\"step_seconds\":%lld,",
              (long long)(u->c->step_ms / 1000));
  json_num(b, "desired", z->have ? (double)z->desired : NaN);
  json_num(b, "requested", z->have && z->requested >= 0
                             ? (double)z->requested : NaN);
  json_num(b, "ready", z->have && z->ready >= 0 ? (double)z->ready : NaN);
  json_num(b, "load", z->load);
  json_num(b, "forecast_error_ratio", z->error_ratio);
  json_num(b, "quantile", z->quantile);
  json_num(b, "headroom", z->headroom);
  json_num(b, "slo_objective", z->slo_objective);
  json_num(b, "slo_miss", z->slo_miss);
  json_num(b, "warmup_measured_seconds", z->warmup_s);
  json_num(b, "lead_seconds", z->lead_s);
  json_num(b, "surge_guard_active", z->surge_active);
  ctl_reasons_format(z->reasons, reasons, sizeof(reasons));
  pw_buf_addf(b, "\"decided_at_ms\":%lld,\"reasons\":",
              (long long)z->at_ms);
  pw_buf_add_json(b, reasons);
  pw_buf_addf(b, ",\"stale\":%s,\"source_error\":",
              ctl_snap_stale(z, u->feed.lag_ms, now_ms) ? "true" : "false");
  pw_buf_add_json(b, z->src_why);
  pw_buf_addf(b, ",\"actuation\":\"%s\",\"actuator\":",
              z->have ? ctl_act_result_names[z->act_last] : "");
  pw_buf_add_json(b, z->act_why);
  if(path && z->path_h) {
    json_array(b, "forecast_mean", z->path_mean, (size_t)z->path_h);
    json_array(b, "forecast_upper", z->path_upper, (size_t)z->path_h);
  }
  pw_buf_adds(b, "}");
}

/* /api/v1/targets/NAME/history: the last CTL_SNAP_HIST steps of load from
 * the target's series (backfilled history included), the outlook, and
 * the recent ticks, oldest first.  Called with the publish lock held. */
static void history_json(const struct ctl_unit *u, const struct ctl_snap *z,
                         struct pw_buf *b) {
  pw_buf_adds(b, "{\"name\":");
  pw_buf_add_json(b, u->c->name);
  pw_buf_addf(b, ",\"unit_capacity\":%.10g,\"step_ms\":%lld,"
              "\"load_start_ms\":%lld", u->c->unit_capacity,
              (long long)z->step_ms, (long long)z->load_start_ms);
  json_array(b, "load", z->load_hist, z->nload);
  pw_buf_addf(b, ",\"outlook_start_ms\":%lld",
              (long long)z->outlook_start_ms);
  json_array(b, "outlook_mean", z->out_mean, z->nout);
  json_array(b, "outlook_upper", z->out_upper, z->nout);
  json_array(b, "outlook_capacity", z->out_cap, z->nout);
  pw_buf_adds(b, ",\"ticks\":[");
  for(size_t i = 0; i < z->npoints; i++) {
    const struct ctl_snap_point *p =
      &z->points[(z->head + CTL_SNAP_HIST - z->npoints + i) % CTL_SNAP_HIST];
    char reasons[256];
    ctl_reasons_format(p->reasons, reasons, sizeof(reasons));
    pw_buf_addf(b, "%s{\"t\":%lld,\"desired\":%ld,\"ready\":%ld,"
                "\"reasons\":", i ? "," : "", (long long)p->ts_ms,
                p->desired, p->ready);
    pw_buf_add_json(b, reasons);
    pw_buf_adds(b, "}");
  }
  pw_buf_adds(b, "]}\n");
}

static unsigned api(struct ctl_daemon *d, const char *url,
                    struct pw_buf *b) {
  const char *name = url + strlen("/api/v1/targets");
  int64_t now = atomic_load(&d->now_ms);
  if(*name == '\0') {
    pw_buf_adds(b, "{\"targets\":[");
    for(size_t i = 0, first = 1; i < d->n; i++) {
      struct ctl_unit *u = d->units[i];
      if(!u)
        continue;  /* another replica's shard */
      if(!first)
        pw_buf_adds(b, ",");
      first = 0;
      target_json(u, ctl_unit_snap_lock(u), now, b, 0);
      ctl_unit_snap_unlock(u);
    }
    pw_buf_adds(b, "]}\n");
    return pw_buf_error(b) ? 500 : 200;
  }
  if(*name != '/')
    return 0;
  size_t len = strcspn(name + 1, "/");
  int hist = strcmp(name + 1 + len, "/history") == 0;
  if(name[1 + len] && !hist)
    return 0;
  for(size_t i = 0; i < d->n; i++) {
    struct ctl_unit *u = d->units[i];
    if(!u)
      continue;
    if(strlen(u->c->name) != len || strncmp(u->c->name, name + 1, len) != 0)
      continue;
    const struct ctl_snap *z = ctl_unit_snap_lock(u);
    if(hist)
      history_json(u, z, b);
    else
      target_json(u, z, now, b, 1);
    ctl_unit_snap_unlock(u);
    if(!hist)
      pw_buf_adds(b, "\n");
    return pw_buf_error(b) ? 500 : 200;
  }
  pw_buf_adds(b, "{\"error\":\"no such target\"}\n");
  return pw_buf_error(b) ? 500 : 404;
}

/* /api/v1/target-names: {"names":[...]}, the configured order; what /ui
 * lists, about 20 bytes a target where /api/v1/targets is 220. */
static unsigned names(struct ctl_daemon *d, struct pw_buf *b) {
  pw_buf_adds(b, "{\"names\":[");
  for(size_t i = 0, first = 1; i < d->n; i++) {
    if(!d->units[i])
      continue;
    if(!first)
      pw_buf_adds(b, ",");
    first = 0;
    pw_buf_add_json(b, d->units[i]->c->name);
  }
  pw_buf_adds(b, "]}\n");
  return pw_buf_error(b) ? 500 : 200;
}

/*
 * Alive: the loop has dispatched a tick, and some target finished a step,
 * within three of its intervals plus 30 s (or it has not started yet).
 * The loop thread never waits on I/O, so it stops dispatching only when
 * the process is wedged; steps stop finishing when every worker is stuck.
 */
static unsigned healthz(struct ctl_daemon *d, struct pw_buf *body) {
  struct ctl_loop_stats st;
  ctl_loop_stats(d->loop, &st);
  double every = (double)ctl_daemon_tick_ms(d->cfg) /
                 (d->cfg->speed > 0 ? d->cfg->speed : 1);
  double bound = 3 * every + 30000, now = pw_clock_mono_ms();
  const char *why = NULL;
  double since = 0;
  if(st.ticks && now - st.last_tick_mono_ms > bound) {
    why = "the loop has not ticked";
    since = now - st.last_tick_mono_ms;
  } else if(st.steps && d->n && now - st.last_step_mono_ms > bound) {
    why = "no target has finished a step";
    since = now - st.last_step_mono_ms;
  }
  if(why)
    return pw_buf_printf(body, "%s for %.0f s\n", why, since / 1000) ? 500
                                                                      : 503;
  /* A decision log that cannot write is said here (and in /metrics) but
   * does not fail the probe: a restart would not empty a full disk, and
   * would throw every model away. */
  struct ctl_daemon_store_stats rs;
  ctl_daemon_store_stats(d, &rs);
  if(rs.dlog_failing)
    return pw_buf_printf(body, "ok; degraded: the decision log cannot "
                         "write: %s\n", rs.dlog_why) ? 500 : 200;
  return pw_buf_printf(body, "ok\n") ? 500 : 200;
}

/* Ready: every target's decisions are current, i.e. its source has
 * answered and it is not stale (no new data for CTL_STALE_STEPS steps). */
static unsigned readyz(struct ctl_daemon *d, struct pw_buf *body) {
  size_t answered = 0, stale = 0, built = 0;
  const char *first = NULL;
  int64_t now = atomic_load(&d->now_ms);
  for(size_t i = 0; i < d->n; i++) {
    struct ctl_unit *u = d->units[i];
    if(!u)
      continue;  /* with sharding: not this replica's */
    built++;
    const struct ctl_snap *z = ctl_unit_snap_lock(u);
    int a = z->answered, s = ctl_snap_stale(z, u->feed.lag_ms, now);
    ctl_unit_snap_unlock(u);
    answered += a != 0;
    if(a && s && !stale++)
      first = u->c->name;
  }
  unsigned status = answered == built && stale == 0 ? 200 : 503;
  int rc = pw_buf_printf(body, "%zu of %zu sources answered; %zu stale "
                         "(no new data for %d steps)%s%s\n", answered, built,
                         stale, CTL_STALE_STEPS, first ? ", first: " : "",
                         first ? first : "");
  return rc ? 500 : status;
}

/* Under the units' read lock: with sharding, the loop thread puts units
 * in and takes them out (memory only) under its write lock. */
static unsigned get_locked(struct ctl_daemon *d, const char *url,
                           struct pw_buf *body, const char **content_type);

unsigned ctl_daemon_get(void *ud, const char *url, struct pw_buf *body,
                        const char **content_type) {
  struct ctl_daemon *d = ud;
  pthread_rwlock_rdlock(&d->units_mu);
  unsigned st = get_locked(d, url, body, content_type);
  pthread_rwlock_unlock(&d->units_mu);
  return st;
}

static unsigned get_locked(struct ctl_daemon *d, const char *url,
                           struct pw_buf *body, const char **content_type) {
  if(strcmp(url, "/api/v1/shards") == 0) {
    *content_type = "application/json";
    return ctl_daemon_shards_json(d, body);
  }
  if(strcmp(url, "/metrics") == 0) {
    *content_type = "text/plain; version=0.0.4; charset=utf-8";
    return ctl_metrics_render(d, body) ? 500 : 200;
  }
  if(strcmp(url, "/healthz") == 0)
    return healthz(d, body);
  if(strcmp(url, "/readyz") == 0)
    return readyz(d, body);
  if(strcmp(url, "/ui") == 0 || strcmp(url, "/") == 0) {
    *content_type = "text/html; charset=utf-8";
    for(size_t i = 0; ctl_ui_page[i]; i++)
      if(pw_buf_append(body, ctl_ui_page[i], strlen(ctl_ui_page[i])))
        return 500;
    return 200;
  }
  if(strcmp(url, "/api/v1/target-names") == 0) {
    *content_type = "application/json";
    return names(d, body);
  }
  if(strncmp(url, "/api/v1/targets", 15) == 0) {
    *content_type = "application/json";
    return api(d, url, body);
  }
  return 0;
}
