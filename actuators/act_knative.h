/*
 * Knative Serving: prewarm sets the minimum scale of a Knative Service's
 * current revision (status.latestReadyRevisionName) ahead of a predicted
 * burst and gives it back afterwards; Knative's autoscaler (KPA) keeps
 * scaling on load above that floor.
 *
 * Which object is patched, and why (read in knative/serving's source):
 *  - Not the Service (or its Configuration) template: every change to
 *    spec.template makes the Configuration reconciler stamp out a new
 *    Revision, i.e. new pods and a rollout on every floor change, and a
 *    revision history that grows by one per tick that moves the floor.
 *  - Not the PodAutoscaler: the Revision reconciler rebuilds the PA's
  *    autoscaling annotations from the Revision's on every
 *    reconcile (pkg/reconciler/revision/reconcile_resources.go,
 *    syncAnnotationsForKPA: "setting these annotation on the Revision is
 *    the source of truth"), so a PA patch is undone.
 *  - The Revision's own metadata annotation autoscaling.knative.dev/
 *    min-scale: a Revision's spec is immutable (its webhook refuses spec
 *    changes) but its annotations are not; they are validated like the
 *    template's (min-scale <= max-scale, 400 from the admission webhook
 *    otherwise), copied to the PA, whose ScaleBounds() reads min-scale,
 *    and filtered out of the Deployment's and pods' annotations
 *    (resources/meta.go), so no pod restarts and no new Revision.
 *
 * The cost of that choice: the live Revision differs from the Service's
 * template (which still shows the user's value, as `kubectl get ksvc`
 * and GitOps tools see it); a new deploy starts from the template's
 * value and prewarm moves to the new revision at its next call, giving
 * the old one back in set() (a prewarm restarted between the deploy and
 * that call does not know the old one and leaves its floor: Knative
 * drops the minimum of a revision that gets no traffic); only the latest
 * ready revision is floored when traffic is split.
 *
 * get(): requested = the min-scale in force, current =
 * status.desiredReplicas, ready = status.actualReplicas ("the amount of
 * ready pods running this revision").  Writes: one merge patch of the
 * Revision's annotations with its resourceVersion (a 409 is re-read and
 * retried, see act_kfloor_int.h): min-scale, and prewarm.io/user-min-
 * scale holding the user's own min-scale while raised (removed, and the
 * user's annotation restored as written, when given back).
 */
#ifndef ACT_KNATIVE_H
#define ACT_KNATIVE_H

#include <stddef.h>

#include "act_actuator.h"

struct act_knative_cfg {
  const char *namespace_;    /* NULL: the context's or the pod's own */
  const char *name;          /* the Knative Service */
  const char *kubeconfig;    /* as in act_k8s_cfg */
  const char *sa_dir;
  long restore_min;          /* the floor given back; -1: the user's own */
  long timeout_ms;           /* per request; 0: 10 s */
  long retry_base_ms;        /* backoff base; 0: 200 ms */
};

#define ACT_KNATIVE_MIN "autoscaling.knative.dev/min-scale"
#define ACT_KNATIVE_MARK "prewarm.io/user-min-scale"

/*
 * Makes the actuator.  0, or PW_EINVAL / PW_EIO with err naming what is
 * wrong, or PW_ENOMEM.  Free with act_free().
 */
int act_knative_new(const struct act_knative_cfg *cfg, struct act **out,
                    char *err, size_t errlen) PW_WUR;

#endif
