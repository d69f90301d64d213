/*
 * `prewarm plan --config FILE`: capacity planning from the daemon's own
 * configuration.  Each selected target's history is read from its
 * configured source (Prometheus, CloudWatch, PostgreSQL, CSV, demo; a
 * remote-write target from the PostgreSQL store), put on the target's
 * step grid, and planned with ctl_plan_replay() under the target's
 * settings and platform, exactly as `prewarm plan --trace` plans a file.
 */
#ifndef CTL_PLAN_CONFIG_H
#define CTL_PLAN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"
#include "../telemetry/tel_source.h"

/*
 * One target's history on its step grid: load[i] is the step that starts
 * at start_ms + i * step_ms, NAN where the source had nothing.  Owned;
 * free with ctl_plan_history_cleanup().
 */
struct ctl_plan_history {
  double *load;
  size_t n;
  int64_t start_ms, step_ms;
  size_t missing;         /* steps without a finite value */
  long rejected;          /* samples off the grid, outside the window or
                           * repeated (the source counts its own too) */
};

/*
 * Puts s (oldest first) on the grid of n steps from start_ms: a sample
 * stamped T fills step (T - start_ms) / step_ms when T is on the grid
 * inside [start_ms, start_ms + n * step_ms); any other sample, and a
 * second one for a step already filled, is counted in h->rejected.
 * 0 or PW_ENOMEM.  Exposed for tests.
 */
int ctl_plan_history_grid(const struct tel_samples *s, int64_t start_ms,
                          int64_t step_ms, size_t n,
                          struct ctl_plan_history *h) PW_WUR;
void ctl_plan_history_cleanup(struct ctl_plan_history *h);

/* Runs `prewarm plan --config ...` (argv as ctl_plan_main() has it);
 * returns the exit status: 0, 1 when a target could not be planned
 * (the others are still reported), 2 for bad arguments or a bad file. */
int ctl_plan_config_main(int argc, char **argv);

/* Whether argv asks for --config (ctl_plan_main() hands over then). */
int ctl_plan_config_wanted(int argc, char **argv);

#endif
