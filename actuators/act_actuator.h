/*
 * The actuator interface: read and set a target's capacity in its own unit
 * (replicas, provisioned environments).  One file per backend behind it.
 *
 * Every backend answers three questions: what is there (get), what would
 * it ask the platform for if the loop wanted `desired` (plan: read-only,
 * applies the platform's own limits and refusals), and set, which is plan
 * followed by the write.  A dry run calls get and plan and never set, so
 * it records exactly what the real actuator would have done.
 *
 * An actuator is used by one thread at a time.
 */
#ifndef ACT_ACTUATOR_H
#define ACT_ACTUATOR_H

#include "../common/pw_err.h"

/* Flags on a plan or a capacity reading. */
#define ACT_F_LIMITED 0x1u   /* the platform's limits cut the request */
#define ACT_F_REFUSED 0x2u   /* the request was refused before any call */
#define ACT_F_PENDING 0x4u   /* a change is still being applied */
#define ACT_F_UNCHANGED 0x8u /* nothing needed writing */

struct act_capacity {
  long requested;  /* what the platform has been asked for */
  long current;    /* what it has allocated or running now */
  long ready;      /* what serves now (allocated and warm) */
  unsigned flags;  /* ACT_F_* */
};

struct act;

struct act_ops {
  const char *name;
  /* Reads the current capacity.  0 or a negative PW_E* code. */
  int (*get)(struct act *a, struct act_capacity *out);
  /* Says what set(desired) would ask the platform for, in *send, with
   * ACT_F_LIMITED / ACT_F_REFUSED in *flags and the reason in a->why.
   * May read the platform; never changes it.  NULL means send = desired.
   * 0 or a negative PW_E* code (PW_EREFUSED when nothing may be sent). */
  int (*plan)(struct act *a, long desired, long *send, unsigned *flags);
  /* Requests `desired` (after plan); fills out with the capacity
   * afterwards.  On error the platform keeps what it had, and *out says
   * what that is when known (requested = -1 when not). */
  int (*set)(struct act *a, long desired, struct act_capacity *out);
  /* Frees the actuator; NULL-safe through act_free(). */
  void (*free)(struct act *a);
};

struct act {
  const struct act_ops *ops;
  /* Why the last call failed, was limited or was refused, for the
   * decision log and the error message; never holds a secret. */
  char why[256];
};

/* Sets a->why (printf-style), cutting it to size. */
void act_why(struct act *a, const char *fmt, ...) PW_PRINTF(2, 3);

static inline int act_get(struct act *a, struct act_capacity *out) {
  return a->ops->get(a, out);
}

static inline int act_plan(struct act *a, long desired, long *send,
                           unsigned *flags) {
  *flags = 0;
  if(!a->ops->plan) {
    *send = desired;
    return 0;
  }
  return a->ops->plan(a, desired, send, flags);
}

static inline int act_set(struct act *a, long desired,
                          struct act_capacity *out) {
  return a->ops->set(a, desired, out);
}

/* Frees *ap and sets it to NULL; a no-op on NULL. */
static inline void act_free(struct act **ap) {
  if(*ap) {
    (*ap)->ops->free(*ap);
    *ap = (struct act *)0;
  }
}

#endif
