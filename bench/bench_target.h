/*
 * What the daemon-scale benchmarks share (bench_scale.c, bench_shard.c):
 * the target they tick by the thousand, its history length, and the heap
 * in use.
 */
#ifndef BENCH_TARGET_H
#define BENCH_TARGET_H

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "../config/cfg.h"
#include "../controller/ctl_settings.h"
#include "../controller/ctl_target.h"

/* Two weeks of one-minute history. */
#define STEPS (14 * 1440)

static size_t heap_bytes(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

/* A Kubernetes target configured as a daemon's would be: one-minute
 * steps, a two-minute warm-up, the hourly refit, the daily period known
 * and Holt-Winters chosen, as after a daemon's start. */
static struct ctl_schedule *sched;

static void cfg_for(struct ctl_target_cfg *c, int64_t start_ms) {
  static struct cfg_target t;
  static char hw[] = "hw";
  cfg_target_defaults(&t);
  t.actuator = CFG_ACT_KUBERNETES;
  t.step_ms = 60000;
  t.warmup_ms = 120000;
  t.unit_capacity = 1000;
  t.max = 1000;
  t.period = 1440;
  t.model = hw;
  t.history_ms = STEPS * 60000LL;
  if(ctl_settings_target(&t, start_ms, 0, c, &sched))
    exit(1);
}

#endif
