#include "act_k8s.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"
#include "act_int.h"
#include "../common/pw_kube.h"


struct k8s {
  struct act base;
  int hpa_mode;
  char kind[16];           /* "deployments" or "statefulsets" */
  char ns[254];
  char name[254];
  struct pw_kube *kube;
  long hpa_check_ms;
  /* the last reading; stale when the last read failed */
  int have, stale;
  long requested, current, ready, max_replicas;
  /* replicas mode: the HPA that scales the workload, if any */
  double hpa_checked_ms;
  char hpa_name[254];
};

static void k8s_free(struct act *a) {
  struct k8s *k = (struct k8s *)a;
  pw_kube_free(&k->kube);
  pw_free(k);
}

/* One request through the client; its explanation becomes ours. */
static int call(struct k8s *k, const char *method, const char *path,
                const char *body) {
  int rc = pw_kube_call(k->kube, method, path, body,
                         "application/merge-patch+json");
  if(rc)
    act_why(&k->base, "%s", pw_kube_why(k->kube));
  return rc;
}

void act_k8s_parse_status(const char *body, size_t len, char *reason,
                          size_t rlen, char *msg, size_t mlen) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *rs = cJSON_GetObjectItemCaseSensitive(j, "reason");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  snprintf(reason, rlen, "%s", cJSON_IsString(rs) ? rs->valuestring : "");
  snprintf(msg, mlen, "%s", cJSON_IsString(m) ? m->valuestring : "");
  cJSON_Delete(j);
}

int act_k8s_fail(struct act *a, const struct pw_http_resp *r,
                 const char *what) {
  char reason[64], msg[200];
  act_k8s_parse_status(pw_buf_str(&r->body), r->body.len, reason,
                       sizeof(reason), msg, sizeof(msg));
  act_why(a, "kubernetes %s: HTTP %ld %s%s%s", what, r->status, reason,
          msg[0] ? ": " : "", msg);
  switch(r->status) {
  case 401:
  case 403:
    return PW_EAUTH;
  case 404:
    return PW_ENOTFOUND;
  case 409:
    return PW_EBUSY;
  case 400:
  case 415:
  case 422:
    /* The API's own refusal: logged once per distinct message. */
    act_refusal_log(a, pw_clock_mono_ms());
    return PW_EREFUSED;
  default:
    return PW_EREMOTE;
  }
}

/* Says why an answer failed, from its Status object, and maps it. */
static int fail(struct k8s *k, const char *what) {
  return act_k8s_fail(&k->base, pw_kube_resp(k->kube), what);
}

/* The body of the last answer. */
static const char *body(const struct k8s *k, size_t *len) {
  const struct pw_http_resp *r = pw_kube_resp(k->kube);
  *len = r->body.len;
  return pw_buf_str(&r->body);
}

int act_k8s_parse_workload(const char *b, size_t len, long *spec,
                           long *status, long *ready) {
  cJSON *j = cJSON_ParseWithLength(b, len);
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "spec");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  /* spec.replicas is omitempty: absent means 0 (CONTRACTS.md 4.2). */
  int rc = cJSON_IsObject(j) ? 0 : PW_EPARSE;
  if(rc == 0)
    rc = act_json_count(sp, "replicas", 0, spec);
  if(rc == 0)
    rc = act_json_count(st, "replicas", 0, status);
  if(rc == 0)
    rc = act_json_count(st, "readyReplicas", 0, ready);
  cJSON_Delete(j);
  return rc;
}

static int read_workload(struct k8s *k, const char *kind, const char *name,
                         long *spec, long *status, long *ready) {
  char path[700];
  size_t len;
  snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/%s/%s", k->ns,
           kind, name);
  int rc = call(k, "GET", path, NULL);
  if(rc || pw_kube_resp(k->kube)->status != 200)
    return rc ? rc : fail(k, path);
  const char *b = body(k, &len);
  rc = act_k8s_parse_workload(b, len, spec, status, ready);
  if(rc)
    act_why(&k->base, "kubernetes GET %s: not a workload object", path);
  return rc;
}

static const char *workload_plural(const char *kind) {
  if(strcmp(kind, "Deployment") == 0)
    return "deployments";
  if(strcmp(kind, "StatefulSet") == 0)
    return "statefulsets";
  return NULL;
}

int act_k8s_parse_hpa(const char *b, size_t len, struct act_k8s_hpa *out) {
  cJSON *j = cJSON_ParseWithLength(b, len);
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "spec");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sp, "scaleTargetRef");
  const cJSON *rk = cJSON_GetObjectItemCaseSensitive(ref, "kind");
  const cJSON *rn = cJSON_GetObjectItemCaseSensitive(ref, "name");
  memset(out, 0, sizeof(*out));
  int rc = cJSON_IsObject(sp) &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(sp, "maxReplicas"))
             ? 0 : PW_EPARSE;
  if(rc == 0)
    rc = act_json_count(sp, "minReplicas", 1, &out->min);
  if(rc == 0)
    rc = act_json_count(sp, "maxReplicas", 0, &out->max);
  if(rc == 0)
    rc = act_json_count(st, "currentReplicas", 0, &out->current);
  if(rc == 0 && cJSON_IsString(rk) && cJSON_IsString(rn)) {
    snprintf(out->target_kind, sizeof(out->target_kind), "%s",
             rk->valuestring);
    snprintf(out->target_name, sizeof(out->target_name), "%s",
             rn->valuestring);
  }
  cJSON_Delete(j);
  return rc;
}

static int read_hpa(struct k8s *k) {
  char path[700];
  struct act_k8s_hpa h;
  long spec, status, ready;
  size_t len;
  snprintf(path, sizeof(path), "/apis/autoscaling/v2/namespaces/%s/"
           "horizontalpodautoscalers/%s", k->ns, k->name);
  int rc = call(k, "GET", path, NULL);
  if(rc || pw_kube_resp(k->kube)->status != 200)
    return rc ? rc : fail(k, path);
  const char *b = body(k, &len);
  if((rc = act_k8s_parse_hpa(b, len, &h)) != 0) {
    act_why(&k->base, "kubernetes GET %s: not an autoscaling/v2 HPA", path);
    return rc;
  }
  ready = h.current;
  const char *plural = workload_plural(h.target_kind);
  /* Ready pods come from the workload the HPA scales. */
  if(plural && h.target_name[0] &&
     (rc = read_workload(k, plural, h.target_name, &spec, &status,
                         &ready)) != 0)
    return rc;
  k->requested = h.min;
  k->max_replicas = h.max;
  k->current = h.current;
  k->ready = ready;
  k->have = 1;
  return 0;
}

static int read_state_once(struct k8s *k) {
  if(k->hpa_mode)
    return read_hpa(k);
  long spec, status, ready;
  int rc = read_workload(k, k->kind, k->name, &spec, &status, &ready);
  if(rc)
    return rc;
  k->requested = spec;
  k->current = status;
  k->ready = ready;
  k->have = 1;
  return 0;
}

/* Reads the state; a failure keeps the last reading, marked stale. */
static int read_state(struct k8s *k) {
  int rc = read_state_once(k);
  k->stale = rc != 0;
  return rc;
}

/* What is there as far as known: the last reading, ACT_F_STALE when the
 * last read failed, -1 when nothing was ever read. */
static void fill(const struct k8s *k, struct act_capacity *out) {
  if(!k->have) {
    *out = (struct act_capacity){-1, -1, -1, ACT_F_STALE};
    return;
  }
  *out = (struct act_capacity){k->requested, k->current, k->ready,
                               (k->ready < k->requested ? ACT_F_PENDING
                                                        : 0u) |
                               (k->stale ? ACT_F_STALE : 0u)};
}

static int k8s_get(struct act *a, struct act_capacity *out) {
  struct k8s *k = (struct k8s *)a;
  int rc = read_state(k);
  fill(k, out);
  return rc;
}

/* Replicas mode: looks for an HPA whose scaleTargetRef is our workload. */
int act_k8s_parse_hpa_list(const char *b, size_t len, const char *kind,
                           const char *name, char *hpa, size_t hlen) {
  cJSON *j = cJSON_ParseWithLength(b, len);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items"), *it;
  hpa[0] = '\0';
  if(!cJSON_IsArray(items)) {
    cJSON_Delete(j);
    return PW_EPARSE;
  }
  cJSON_ArrayForEach(it, items) {
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "spec");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sp, "scaleTargetRef");
    const cJSON *rk = cJSON_GetObjectItemCaseSensitive(ref, "kind");
    const cJSON *rn = cJSON_GetObjectItemCaseSensitive(ref, "name");
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
    const cJSON *hn = cJSON_GetObjectItemCaseSensitive(md, "name");
    if(cJSON_IsString(rk) && cJSON_IsString(rn) &&
       strcmp(rk->valuestring, kind) == 0 &&
       strcmp(rn->valuestring, name) == 0) {
      snprintf(hpa, hlen, "%s",
               cJSON_IsString(hn) ? hn->valuestring : "(unnamed)");
      break;
    }
  }
  cJSON_Delete(j);
  return 0;
}

static int find_hpa(struct k8s *k) {
  char path[400];
  size_t len;
  const char *want = strcmp(k->kind, "deployments") == 0 ? "Deployment"
                                                         : "StatefulSet";
  snprintf(path, sizeof(path), "/apis/autoscaling/v2/namespaces/%s/"
           "horizontalpodautoscalers", k->ns);
  int rc = call(k, "GET", path, NULL);
  if(rc || pw_kube_resp(k->kube)->status != 200)
    return rc ? rc : fail(k, path);
  const char *b = body(k, &len);
  rc = act_k8s_parse_hpa_list(b, len, want, k->name, k->hpa_name,
                              sizeof(k->hpa_name));
  if(rc) {
    act_why(&k->base, "kubernetes GET %s: not an HPA list", path);
    return rc;
  }
  k->hpa_checked_ms = pw_clock_mono_ms();
  return 0;
}

static int k8s_plan(struct act *a, long desired, long *send,
                    unsigned *flags) {
  struct k8s *k = (struct k8s *)a;
  int rc;
  *send = desired;
  if(desired < 0)
    return PW_EINVAL;
  if(!k->hpa_mode) {
    if(k->hpa_checked_ms <= 0 ||
       pw_clock_mono_ms() - k->hpa_checked_ms >= (double)k->hpa_check_ms) {
      if((rc = find_hpa(k)) != 0)
        return rc;
    }
    if(k->hpa_name[0]) {
      act_why(a, "kubernetes: HPA %s/%s scales %s/%s and would undo every "
              "write to its replicas; use mode hpa-min-replicas with that "
              "HPA", k->ns, k->hpa_name, k->kind, k->name);
      *flags |= ACT_F_REFUSED;
      act_refusal_log(a, pw_clock_mono_ms());
      return PW_EREFUSED;
    }
    return 0;
  }
  if(!k->have && (rc = read_state(k)) != 0)
    return rc;
  /* minReplicas must be at least 1 (CONTRACTS.md 4.3); the HPA itself
   * keeps at least one pod, so 0 means 1 without further ado. */
  if(desired < 1)
    *send = 1;
  if(desired > k->max_replicas) {
    *send = k->max_replicas;
    *flags |= ACT_F_LIMITED;
    act_why(a, "kubernetes: %ld cut to the HPA's maxReplicas %ld", desired,
            k->max_replicas);
  }
  return 0;
}

static int patch(struct k8s *k, long n) {
  char path[700], body[96];
  if(k->hpa_mode) {
    snprintf(path, sizeof(path), "/apis/autoscaling/v2/namespaces/%s/"
             "horizontalpodautoscalers/%s", k->ns, k->name);
    snprintf(body, sizeof(body), "{\"spec\":{\"minReplicas\":%ld}}", n);
  } else {
    snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/%s/%s/scale",
             k->ns, k->kind, k->name);
    snprintf(body, sizeof(body), "{\"spec\":{\"replicas\":%ld}}", n);
  }
  int rc = call(k, "PATCH", path, body);
  if(rc)
    return rc;
  long st = pw_kube_resp(k->kube)->status;
  if(st != 200 && st != 201)
    return fail(k, path);
  k->requested = n;
  return 0;
}

static int k8s_set(struct act *a, long desired, struct act_capacity *out) {
  struct k8s *k = (struct k8s *)a;
  unsigned flags = 0;
  long send = desired;
  int rc = read_state(k);
  if(rc == 0)
    rc = act_plan(a, desired, &send, &flags);
  if(rc == 0 && send == k->requested) {
    fill(k, out);
    out->flags |= flags | ACT_F_UNCHANGED;
    return 0;
  }
  if(rc == 0) {
    /* The patch is unconditional (no resourceVersion), as `kubectl scale`
     * does: a merge patch of one field loses nobody's other changes.  A
     * 409 can still come from an admission webhook or an older server:
     * read again and retry once. */
    rc = patch(k, send);
    if(rc == PW_EBUSY && (rc = read_state(k)) == 0)
      rc = patch(k, send);
  }
  fill(k, out);
  out->flags |= flags;
  return rc;
}

static const struct act_ops k8s_ops = {"kubernetes", k8s_get, k8s_plan,
                                       k8s_set, k8s_free};

static int dns_name(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= max &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n &&
         s[0] != '-' && s[0] != '.';
}

static int check_cfg(struct k8s *k, const struct act_k8s_cfg *c, char *err,
                     size_t errlen) {
  if(!c->mode || (strcmp(c->mode, "replicas") != 0 &&
                  strcmp(c->mode, "hpa-min-replicas") != 0)) {
    snprintf(err, errlen, "mode: replicas or hpa-min-replicas");
    return PW_EINVAL;
  }
  k->hpa_mode = strcmp(c->mode, "hpa-min-replicas") == 0;
  const char *kind = c->kind ? c->kind : "deployment";
  if(strcasecmp(kind, "deployment") == 0) {
    snprintf(k->kind, sizeof(k->kind), "deployments");
  } else if(strcasecmp(kind, "statefulset") == 0) {
    snprintf(k->kind, sizeof(k->kind), "statefulsets");
  } else {
    snprintf(err, errlen, "kind: deployment or statefulset");
    return PW_EINVAL;
  }
  if(!dns_name(c->name, 253)) {
    snprintf(err, errlen, "name: a Kubernetes object name (lower-case "
             "letters, digits, '-' and '.')");
    return PW_EINVAL;
  }
  if(c->namespace_ && !dns_name(c->namespace_, 63)) {
    snprintf(err, errlen, "namespace: a Kubernetes namespace name");
    return PW_EINVAL;
  }
  snprintf(k->name, sizeof(k->name), "%s", c->name);
  snprintf(k->ns, sizeof(k->ns), "%s", c->namespace_ ? c->namespace_ : "");
  return 0;
}

int act_k8s_new(const struct act_k8s_cfg *c, struct act **out, char *err,
                size_t errlen) {
  struct k8s *k = pw_calloc(1, sizeof(*k));
  *out = NULL;
  if(!k)
    return PW_ENOMEM;
  k->base.ops = &k8s_ops;
  int rc = check_cfg(k, c, err, errlen);
  if(rc == 0)
    rc = pw_kube_new(c->kubeconfig, c->sa_dir, k->ns[0] ? k->ns : NULL,
                      c->timeout_ms, c->retry_base_ms, &k->kube, err,
                      errlen);
  if(rc) {
    k8s_free(&k->base);
    return rc;
  }
  snprintf(k->ns, sizeof(k->ns), "%s", pw_kube_namespace(k->kube));
  k->hpa_check_ms = c->hpa_check_ms > 0 ? c->hpa_check_ms : 300000;
  *out = &k->base;
  return 0;
}
