/*
 * A floor on a Kubernetes custom object, for actuators/ only: the engine
 * behind the keda and knative actuators (act_keda.c, act_knative.c).
 *
 * Both keep a platform autoscaler in charge and only move its floor: up
 * ahead of a predicted burst, back to the user's own value afterwards.
 * A backend reads its objects into struct kfloor_state and writes one
 * merge patch that carries metadata.resourceVersion, so a change made by
 * someone else between the read and the write is a 409 Conflict: the
 * engine reads again and retries, at most KFLOOR_TRIES times, and then
 * defers the request to the next call (ACT_F_DEFERRED, logged at warn).
 *
 * While a floor is raised the object carries an annotation holding the
 * user's own value (the backend's `mark`), so a restarted prewarm still
 * gives back the user's value and not its own.
 */
#ifndef ACT_KFLOOR_INT_H
#define ACT_KFLOOR_INT_H

#include <stddef.h>

#include "../common/pw_kube.h"
#include "act_actuator.h"

#define KFLOOR_TRIES 3

struct kfloor_state {
  long floor;        /* the floor on the object now */
  long user;         /* the user's own floor: what is given back */
  long max;          /* the highest floor allowed; -1: none */
  long idle;         /* a floor must stay above it; -1: none */
  long current;      /* pods the platform runs or wants; -1: unknown */
  long ready;        /* pods ready; -1: unknown */
  int raised;        /* the object carries our record of the user's value */
  char user_raw[32]; /* knative: the user's min-scale as written ("" none) */
  char rv[64];       /* metadata.resourceVersion of the patched object */
  char path[700];    /* the API path of the object patched */
  char what[600];    /* "ScaledObject prod/x", for messages */
};

struct kfloor;

struct kfloor_ops {
  /* Reads the objects into *st.  0 or a negative PW_E* code with a->why
   * set (kfloor_get_body and kfloor_workload do that). */
  int (*read)(struct kfloor *k, struct kfloor_state *st);
  /* Writes the merge patch that sets the floor to n into buf[len]. */
  void (*body)(const struct kfloor *k, long n, char *buf, size_t len);
  const char *max_name;  /* "maxReplicaCount", for messages */
  /* NULL, or called by set() only (never by get or plan, so a dry run
   * writes nothing) after each read: gives back a floor left on another
   * object (knative: the previous revision).  Failures are logged by
   * the hook and do not stop the set. */
  void (*settle)(struct kfloor *k);
};

struct kfloor {
  struct act base;
  struct act_ops aops;       /* base.ops: the engine's, under our name */
  const struct kfloor_ops *ops;
  struct pw_kube *kube;
  char ns[254];
  char name[254];
  long restore_min;    /* the configured value to give back; -1: none */
  int have, stale;
  struct kfloor_state st;
  /* knative: the revision last read, and one that stopped being the
   * latest while raised (to give back in settle; "" none). */
  char seen[254], left[254];
};

/* The config both actuators take. */
struct kfloor_cfg {
  const char *namespace_;    /* NULL: the context's or the pod's own */
  const char *name;          /* the ScaledObject, or the Knative Service */
  const char *kubeconfig;    /* as in act_k8s_cfg */
  const char *sa_dir;
  long restore_min;          /* the floor given back; -1: the user's own */
  long timeout_ms;           /* per request; 0: 10 s */
  long retry_base_ms;        /* backoff base; 0: 200 ms */
};

/*
 * Makes the engine's actuator with the backend ops (name, a static
 * string: the actuator's name for /api).  0, or PW_EINVAL / PW_EIO with
 * err naming the problem, or PW_ENOMEM.  Free with act_free().
 */
int kfloor_new(const struct kfloor_cfg *c, const char *name,
               const struct kfloor_ops *ops, struct act **out, char *err,
               size_t errlen) PW_WUR;

/*
 * GETs path: 0 with the answer's body in *b[*len] (valid until the next
 * request), or an error with a->why set from the Status object.
 */
int kfloor_get_body(struct kfloor *k, const char *path, const char **b,
                    size_t *len) PW_WUR;

/* Reads a scale target's status.replicas and readyReplicas when kind is
 * Deployment or StatefulSet (apps/v1); else both -1 and 0. */
int kfloor_workload(struct kfloor *k, const char *kind, const char *name,
                    long *current, long *ready) PW_WUR;

/*
 * PATCHes path with a merge patch body.  0, or an error with a->why set
 * (PW_EBUSY for a 409, PW_EREFUSED for 400/415/422, logged).
 */
int kfloor_patch(struct kfloor *k, const char *path, const char *body)
  PW_WUR;

/* Whether s can go into a JSON string as it is: printable ASCII without
 * '"' or '\\' (resourceVersions and numbers are). */
int kfloor_plain(const char *s);

#endif
