#include "act_kfloor_int.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"
#include "act_int.h"

static void kfloor_free(struct act *a) {
  struct kfloor *k = (struct kfloor *)a;
  pw_kube_free(&k->kube);
  pw_free(k);
}

static int call(struct kfloor *k, const char *method, const char *path,
                const char *body) {
  int rc = pw_kube_call(k->kube, method, path, body,
                        "application/merge-patch+json");
  if(rc)
    act_why(&k->base, "%s", pw_kube_why(k->kube));
  return rc;
}

/* Says why an answer failed, from its Status object, and maps it: 409
 * is PW_EBUSY (the caller retries), 400/415/422 a refusal logged at warn
 * once per distinct message. */
static int fail(struct kfloor *k, const char *method, const char *what) {
  char w[1024];
  snprintf(w, sizeof(w), "%s %s", method, what);
  return act_k8s_fail(&k->base, pw_kube_resp(k->kube), w);
}

int kfloor_get_body(struct kfloor *k, const char *path, const char **b,
                    size_t *len) {
  int rc = call(k, "GET", path, NULL);
  if(rc)
    return rc;
  const struct pw_http_resp *r = pw_kube_resp(k->kube);
  if(r->status != 200)
    return fail(k, "GET", path);
  *b = pw_buf_str(&r->body);
  *len = r->body.len;
  return 0;
}

int kfloor_workload(struct kfloor *k, const char *kind, const char *name,
                    long *current, long *ready) {
  const char *plural = strcmp(kind, "Deployment") == 0    ? "deployments"
                       : strcmp(kind, "StatefulSet") == 0 ? "statefulsets"
                                                          : NULL;
  char path[700];
  long spec, status, rdy;
  *current = *ready = -1;
  if(!plural || !name[0])
    return 0;  /* another kind: what runs is not known cheaply */
  snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/%s/%s", k->ns,
           plural, name);
  int rc = call(k, "GET", path, NULL);
  if(rc)
    return rc;
  const struct pw_http_resp *r = pw_kube_resp(k->kube);
  if(r->status != 200)
    return fail(k, "GET", path);
  rc = act_k8s_parse_workload(pw_buf_str(&r->body), r->body.len, &spec,
                              &status, &rdy);
  if(rc) {
    act_why(&k->base, "kubernetes GET %s: not a workload object", path);
    return rc;
  }
  *current = status;
  *ready = rdy;
  return 0;
}

int kfloor_plain(const char *s) {
  for(; *s; s++)
    if(*s < ' ' || *s > '~' || *s == '"' || *s == '\\')
      return 0;
  return 1;
}

/* Reads the state; a failure keeps the last reading, marked stale. */
static int read_state(struct kfloor *k) {
  struct kfloor_state st;
  memset(&st, 0, sizeof(st));
  st.max = st.idle = st.current = st.ready = -1;
  int rc = k->ops->read(k, &st);
  k->stale = rc != 0;
  if(rc)
    return rc;
  if(k->restore_min >= 0)
    st.user = k->restore_min;
  k->st = st;
  k->have = 1;
  return 0;
}

static void fill(const struct kfloor *k, struct act_capacity *out) {
  if(!k->have) {
    *out = (struct act_capacity){-1, -1, -1, ACT_F_STALE};
    return;
  }
  /* Pending only when ready pods are known and fewer than the floor. */
  unsigned f = k->st.ready >= 0 && k->st.ready < k->st.floor ? ACT_F_PENDING
                                                             : 0u;
  *out = (struct act_capacity){k->st.floor, k->st.current, k->st.ready,
                               f | (k->stale ? ACT_F_STALE : 0u)};
}

static int kfloor_get(struct act *a, struct act_capacity *out) {
  struct kfloor *k = (struct kfloor *)a;
  int rc = read_state(k);
  fill(k, out);
  return rc;
}

/*
 * The floor for `desired` pods: never below the user's own floor (so a
 * forecast of zero gives back exactly the user's value, and the platform
 * may scale to zero as before), cut to the object's maximum, and kept
 * above idleReplicaCount.
 */
static int kfloor_plan(struct act *a, long desired, long *send,
                       unsigned *flags) {
  struct kfloor *k = (struct kfloor *)a;
  const struct kfloor_state *s = &k->st;
  int rc;
  *send = desired;
  if(desired < 0)
    return PW_EINVAL;
  if(!k->have && (rc = read_state(k)) != 0)
    return rc;
  if(s->max >= 0 && s->user > s->max) {
    act_why(a, "kubernetes: %s: the floor to give back (%ld) is above its "
            "%s %ld", s->what, s->user, k->ops->max_name, s->max);
    goto refused;
  }
  if(s->idle >= 0 && s->user <= s->idle) {
    act_why(a, "kubernetes: %s: the floor to give back (%ld) must be above "
            "its idleReplicaCount %ld", s->what, s->user, s->idle);
    goto refused;
  }
  *send = desired > s->user ? desired : s->user;
  if(s->max >= 0 && *send > s->max) {
    act_why(a, "kubernetes: %ld cut to the %s of %s", *send,
            k->ops->max_name, s->what);
    *send = s->max;
    *flags |= ACT_F_LIMITED;
  }
  return 0;
refused:
  *flags |= ACT_F_REFUSED;
  act_refusal_log(a, pw_clock_mono_ms());
  return PW_EREFUSED;
}

int kfloor_patch(struct kfloor *k, const char *path, const char *body) {
  int rc = call(k, "PATCH", path, body);
  if(rc)
    return rc;
  long st = pw_kube_resp(k->kube)->status;
  if(st != 200 && st != 201)
    return fail(k, "PATCH", path);
  return 0;
}

static int patch(struct kfloor *k, long n) {
  char body[1024];
  k->ops->body(k, n, body, sizeof(body));
  int rc = kfloor_patch(k, k->st.path, body);
  if(rc)
    return rc;
  k->st.floor = n;
  k->st.raised = n != k->st.user;
  return 0;
}

static int kfloor_set(struct act *a, long desired, struct act_capacity *out) {
  struct kfloor *k = (struct kfloor *)a;
  unsigned flags = 0;
  long send = desired;
  int rc = 0, tries = 0;
  /* Read, plan, patch with the resourceVersion just read; a 409 means the
   * object changed in between: read it again and decide again. */
  while(tries++ < KFLOOR_TRIES) {
    flags = 0;
    if((rc = read_state(k)) != 0)
      break;
    if(k->ops->settle)
      k->ops->settle(k);
    if((rc = act_plan(a, desired, &send, &flags)) != 0)
      break;
    if(send == k->st.floor && k->st.raised == (send != k->st.user)) {
      flags |= ACT_F_UNCHANGED;
      break;
    }
    if((rc = patch(k, send)) != PW_EBUSY)
      break;
  }
  if(rc == PW_EBUSY) {
    /* Still changing under us: not an error, the next tick tries again. */
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("object", k->st.what),
                               PW_LF_NUM("tries", KFLOOR_TRIES)),
            "floor deferred: %s", a->why);
    flags |= ACT_F_DEFERRED | ACT_F_PENDING;
    rc = 0;
  }
  fill(k, out);
  out->flags |= flags;
  return rc;
}

static int dns_name(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= max &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n &&
         s[0] != '-' && s[0] != '.';
}

int kfloor_new(const struct kfloor_cfg *c, const char *name,
               const struct kfloor_ops *ops, struct act **out, char *err,
               size_t errlen) {
  *out = NULL;
  if(!dns_name(c->name, 253)) {
    snprintf(err, errlen, "name: a Kubernetes object name (lower-case "
             "letters, digits, '-' and '.')");
    return PW_EINVAL;
  }
  if(c->namespace_ && !dns_name(c->namespace_, 63)) {
    snprintf(err, errlen, "namespace: a Kubernetes namespace name");
    return PW_EINVAL;
  }
  struct kfloor *k = pw_calloc(1, sizeof(*k));
  if(!k)
    return PW_ENOMEM;
  k->aops = (struct act_ops){name, kfloor_get, kfloor_plan, kfloor_set,
                             kfloor_free};
  k->base.ops = &k->aops;
  k->ops = ops;
  k->restore_min = c->restore_min;
  snprintf(k->name, sizeof(k->name), "%s", c->name);
  int rc = pw_kube_new(c->kubeconfig, c->sa_dir, c->namespace_,
                       c->timeout_ms, c->retry_base_ms, &k->kube, err,
                       errlen);
  if(rc) {
    kfloor_free(&k->base);
    return rc;
  }
  snprintf(k->ns, sizeof(k->ns), "%s", pw_kube_namespace(k->kube));
  *out = &k->base;
  return 0;
}
