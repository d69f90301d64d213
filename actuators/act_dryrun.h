/*
 * The dry-run actuator: records every capacity it is asked for and never
 * changes anything.  With an inner actuator it still reads the real
 * capacity through it (get) and asks it what it would send (plan), so a
 * dry run shows what is there and exactly what prewarm would have asked
 * for, the platform's limits and refusals included; the inner set() is
 * never called.
 */
#ifndef ACT_DRYRUN_H
#define ACT_DRYRUN_H

#include "act_actuator.h"

/* What a dry run has recorded. */
struct act_dryrun_log {
  long requests;       /* set() calls */
  long last;           /* the last capacity it would have sent, -1 before */
  long changes;        /* requests that differed from the one before */
  long limited;        /* requests the platform's limits cut */
  long refused;        /* requests the actuator refused */
};

/*
 * Makes a dry-run actuator.  inner may be NULL; when given, the dry run
 * takes it over and frees it.  Returns 0 or PW_ENOMEM (inner is freed on
 * failure too).  Free with act_free().
 */
int act_dryrun_new(struct act *inner, struct act **out) PW_WUR;

/* The record of a dry-run actuator made by act_dryrun_new(). */
const struct act_dryrun_log *act_dryrun_log(const struct act *a);

#endif
