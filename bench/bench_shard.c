/*
 * Sharding at scale (issue 16): 100,000 targets (PREWARM_SHARD_TARGETS
 * sets another count) over 40 shards and 10 replicas, in one process.
 *
 * 1. The split: every name through cfg_shard_of() (the daemon's hash),
 *    the shards dealt to the replicas as ctl_shard's fair share does
 *    (ceil(40 / 10) = 4 each): targets per replica, the largest share.
 * 2. One replica, the one with the largest share: its targets built and
 *    stepped as the daemon's are (ctl_target with two weeks of one-minute
 *    history, Holt-Winters, the hourly refits spread over the hour, as
 *    bench_scale): memory a target and the slowest of 61 ticks.  One
 *    replica is measured, not ten: each replica is its own process with
 *    only its own shards' targets, so the others add nothing to its
 *    memory or its tick; PREWARM_SHARD_REPLICA_TARGETS caps the count.
 * 3. A rebalance's cost: a replica that takes a shard over builds its
 *    targets, loads their history (the store or the source) and fits
 *    each model once, as at start; from the figures of 2, per shard.
 * 4. With PREWARM_SHARD_KUBECONFIG (bench/bench_shard.sh starts the
 *    local API server and sets it): ten real ctl_shard managers, one per
 *    replica, against real Leases: the time to balance, the gap of the
 *    shards of a replica that dies (no release), and of those that move
 *    to a replica that joins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"
#include "../config/cfg.h"
#include "../controller/ctl_demo.h"
#include "../controller/ctl_settings.h"
#include "../controller/ctl_shard.h"
#include "../controller/ctl_target.h"
#include "bench_target.h"

#define SHARDS 40
#define REPLICAS 10

static long env_long(const char *k, long dflt) {
  const char *v = getenv(k);
  return v && *v ? atol(v) : dflt;
}

/* 1: targets per shard and per replica (replica r holds shards r, r+10,
 * r+20, r+30: four each, as any fair-share deal gives). */
static long split(long n, long per_shard[SHARDS], long *worst_replica) {
  char name[32];
  memset(per_shard, 0, sizeof(long) * SHARDS);
  for(long i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "target-%06ld", i);
    per_shard[cfg_shard_of(name, SHARDS)]++;
  }
  long lo = n, hi = 0, shard_hi = 0;
  for(int r = 0; r < REPLICAS; r++) {
    long t = 0;
    for(int k = r; k < SHARDS; k += REPLICAS)
      t += per_shard[k];
    if(t < lo)
      lo = t;
    if(t > hi) {
      hi = t;
      *worst_replica = r;
    }
  }
  for(int k = 0; k < SHARDS; k++)
    if(per_shard[k] > shard_hi)
      shard_hi = per_shard[k];
  printf("shard: %ld targets, %d shards, %d replicas (4 shards each)\n", n,
         SHARDS, REPLICAS);
  printf("shard: targets a replica          %6ld to %6ld (mean %ld)\n", lo,
         hi, n / REPLICAS);
  printf("shard: targets a shard, at most   %6ld\n", shard_hi);
  return hi;
}

/* 2 and 3: one replica's n targets. */
static int replica(long n, long shard_hi) {
  const int64_t t0 = 1800000000000LL, step = 60000;
  double *load = malloc((STEPS + 64) * sizeof(double));
  int64_t *ts = malloc((STEPS + 64) * sizeof(int64_t));
  struct ctl_target **t = calloc((size_t)n, sizeof(*t));
  if(!load || !ts || !t)
    return 1;
  ctl_demo_generate(load, STEPS + 64, 60, 7);
  for(int i = 0; i < STEPS + 64; i++)
    ts[i] = t0 + i * step;
  size_t before = heap_bytes();
  struct ctl_target_cfg c;
  cfg_for(&c, t0);
  char err[128];
  double w = pw_clock_mono_ms();
  for(long i = 0; i < n; i++) {
    c.phase = (double)i / (double)n;
    if(ctl_target_new(&c, &t[i], err, sizeof(err)))
      return 1;
    ctl_target_observe(t[i], ts, load, STEPS);
  }
  double load_ms = pw_clock_mono_ms() - w;
  struct ctl_decision d;
  struct act_capacity cap;
  w = pw_clock_mono_ms();
  for(long i = 0; i < n; i++)
    (void)ctl_target_tick(t[i], t0 + STEPS * step, NULL, &d, &cap);
  double fit_ms = pw_clock_mono_ms() - w;
  size_t per = (heap_bytes() - before) / (size_t)n;
  double worst = 0, sum = 0;
  for(int k = 0; k < 61; k++) {
    int64_t now = t0 + (STEPS + 1 + k) * step;
    w = pw_clock_mono_ms();
    for(long i = 0; i < n; i++) {
      ctl_target_observe(t[i], &ts[STEPS + k], &load[STEPS + k], 1);
      (void)ctl_target_tick(t[i], now, NULL, &d, &cap);
    }
    double ms = pw_clock_mono_ms() - w;
    sum += ms;
    if(ms > worst)
      worst = ms;
  }
  printf("shard: one replica, %ld targets, two weeks of history each\n", n);
  printf("shard: memory a target          %8.1f KiB target <= 200 KiB: %s\n",
         (double)per / 1024.0, per <= 200 * 1024 ? "met" : "NOT MET");
  printf("shard: a tick (mean of 61)     %8.1f ms\n", sum / 61);
  printf("shard: the slowest of 61 ticks  %8.1f ms  target < 1000 ms: %s\n",
         worst, worst < 1000 ? "met" : "NOT MET");
  double per_target = (load_ms + fit_ms) / (double)n;
  printf("shard: a takeover, a target     %8.2f ms (history %.2f, first "
         "fit %.2f), on one core\n", per_target, load_ms / (double)n,
         fit_ms / (double)n);
  printf("shard: a takeover, a shard      %8.1f s for %ld targets (history "
         "reloads: %ld), spread over the workers\n",
         per_target * (double)shard_hi / 1000, shard_hi, shard_hi);
  for(long i = 0; i < n; i++)
    ctl_target_free(&t[i]);
  free(t);
  free(load);
  free(ts);
  return 0;
}

/* ---- 4: real managers against real Leases ---- */

static struct ctl_shard *mgr[REPLICAS];

static int start_one(int r, const char *kc) {
  char id[32], err[256];
  snprintf(id, sizeof(id), "bench-r%d", r);
  struct ctl_shard_cfg c = {SHARDS, "bench-shard", NULL, id, 3000, 2000,
                            500, kc, NULL};
  if(ctl_shard_start(&c, &mgr[r], err, sizeof(err))) {
    fprintf(stderr, "bench_shard: %s\n", err);
    return 1;
  }
  return 0;
}

/* The holders now: held[k] counts the managers holding shard k; each
 * manager is told its shards are idle (no daemon: targets free at once).
 * Returns how many managers hold exactly `each`. */
static int poll_held(int held[SHARDS], long each) {
  int at = 0;
  memset(held, 0, sizeof(int) * SHARDS);
  for(int r = 0; r < REPLICAS; r++) {
    if(!mgr[r])
      continue;
    long mine = 0;
    for(long k = 0; k < SHARDS; k++) {
      int h = ctl_shard_held(mgr[r], k);
      held[k] += h;
      mine += h;
      ctl_shard_set_idle(mgr[r], k, !h);
    }
    at += mine == each;
  }
  return at;
}

/* Polls every 20 ms until `want` managers hold `each` shards and every
 * shard is held once (or 30 s); the longest a shard was held by nobody,
 * and whether two managers ever held one shard at once. */
static double settle(int want, long each, double *gap_ms, int *double_held) {
  int held[SHARDS];
  double t0 = pw_clock_mono_ms(), unheld_since[SHARDS];
  for(int k = 0; k < SHARDS; k++)
    unheld_since[k] = -1;
  *gap_ms = 0;
  for(;;) {
    double now = pw_clock_mono_ms();
    int at = poll_held(held, each), all = 1;
    for(int k = 0; k < SHARDS; k++) {
      *double_held |= held[k] > 1;
      all &= held[k] == 1;
      if(!held[k] && unheld_since[k] < 0)
        unheld_since[k] = now;
      if(held[k] && unheld_since[k] >= 0) {
        if(now - unheld_since[k] > *gap_ms)
          *gap_ms = now - unheld_since[k];
        unheld_since[k] = -1;
      }
    }
    if(((want < 0 || at == want) && all) || now - t0 > 30000)
      return now - t0;
    pw_sleep_ms(20);
  }
}

static int handover(const char *kc) {
  double gap, t;
  int dbl = 0;
  for(int r = 0; r < REPLICAS; r++)
    if(start_one(r, kc))
      return 1;
  t = settle(REPLICAS, SHARDS / REPLICAS, &gap, &dbl);
  printf("shard: leases 3 s, renew 2 s, retry 0.5 s; %d managers, one "
         "process, the local API server\n", REPLICAS);
  printf("shard: ten replicas balanced in %8.2f s after the start\n",
         t / 1000);
  ctl_shard_abandon(&mgr[REPLICAS - 1]);  /* dies: releases nothing */
  t = settle(-1, 0, &gap, &dbl);  /* 4 or 5 each */
  printf("shard: one dies: its shards unheld %5.2f s at most (bound: "
         "lease 3 s + retry 0.6 s + a round)\n", gap / 1000);
  if(start_one(REPLICAS - 1, kc))
    return 1;
  t = settle(REPLICAS, SHARDS / REPLICAS, &gap, &dbl);
  printf("shard: it joins again: balanced in %5.2f s, a moved shard "
         "unheld %5.2f s at most (< lease 3 s)\n", t / 1000, gap / 1000);
  printf("shard: a shard held by two at once: %s\n", dbl ? "YES" : "never");
  for(int r = 0; r < REPLICAS; r++)
    ctl_shard_stop(&mgr[r]);
  return dbl;
}

int main(void) {
  long per_shard[SHARDS], worst = 0;
  gsl_set_error_handler_off();
  pw_log_threshold = PW_LOG_ERROR;
  const char *kc = getenv("PREWARM_SHARD_KUBECONFIG");
  if(kc && *kc)
    return handover(kc);
  long n = env_long("PREWARM_SHARD_TARGETS", 100000);
  if(n <= 0)
    return 0;
  long hi = split(n, per_shard, &worst);
  long shard_hi = 0;
  for(int k = 0; k < SHARDS; k++)
    if(per_shard[k] > shard_hi)
      shard_hi = per_shard[k];
  long m = env_long("PREWARM_SHARD_REPLICA_TARGETS", hi);
  return replica(m < hi ? m : hi, shard_hi);
}
