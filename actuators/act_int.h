/*
 * Helpers shared by the actuators, for this directory and its tests only.
 *
 * The act_*_parse_* functions read one API reply body (body[len], which
 * need not be NUL-terminated and may hold any bytes) into plain values.
 * They are the only place a reply enters, so the fuzz harness
 * (tests/fuzz/fuzz_act_json.c) calls them directly.  Each returns 0, or
 * PW_EPARSE when the body is not the documented JSON (out-params are
 * then unspecified), or PW_ENOMEM; they keep no state and are
 * thread-safe.
 */
#ifndef ACT_INT_H
#define ACT_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * Reads o[key] as a count: a whole number in 0..1e9.  An absent key (or
 * a NULL o) gives dflt; anything else is PW_EPARSE.  0 on success.
 */
int act_json_count(const cJSON *o, const char *key, long dflt, long *out);

/* Lambda (CONTRACTS.md 1). */
enum act_lambda_status {
  ACT_LAMBDA_NONE, ACT_LAMBDA_IN_PROGRESS, ACT_LAMBDA_READY,
  ACT_LAMBDA_FAILED
};

struct act_lambda_pc {
  long requested, allocated, available;
  enum act_lambda_status status;
  char reason[160];         /* StatusReason when FAILED, else "" */
};

/* A Get/PutProvisionedConcurrencyConfig reply. */
int act_lambda_parse_config(const char *body, size_t len,
                            struct act_lambda_pc *out);
/* GetAlias: *weighted = 1 when RoutingConfig has version weights. */
int act_lambda_parse_alias(const char *body, size_t len, int *weighted);
/* GetFunctionConcurrency: *reserved = -1 when the function has none. */
int act_lambda_parse_reserved(const char *body, size_t len, long *reserved);
/* GetAccountSettings: AccountLimit.UnreservedConcurrentExecutions. */
int act_lambda_parse_unreserved(const char *body, size_t len, long *out);
/*
 * One ListProvisionedConcurrencyConfigs page: adds to *others what the
 * qualifiers other than `qualifier` request, and sets *next to the
 * NextMarker (NULL when none; the caller frees it with pw_free).
 */
int act_lambda_parse_list(const char *body, size_t len,
                          const char *qualifier, long *others, char **next);
/*
 * An error reply's code, as botocore finds it (x-amzn-ErrorType header
 * given in header, may be NULL; else the body's __type/code/Code; the
 * text after ':' and up to the last '#' dropped) and its message/Message.
 * Never fails: what is not there is "".
 */
void act_lambda_parse_error(const char *header, const char *body,
                            size_t len, char *code, size_t clen, char *msg,
                            size_t mlen);

/* Kubernetes (CONTRACTS.md 4). */
/* A Deployment or StatefulSet: spec.replicas, status.replicas and
 * status.readyReplicas (absent means 0). */
int act_k8s_parse_workload(const char *body, size_t len, long *spec,
                           long *status, long *ready);

struct act_k8s_hpa {
  long min, max, current;
  char target_kind[32];     /* scaleTargetRef, "" when absent */
  char target_name[254];
};

/* An autoscaling/v2 HorizontalPodAutoscaler. */
int act_k8s_parse_hpa(const char *body, size_t len, struct act_k8s_hpa *out);
/*
 * An HPA list: the name of the first HPA whose scaleTargetRef is
 * kind/name goes to hpa ("" when none; "(unnamed)" when it has no name).
 */
int act_k8s_parse_hpa_list(const char *body, size_t len, const char *kind,
                           const char *name, char *hpa, size_t hlen);
/* A Status error object's reason and message ("" when absent); never
 * fails. */
void act_k8s_parse_status(const char *body, size_t len, char *reason,
                          size_t rlen, char *msg, size_t mlen);

/* Says in a->why why the Kubernetes answer r to `what` failed, from its
 * Status object, and maps it: 401/403 PW_EAUTH, 404 PW_ENOTFOUND, 409
 * PW_EBUSY (the caller reads again), 400/415/422 a refusal logged at warn
 * once per distinct message (PW_EREFUSED), else PW_EREMOTE. */
struct pw_http_resp;
int act_k8s_fail(struct act *a, const struct pw_http_resp *r,
                 const char *what);

/* KEDA (act_keda.c): a keda.sh/v1alpha1 ScaledObject. */
struct act_keda_so {
  long min, max, idle;      /* KEDA's defaults 0, 100; idle -1: unset */
  long mark;                /* prewarm.io/user-min-replica-count; -1 none */
  char rv[64];              /* metadata.resourceVersion */
  char kind[32];            /* scaleTargetRef.kind (default Deployment) */
  char target[254];         /* scaleTargetRef.name, "" when absent */
};
int act_keda_parse(const char *body, size_t len, struct act_keda_so *out);

/* Knative Serving (act_knative.c). */
/* A Service: status.latestReadyRevisionName into rev ("" when none). */
int act_knative_parse_service(const char *body, size_t len, char *rev,
                              size_t rlen);

struct act_knative_rev {
  long min;                 /* the min-scale in force (min-scale, else
                               minScale, else 0) */
  long legacy_min;          /* minScale; -1 absent */
  long max;                 /* max-scale (or maxScale); -1: none or 0 */
  char min_raw[16];         /* min-scale as written, "" when absent */
  int marked;               /* prewarm.io/user-min-scale is there */
  char mark_raw[16];        /* its value: the user's min-scale, "" none */
  long desired, actual;     /* status.desiredReplicas, actualReplicas */
  char rv[64];
};
/* A serving.knative.dev/v1 Revision. */
int act_knative_parse_revision(const char *body, size_t len,
                               struct act_knative_rev *out);

#endif
