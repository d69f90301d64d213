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
#include "../common/pw_yaml.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_TTL_MS 60000.0  /* client-go re-reads the token every minute */
#define KUBECONFIG_MAX (1024 * 1024)

struct k8s {
  struct act base;
  int hpa_mode;
  char kind[16];           /* "deployments" or "statefulsets" */
  char ns[254];
  char name[254];
  char server[512];
  /* auth: a token (static, or re-read from token_file), client cert */
  char *token;
  char *token_file;
  double token_read_ms;
  char *ca_file, *ca_pem, *cert_file, *cert_pem, *key_file, *key_pem;
  struct pw_http_tls tls;
  struct pw_http http;
  struct pw_retry retry;
  struct pw_http_resp resp;
  long timeout_ms, hpa_check_ms;
  /* the last reading */
  int have;
  long requested, current, ready, max_replicas;
  /* replicas mode: the HPA that scales the workload, if any */
  double hpa_checked_ms;
  char hpa_name[254];
};

static void k8s_free(struct act *a) {
  struct k8s *k = (struct k8s *)a;
  if(k->token)
    memset(k->token, 0, strlen(k->token));
  pw_free(k->token);
  pw_free(k->token_file);
  pw_free(k->ca_file);
  pw_free(k->ca_pem);
  pw_free(k->cert_file);
  pw_free(k->cert_pem);
  if(k->key_pem)
    memset(k->key_pem, 0, strlen(k->key_pem));
  pw_free(k->key_pem);
  pw_free(k->key_file);
  pw_http_resp_cleanup(&k->resp);
  pw_http_cleanup(&k->http);
  pw_free(k);
}

/* Reads a small file, trimmed; the caller frees *out. */
static int read_file(const char *path, size_t max, char **out) {
  struct pw_buf b;
  pw_buf_init(&b, max);
  int rc = pw_buf_read_file(&b, path);
  *out = NULL;
  if(rc) {
    pw_buf_cleanup(&b);
    return rc;
  }
  pw_buf_rtrim(&b);
  *out = b.p;
  return 0;
}

/* The bearer token: re-read from its file at most every minute, or at
 * once when force is set (after a 401), as client-go does. */
static int bearer(struct k8s *k, int force) {
  if(!k->token_file)
    return 0;
  double now = pw_clock_mono_ms();
  if(k->token && !force && now - k->token_read_ms < TOKEN_TTL_MS)
    return 0;
  char *t;
  int rc = read_file(k->token_file, 64 * 1024, &t);
  if(rc) {
    act_why(&k->base, "kubernetes: cannot read the token file %s",
            k->token_file);
    return k->token ? 0 : PW_EAUTH;  /* keep the old one meanwhile */
  }
  pw_free(k->token);
  k->token = t;
  k->token_read_ms = now;
  return 0;
}

/* Says why an answer failed, from its Status object, and maps it. */
static int fail(struct k8s *k, const char *what) {
  const struct pw_http_resp *r = &k->resp;
  cJSON *j = cJSON_ParseWithLength(pw_buf_str(&r->body), r->body.len);
  const cJSON *reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
  act_why(&k->base, "kubernetes %s: HTTP %ld %s%s%s", what, r->status,
          cJSON_IsString(reason) ? reason->valuestring : "",
          cJSON_IsString(msg) ? ": " : "",
          cJSON_IsString(msg) ? msg->valuestring : "");
  cJSON_Delete(j);
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
    return PW_EREFUSED;
  default:
    return PW_EREMOTE;
  }
}

/* One request; 0 when an answer came (see k->resp.status). */
static int call(struct k8s *k, const char *method, const char *path,
                const char *body) {
  char url[1024], auth[8192];
  int rc = 0;
  snprintf(url, sizeof(url), "%s%s", k->server, path);
  for(int tries = 0; tries < 2; tries++) {
    if((rc = bearer(k, tries > 0)) != 0)
      return rc;
    struct pw_http_req q = {.method = method, .url = url,
                            .headers = {"Accept: application/json"},
                            .tls = &k->tls, .timeout_ms = k->timeout_ms};
    int h = 1;
    if(k->token) {
      if((size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                          k->token) >= sizeof(auth)) {
        act_why(&k->base, "kubernetes: the bearer token is too long");
        return PW_EAUTH;
      }
      q.headers[h++] = auth;
    }
    if(body) {
      q.headers[h++] = "Content-Type: application/merge-patch+json";
      q.body = body;
      q.body_len = strlen(body);
    }
    rc = pw_http_call(&k->http, &q, &k->retry, &k->resp, NULL);
    memset(auth, 0, sizeof(auth));
    if(rc) {
      act_why(&k->base, "kubernetes %s %s: %s", method, path, k->resp.error);
      return rc;
    }
    /* A 401 may be a rotated token: read it again and retry once. */
    if(k->resp.status != 401 || !k->token_file)
      break;
  }
  return 0;
}

static int count(const cJSON *o, const char *key, long dflt, long *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = dflt;
  if(!v)
    return 0;
  if(!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
     v->valuedouble - floor(v->valuedouble) > 0)
    return PW_EPARSE;
  *out = (long)v->valuedouble;
  return 0;
}

static cJSON *reply(const struct k8s *k) {
  return cJSON_ParseWithLength(pw_buf_str(&k->resp.body), k->resp.body.len);
}

static int read_workload(struct k8s *k, const char *kind, const char *name,
                         long *spec, long *status, long *ready) {
  char path[700];
  snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/%s/%s", k->ns,
           kind, name);
  int rc = call(k, "GET", path, NULL);
  if(rc || k->resp.status != 200)
    return rc ? rc : fail(k, path);
  cJSON *j = reply(k);
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "spec");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  /* spec.replicas is omitempty: absent means 0 (CONTRACTS.md 4.2). */
  rc = cJSON_IsObject(j) ? 0 : PW_EPARSE;
  if(rc == 0)
    rc = count(sp, "replicas", 0, spec);
  if(rc == 0)
    rc = count(st, "replicas", 0, status);
  if(rc == 0)
    rc = count(st, "readyReplicas", 0, ready);
  cJSON_Delete(j);
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

static int read_hpa(struct k8s *k) {
  char path[700], tkind[32] = "", tname[254] = "";
  long min, max, cur, spec, status, ready;
  snprintf(path, sizeof(path), "/apis/autoscaling/v2/namespaces/%s/"
           "horizontalpodautoscalers/%s", k->ns, k->name);
  int rc = call(k, "GET", path, NULL);
  if(rc || k->resp.status != 200)
    return rc ? rc : fail(k, path);
  cJSON *j = reply(k);
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "spec");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sp, "scaleTargetRef");
  const cJSON *rk = cJSON_GetObjectItemCaseSensitive(ref, "kind");
  const cJSON *rn = cJSON_GetObjectItemCaseSensitive(ref, "name");
  rc = cJSON_IsObject(sp) &&
       cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(sp, "maxReplicas"))
         ? 0 : PW_EPARSE;
  if(rc == 0)
    rc = count(sp, "minReplicas", 1, &min);
  if(rc == 0)
    rc = count(sp, "maxReplicas", 0, &max);
  if(rc == 0)
    rc = count(st, "currentReplicas", 0, &cur);
  if(rc == 0 && cJSON_IsString(rk) && cJSON_IsString(rn)) {
    snprintf(tkind, sizeof(tkind), "%s", rk->valuestring);
    snprintf(tname, sizeof(tname), "%s", rn->valuestring);
  }
  cJSON_Delete(j);
  if(rc) {
    act_why(&k->base, "kubernetes GET %s: not an autoscaling/v2 HPA", path);
    return rc;
  }
  ready = cur;
  const char *plural = workload_plural(tkind);
  /* Ready pods come from the workload the HPA scales. */
  if(plural && tname[0] &&
     (rc = read_workload(k, plural, tname, &spec, &status, &ready)) != 0)
    return rc;
  k->requested = min;
  k->max_replicas = max;
  k->current = cur;
  k->ready = ready;
  k->have = 1;
  return 0;
}

static int read_state(struct k8s *k) {
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

static void fill(const struct k8s *k, struct act_capacity *out) {
  *out = (struct act_capacity){k->requested, k->current, k->ready,
                               k->ready < k->requested ? ACT_F_PENDING : 0u};
}

static int k8s_get(struct act *a, struct act_capacity *out) {
  struct k8s *k = (struct k8s *)a;
  int rc = read_state(k);
  if(rc) {
    *out = (struct act_capacity){-1, -1, -1, 0};
    return rc;
  }
  fill(k, out);
  return 0;
}

/* Replicas mode: looks for an HPA whose scaleTargetRef is our workload. */
static int find_hpa(struct k8s *k) {
  char path[400];
  const char *want = strcmp(k->kind, "deployments") == 0 ? "Deployment"
                                                         : "StatefulSet";
  snprintf(path, sizeof(path), "/apis/autoscaling/v2/namespaces/%s/"
           "horizontalpodautoscalers", k->ns);
  int rc = call(k, "GET", path, NULL);
  if(rc || k->resp.status != 200)
    return rc ? rc : fail(k, path);
  cJSON *j = reply(k);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items"), *it;
  k->hpa_name[0] = '\0';
  if(!cJSON_IsArray(items)) {
    cJSON_Delete(j);
    act_why(&k->base, "kubernetes GET %s: not an HPA list", path);
    return PW_EPARSE;
  }
  cJSON_ArrayForEach(it, items) {
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "spec");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sp, "scaleTargetRef");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ref, "kind");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ref, "name");
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
    const cJSON *hn = cJSON_GetObjectItemCaseSensitive(md, "name");
    if(cJSON_IsString(kind) && cJSON_IsString(name) &&
       strcmp(kind->valuestring, want) == 0 &&
       strcmp(name->valuestring, k->name) == 0) {
      snprintf(k->hpa_name, sizeof(k->hpa_name), "%s",
               cJSON_IsString(hn) ? hn->valuestring : "(unnamed)");
      break;
    }
  }
  cJSON_Delete(j);
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
  if(k->resp.status != 200 && k->resp.status != 201)
    return fail(k, path);
  k->requested = n;
  return 0;
}

static int k8s_set(struct act *a, long desired, struct act_capacity *out) {
  struct k8s *k = (struct k8s *)a;
  unsigned flags = 0;
  long send = desired;
  a->why[0] = '\0';
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
  if(k->have)
    fill(k, out);
  else
    *out = (struct act_capacity){-1, -1, -1, 0};
  out->flags |= flags;
  if(rc && rc != PW_EREFUSED)
    k->have = 0;
  return rc;
}

static const struct act_ops k8s_ops = {"kubernetes", k8s_get, k8s_plan,
                                       k8s_set, k8s_free};

/* A path from a kubeconfig, relative to the file's own folder. */
static char *resolve_path(const char *kubeconfig, const char *p) {
  if(p[0] == '/')
    return pw_strdup(p);
  const char *slash = strrchr(kubeconfig, '/');
  size_t dl = slash ? (size_t)(slash - kubeconfig) + 1 : 0;
  char *r = pw_malloc(dl + strlen(p) + 1);
  if(r) {
    memcpy(r, kubeconfig, dl);
    strcpy(r + dl, p);
  }
  return r;
}

static const struct pw_yaml *named(const struct pw_yaml *root,
                                   const char *list, const char *name,
                                   const char *inner) {
  const struct pw_yaml *seq = pw_yaml_get(root, list);
  for(size_t i = 0; seq && seq->type == PW_YAML_SEQ && i < seq->nkids; i++) {
    const char *n = pw_yaml_str(seq->kids[i], "name");
    if(n && name && strcmp(n, name) == 0)
      return pw_yaml_get(seq->kids[i], inner);
  }
  return NULL;
}

/* Takes a file path or base64 data for one TLS item. */
static int tls_item(const char *kc, const struct pw_yaml *m, const char *key,
                    char **file, char **pem, char *err, size_t errlen) {
  char dkey[64];
  const char *f = pw_yaml_str(m, key), *d;
  snprintf(dkey, sizeof(dkey), "%s-data", key);
  d = pw_yaml_str(m, dkey);
  if(d) {
    if(pw_base64_decode(d, pem, NULL)) {
      snprintf(err, errlen, "%s: %s is not base64", kc, dkey);
      return PW_EINVAL;
    }
    return 0;
  }
  if(f && !(*file = resolve_path(kc, f)))
    return PW_ENOMEM;
  return 0;
}

static int kube_user(struct k8s *k, const char *kc, const struct pw_yaml *u,
                     char *err, size_t errlen) {
  if(pw_yaml_get(u, "exec") || pw_yaml_get(u, "auth-provider")) {
    snprintf(err, errlen, "%s: the user's exec or auth-provider plugin is "
             "not supported; give a token, tokenFile or client certificate",
             kc);
    return PW_EINVAL;
  }
  const char *tok = pw_yaml_str(u, "token"), *tf = pw_yaml_str(u, "tokenFile");
  if(tok && !(k->token = pw_strdup(tok)))
    return PW_ENOMEM;
  if(!tok && tf && !(k->token_file = resolve_path(kc, tf)))
    return PW_ENOMEM;
  int rc = tls_item(kc, u, "client-certificate", &k->cert_file, &k->cert_pem,
                    err, errlen);
  if(rc == 0)
    rc = tls_item(kc, u, "client-key", &k->key_file, &k->key_pem, err,
                  errlen);
  return rc;
}

static int load_kubeconfig(struct k8s *k, const char *kc, char *err,
                           size_t errlen) {
  struct pw_yaml *root = NULL;
  int rc = pw_yaml_load(kc, KUBECONFIG_MAX, &root, err, errlen);
  if(rc)
    return rc;
  const char *cur = pw_yaml_str(root, "current-context");
  const struct pw_yaml *ctx = named(root, "contexts", cur, "context");
  const char *cn = pw_yaml_str(ctx, "cluster"), *un = pw_yaml_str(ctx, "user");
  const struct pw_yaml *cl = named(root, "clusters", cn, "cluster");
  const struct pw_yaml *u = named(root, "users", un, "user");
  const char *server = pw_yaml_str(cl, "server");
  const char *skip = pw_yaml_str(cl, "insecure-skip-tls-verify");
  const char *ns = pw_yaml_str(ctx, "namespace");
  if(!cur || !ctx || !cl || !server) {
    snprintf(err, errlen, "%s: no current-context with a cluster and a "
             "server", kc);
    rc = PW_EINVAL;
  } else if(skip && strcmp(skip, "true") == 0) {
    snprintf(err, errlen, "%s: insecure-skip-tls-verify is refused; give "
             "the cluster's CA", kc);
    rc = PW_EINVAL;
  } else if(strncmp(server, "https://", 8) != 0) {
    snprintf(err, errlen, "%s: the server must be an https:// URL", kc);
    rc = PW_EINVAL;
  } else {
    snprintf(k->server, sizeof(k->server), "%s", server);
    if(!k->ns[0])
      snprintf(k->ns, sizeof(k->ns), "%s", ns ? ns : "default");
    rc = tls_item(kc, cl, "certificate-authority", &k->ca_file, &k->ca_pem,
                  err, errlen);
    if(rc == 0 && u)
      rc = kube_user(k, kc, u, err, errlen);
  }
  pw_yaml_free(&root);
  return rc;
}

static int in_cluster(struct k8s *k, const char *dir, char *err,
                      size_t errlen) {
  const char *host = getenv("KUBERNETES_SERVICE_HOST");
  const char *port = getenv("KUBERNETES_SERVICE_PORT");
  char path[512];
  if(!port || !*port) {
    snprintf(err, errlen, "KUBERNETES_SERVICE_PORT is not set");
    return PW_EINVAL;
  }
  /* JoinHostPort: an IPv6 address goes in brackets. */
  snprintf(k->server, sizeof(k->server), strchr(host, ':') ? "https://[%s]:%s"
                                                           : "https://%s:%s",
           host, port);
  snprintf(path, sizeof(path), "%s/token", dir);
  if(!(k->token_file = pw_strdup(path)))
    return PW_ENOMEM;
  snprintf(path, sizeof(path), "%s/ca.crt", dir);
  if(!(k->ca_file = pw_strdup(path)))
    return PW_ENOMEM;
  if(!k->ns[0]) {
    char *ns = NULL;
    snprintf(path, sizeof(path), "%s/namespace", dir);
    if(read_file(path, 300, &ns) || !*ns || strlen(ns) >= sizeof(k->ns)) {
      pw_free(ns);
      snprintf(err, errlen, "%s: cannot read the pod's namespace; set the "
               "target's namespace", path);
      return PW_EINVAL;
    }
    snprintf(k->ns, sizeof(k->ns), "%s", ns);
    pw_free(ns);
  }
  if(bearer(k, 1)) {
    snprintf(err, errlen, "%s/token: cannot read the service-account token",
             dir);
    return PW_EAUTH;
  }
  return 0;
}

static int connect_cfg(struct k8s *k, const struct act_k8s_cfg *c, char *err,
                       size_t errlen) {
  char home[512];
  const char *host = getenv("KUBERNETES_SERVICE_HOST");
  if(c->kubeconfig)
    return load_kubeconfig(k, c->kubeconfig, err, errlen);
  if(host && *host)
    return in_cluster(k, c->sa_dir ? c->sa_dir : SA_DIR, err, errlen);
  const char *kc = getenv("KUBECONFIG");
  if(kc && *kc) {
    /* The first file of a list; merging several is not supported. */
    snprintf(home, sizeof(home), "%.*s", (int)strcspn(kc, ":"), kc);
    return load_kubeconfig(k, home, err, errlen);
  }
  const char *h = getenv("HOME");
  snprintf(home, sizeof(home), "%s/.kube/config", h ? h : "");
  if(!h || !*h) {
    snprintf(err, errlen, "no Kubernetes credentials: not in a cluster "
             "(KUBERNETES_SERVICE_HOST unset) and no kubeconfig");
    return PW_EINVAL;
  }
  return load_kubeconfig(k, home, err, errlen);
}

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
  pw_http_resp_init(&k->resp);
  int rc = pw_http_init(&k->http);
  if(rc == 0)
    rc = check_cfg(k, c, err, errlen);
  if(rc == 0)
    rc = connect_cfg(k, c, err, errlen);
  if(rc) {
    if(rc == PW_ENOMEM)
      snprintf(err, errlen, "out of memory");
    k8s_free(&k->base);
    return rc;
  }
  k->tls = (struct pw_http_tls){k->ca_file, k->ca_pem, k->cert_file,
                                k->cert_pem, k->key_file, k->key_pem};
  k->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 10000;
  k->hpa_check_ms = c->hpa_check_ms > 0 ? c->hpa_check_ms : 300000;
  pw_retry_default(&k->retry);
  if(c->retry_base_ms > 0)
    k->retry.base_ms = c->retry_base_ms;
  *out = &k->base;
  return 0;
}
