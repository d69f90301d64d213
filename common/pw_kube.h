/*
 * A Kubernetes API client (CONTRACTS.md 4.1): in-cluster (the service
 * account's token re-read at least every minute and after a 401, the
 * cluster CA, KUBERNETES_SERVICE_HOST/PORT with IPv6 bracketed) or a
 * kubeconfig's current context (token, token file or client certificate;
 * CA file or data).  TLS is always verified; exec plugins and
 * insecure-skip-tls-verify are refused.  429 and 5xx are retried with
 * backoff.  Used by the Kubernetes actuator and by leader election.
 *
 * One thread uses a client at a time.
 */
#ifndef PW_KUBE_H
#define PW_KUBE_H

#include <stddef.h>

#include "pw_err.h"
#include "pw_http.h"

struct pw_kube;

/*
 * Connects as described above: kubeconfig (a path) wins; else in-cluster
 * when KUBERNETES_SERVICE_HOST is set (sa_dir: NULL for the standard
 * folder); else $KUBECONFIG's first file; else ~/.kube/config.  ns may be
 * NULL: the context's namespace, or the pod's own.  0, or PW_EINVAL /
 * PW_EAUTH / PW_EIO with err, or PW_ENOMEM.  Free with pw_kube_free().
 */
int pw_kube_new(const char *kubeconfig, const char *sa_dir, const char *ns,
                 long timeout_ms, long retry_base_ms, struct pw_kube **out,
                 char *err, size_t errlen) PW_WUR;
void pw_kube_free(struct pw_kube **kp);

/* The namespace requests go to. */
const char *pw_kube_namespace(const struct pw_kube *k);

/*
 * Sends METHOD path (body: NULL, or JSON sent as content_type).  Returns 0
 * when an answer came (pw_kube_resp() has it), else an error with
 * pw_kube_why().  A 401 re-reads the token and tries once more.
 */
int pw_kube_call(struct pw_kube *k, const char *method, const char *path,
                  const char *body, const char *content_type) PW_WUR;
const struct pw_http_resp *pw_kube_resp(const struct pw_kube *k);
const char *pw_kube_why(const struct pw_kube *k);

#endif
