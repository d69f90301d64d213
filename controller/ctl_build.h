/*
 * Building a target from its configuration: the one registry of sources
 * and actuators (name, constructor), and the factory that makes a loop
 * unit out of a struct cfg_target.  Used by the daemon (run, reload,
 * --replay) and by `prewarm plan --config`.
 *
 * Not thread-safe: one thread builds at a time (start-up, a reload).
 */
#ifndef CTL_BUILD_H
#define CTL_BUILD_H

#include <stdint.h>

#include "../common/pw_aws.h"
#include "../config/cfg.h"
#include "../telemetry/tel_rw.h"
#include "ctl_unit.h"

/* What building shares across targets. */
struct ctl_build_env {
  struct pw_aws **aws;      /* made on first use by a target that needs
                             * AWS, shared by the rest */
  struct tel_rw *rw;        /* the remote-write buffer (borrowed) */
  int dry_run;              /* wrap every actuator in the dry-run one */
  int uses_rw;              /* out: a target reads remote-write */
};

/* The names the registry knows, for messages and check-config
 * (indexed by enum cfg_source / enum cfg_actuator). */
const char *ctl_build_source_name(enum cfg_source s);
const char *ctl_build_actuator_name(enum cfg_actuator a);

/*
 * A replayed history (csv, demo): row i becomes the step at
 * start_ms + i * step.  0, or an error with err (the file and line).
 */
int ctl_build_replay_source(const struct cfg_target *c, int64_t start_ms,
                            struct tel_source **out, char *err,
                            size_t errlen) PW_WUR;

/* The target's source and actuator by the registry.  0, or an error with
 * err (without the target's name). */
int ctl_build_source(const struct cfg_target *c, struct ctl_build_env *env,
                     int64_t start_ms, int64_t now_ms,
                     struct tel_source **out, char *err, size_t errlen)
  PW_WUR;
int ctl_build_actuator(const struct cfg_target *c, struct ctl_build_env *env,
                       struct act **out, char *err, size_t errlen) PW_WUR;

/*
 * The whole unit for the target configured as c (borrowed; it must
 * outlive the unit).  The daemon's targets keep history_ms before now_ms
 * (start_ms = now_ms - history, step-aligned); with `replay`, a target's
 * series and its csv or demo rows start at now_ms instead and nothing
 * before it is read (prewarm run --replay, as prewarm plan replays).
 * 0, or an error with err naming the target.
 */
int ctl_build_unit(const struct cfg_target *c, struct ctl_build_env *env,
                   int64_t now_ms, double phase, int replay,
                   struct ctl_unit **out, char *err, size_t errlen) PW_WUR;

#endif
