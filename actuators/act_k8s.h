/*
 * Kubernetes replicas (CONTRACTS.md 4).
 *
 * Modes:
 *   "replicas"          PATCH the scale subresource of a Deployment or
 *                       StatefulSet (application/merge-patch+json), as
 *                       `kubectl scale` does.  plan() refuses when an HPA
 *                       scales the same workload: the HPA would undo every
 *                       write within its sync period.
 *   "hpa-min-replicas"  PATCH the HPA's spec.minReplicas within
 *                       1..maxReplicas, so the HPA keeps reacting upward
 *                       and prewarm sets the floor ahead of bursts.
 *
 * get() reads spec.replicas (or minReplicas), status.replicas and
 * status.readyReplicas.  Auth: in-cluster (service-account token re-read
 * at least every minute and after a 401, the cluster CA,
 * KUBERNETES_SERVICE_HOST/PORT with IPv6 bracketed) or a kubeconfig (its
 * current context: token, token file or client certificate; CA file or
 * data).  TLS is always verified.  429 and 5xx are retried with backoff,
 * a 409 is re-read and retried once, a 422 is reported with the API's
 * message.
 */
#ifndef ACT_K8S_H
#define ACT_K8S_H

#include <stddef.h>

#include "act_actuator.h"

struct act_k8s_cfg {
  const char *mode;          /* "replicas" or "hpa-min-replicas" */
  const char *kind;          /* "deployment" or "statefulset" (replicas) */
  const char *namespace_;    /* NULL: the context's or the pod's own */
  const char *name;          /* the workload, or the HPA */
  const char *kubeconfig;    /* a path; NULL: in-cluster when
                                KUBERNETES_SERVICE_HOST is set, else
                                $KUBECONFIG, else ~/.kube/config */
  const char *sa_dir;        /* NULL: /var/run/secrets/kubernetes.io/
                                serviceaccount */
  long timeout_ms;           /* per request; 0: 10 s */
  long retry_base_ms;        /* backoff base; 0: 200 ms */
  long hpa_check_ms;         /* how long "no HPA" is trusted; 0: 5 min */
};

/*
 * Makes the actuator.  Returns 0, or PW_EINVAL / PW_EIO with err naming
 * what is wrong (an unknown mode, no credentials, an unreadable or
 * unsupported kubeconfig), or PW_ENOMEM.  Free with act_free().
 */
int act_k8s_new(const struct act_k8s_cfg *cfg, struct act **out, char *err,
                size_t errlen) PW_WUR;

#endif
