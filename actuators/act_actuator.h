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
/* Not written: an earlier change is still being applied (Lambda
 * IN_PROGRESS, or a 409 from the write), so this request waits for a
 * later call.  set() returns 0 with it; the daemon counts such a call as
 * prewarm_actuations_total{result="pending"}, never as an error. */
#define ACT_F_DEFERRED 0x10u
/* The platform could not be read in this call: requested, current and
 * ready are the last values read (still -1 when none ever was).  They
 * say what was there, not that it is there now. */
#define ACT_F_STALE 0x20u

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
   * afterwards, always, errors included.  On error the platform keeps
   * what it had, and *out says what that is when known (requested = -1
   * when not; ACT_F_STALE when it could not be read now).  0 with
   * ACT_F_DEFERRED when the write has to wait for an earlier change. */
  int (*set)(struct act *a, long desired, struct act_capacity *out);
  /* Frees the actuator; NULL-safe through act_free(). */
  void (*free)(struct act *a);
};

struct act {
  const struct act_ops *ops;
  /* Why the last call failed, was limited, deferred or refused, for the
   * decision log, /api and the error message; empty after a plain
   * success (each act_get/act_plan/act_set starts it afresh); never
   * holds a secret. */
  char why[256];
  /* The last refusal logged and when (act_refusal_log). */
  char refusal[256];
  double refusal_ms;
};

/* Sets a->why (printf-style), cutting it to size. */
void act_why(struct act *a, const char *fmt, ...) PW_PRINTF(2, 3);

/* A refusal is logged again after this long even when unchanged. */
#define ACT_REFUSAL_REPEAT_MS (10 * 60 * 1000.0)

/*
 * Logs a->why at warn as a refusal by the platform (a Kubernetes 422, a
 * Lambda 400, a weighted alias...), once per distinct text: the same
 * text again is logged only ACT_REFUSAL_REPEAT_MS after the last time
 * (now_ms on the monotonic clock).  Returns 1 when it logged, else 0.
 */
int act_refusal_log(struct act *a, double now_ms);

/* Forgets the last refusal, so the next one is logged at once (after a
 * request went through). */
static inline void act_refusal_clear(struct act *a) {
  a->refusal[0] = '\0';
}

static inline int act_get(struct act *a, struct act_capacity *out) {
  a->why[0] = '\0';
  return a->ops->get(a, out);
}

static inline int act_plan(struct act *a, long desired, long *send,
                           unsigned *flags) {
  *flags = 0;
  a->why[0] = '\0';
  if(!a->ops->plan) {
    *send = desired;
    return 0;
  }
  return a->ops->plan(a, desired, send, flags);
}

/* Also forgets the last refusal once a request goes through. */
static inline int act_set(struct act *a, long desired,
                          struct act_capacity *out) {
  a->why[0] = '\0';
  int rc = a->ops->set(a, desired, out);
  if(rc == 0 && !(out->flags & (ACT_F_REFUSED | ACT_F_DEFERRED)))
    act_refusal_clear(a);
  return rc;
}

/* Frees *ap and sets it to NULL; a no-op on NULL. */
static inline void act_free(struct act **ap) {
  if(*ap) {
    (*ap)->ops->free(*ap);
    *ap = (struct act *)0;
  }
}

#endif
