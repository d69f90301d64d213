/*
 * A target's configuration for the controller's unit tests.
 */
#ifndef TEST_TARGET_H
#define TEST_TARGET_H

#include "../../config/cfg.h"

/* A Kubernetes target as a file would configure it with these keys, the
 * rest the defaults, but with the reactive floor at full utilisation and
 * no stabilisation, so a test's numbers stay plain. */
static inline void test_target(struct cfg_target *t, int64_t step_ms,
                               int64_t warmup_ms, double unit, long max) {
  static char name[] = "t";
  cfg_target_defaults(t);
  t->name = name;
  t->actuator = CFG_ACT_KUBERNETES;
  t->step_ms = step_ms;
  t->warmup_ms = warmup_ms;
  t->unit_capacity = unit;
  t->floor_utilization = 1;
  t->stabilization_ms = 0;
  t->max = max;
}

#endif
