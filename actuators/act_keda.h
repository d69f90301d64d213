/*
 * KEDA (keda.sh/v1alpha1 ScaledObject): prewarm raises the ScaledObject's
 * spec.minReplicaCount ahead of a predicted burst and gives it back to
 * the user's own value afterwards, so KEDA keeps scaling on its triggers
 * above that floor.  The floor stays within maxReplicaCount (default 100,
 * as KEDA's) and above idleReplicaCount (KEDA's webhook refuses
 * idleReplicaCount >= minReplicaCount).  A forecast of zero gives back
 * the user's value exactly, so KEDA may scale to zero (or idle) as
 * before.
 *
 * Note from KEDA's scale executor (pkg/scaling/executor/
 * scale_scaledobjects.go): with idleReplicaCount set and no trigger
 * active, KEDA holds the target at idleReplicaCount whatever the
 * minimum; a raised floor then takes effect at the first activation,
 * when KEDA scales straight to it.  Without idleReplicaCount, KEDA
 * itself scales the target up to a raised minReplicaCount.
 *
 * get() reads requested = spec.minReplicaCount; current and ready from
 * the scale target's status (status.replicas, status.readyReplicas)
 * when it is a Deployment or StatefulSet; for any other kind both are
 * -1 (unknown): a ScaledObject has no ready count of its own.
 *
 * Writes: one merge patch of the ScaledObject with its resourceVersion
 * (a 409 is re-read and retried, see act_kfloor_int.h) that sets
 * spec.minReplicaCount and the annotation prewarm.io/user-min-replica-
 * count (the user's value while raised; removed when given back).
 */
#ifndef ACT_KEDA_H
#define ACT_KEDA_H

#include <stddef.h>

#include "act_actuator.h"

struct act_keda_cfg {
  const char *namespace_;    /* NULL: the context's or the pod's own */
  const char *name;          /* the ScaledObject */
  const char *kubeconfig;    /* as in act_k8s_cfg */
  const char *sa_dir;
  long restore_min;          /* the floor given back; -1: the user's own */
  long timeout_ms;           /* per request; 0: 10 s */
  long retry_base_ms;        /* backoff base; 0: 200 ms */
};

#define ACT_KEDA_MARK "prewarm.io/user-min-replica-count"

/*
 * Makes the actuator.  0, or PW_EINVAL / PW_EIO with err naming what is
 * wrong (a bad name, no credentials...), or PW_ENOMEM.  Free with
 * act_free().
 */
int act_keda_new(const struct act_keda_cfg *cfg, struct act **out,
                 char *err, size_t errlen) PW_WUR;

#endif
