/*
 * The actuator interface: read and set a target's capacity in its own unit
 * (replicas, provisioned environments).  One file per backend behind it.
 */
#ifndef ACT_ACTUATOR_H
#define ACT_ACTUATOR_H

#include "../common/pw_err.h"

struct act_capacity {
  long requested;  /* what the platform has been asked for */
  long ready;      /* what serves now (allocated and warm) */
};

struct act;

struct act_ops {
  const char *name;
  /* Reads the current capacity.  0 or a negative PW_E* code. */
  int (*get)(struct act *a, struct act_capacity *out);
  /* Requests `desired`; fills out with the capacity afterwards.  On error
   * the platform keeps what it had, and *out says what that is when known
   * (requested = -1 when not). */
  int (*set)(struct act *a, long desired, struct act_capacity *out);
  /* Frees the actuator; NULL-safe through act_free(). */
  void (*free)(struct act *a);
};

struct act {
  const struct act_ops *ops;
};

static inline int act_get(struct act *a, struct act_capacity *out) {
  return a->ops->get(a, out);
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
