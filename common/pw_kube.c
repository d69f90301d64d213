#include "pw_kube.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pw_alloc.h"
#include "pw_buf.h"
#include "pw_clock.h"
#include "pw_yaml.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_TTL_MS 60000.0  /* client-go re-reads the token every minute */
#define KUBECONFIG_MAX (1024 * 1024)

struct pw_kube {
  char server[512];
  char ns[254];
  /* auth: a token (static, or re-read from token_file), client cert */
  char *token;
  char *token_file;
  double token_read_ms;
  char *ca_file, *ca_pem, *cert_file, *cert_pem, *key_file, *key_pem;
  struct pw_http_tls tls;
  struct pw_http http;
  struct pw_retry retry;
  struct pw_http_resp resp;
  long timeout_ms;
  char why[256];
};

static void kwhy(struct pw_kube *k, const char *fmt, ...) PW_PRINTF(2, 3);
static void kwhy(struct pw_kube *k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k->why, sizeof(k->why), fmt, ap);
  va_end(ap);
}

void pw_kube_free(struct pw_kube **kp) {
  struct pw_kube *k = *kp;
  if(!k)
    return;
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
  *kp = NULL;
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
static int bearer(struct pw_kube *k, int force) {
  if(!k->token_file)
    return 0;
  double now = pw_clock_mono_ms();
  if(k->token && !force && now - k->token_read_ms < TOKEN_TTL_MS)
    return 0;
  char *t;
  int rc = read_file(k->token_file, 64 * 1024, &t);
  if(rc) {
    kwhy(k, "kubernetes: cannot read the token file %s",
            k->token_file);
    return k->token ? 0 : PW_EAUTH;  /* keep the old one meanwhile */
  }
  pw_free(k->token);
  k->token = t;
  k->token_read_ms = now;
  return 0;
}

int pw_kube_call(struct pw_kube *k, const char *method, const char *path,
                  const char *body, const char *content_type) {
  char ctype[128];
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
        kwhy(k, "kubernetes: the bearer token is too long");
        return PW_EAUTH;
      }
      q.headers[h++] = auth;
    }
    if(body) {
      snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
      q.headers[h++] = ctype;
      q.body = body;
      q.body_len = strlen(body);
    }
    rc = pw_http_call(&k->http, &q, &k->retry, &k->resp, NULL);
    memset(auth, 0, sizeof(auth));
    if(rc) {
      kwhy(k, "kubernetes %s %s: %s", method, path, k->resp.error);
      return rc;
    }
    /* A 401 may be a rotated token: read it again and retry once. */
    if(k->resp.status != 401 || !k->token_file)
      break;
  }
  return 0;
}

const struct pw_http_resp *pw_kube_resp(const struct pw_kube *k) {
  return &k->resp;
}

const char *pw_kube_why(const struct pw_kube *k) {
  return k->why;
}

const char *pw_kube_namespace(const struct pw_kube *k) {
  return k->ns;
}

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

static int kube_user(struct pw_kube *k, const char *kc,
                     const struct pw_yaml *u, char *err, size_t errlen) {
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

static int load_kubeconfig(struct pw_kube *k, const char *kc, char *err,
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

static int in_cluster(struct pw_kube *k, const char *dir, char *err,
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

static int connect_cfg(struct pw_kube *k, const char *kubeconfig,
                       const char *sa_dir, char *err, size_t errlen) {
  char home[512];
  const char *host = getenv("KUBERNETES_SERVICE_HOST");
  if(kubeconfig)
    return load_kubeconfig(k, kubeconfig, err, errlen);
  if(host && *host)
    return in_cluster(k, sa_dir ? sa_dir : SA_DIR, err, errlen);
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

int pw_kube_new(const char *kubeconfig, const char *sa_dir, const char *ns,
                 long timeout_ms, long retry_base_ms, struct pw_kube **out,
                 char *err, size_t errlen) {
  struct pw_kube *k = pw_calloc(1, sizeof(*k));
  *out = NULL;
  if(!k)
    return PW_ENOMEM;
  pw_http_resp_init(&k->resp);
  snprintf(k->ns, sizeof(k->ns), "%s", ns ? ns : "");
  int rc = pw_http_init(&k->http);
  if(rc == 0)
    rc = connect_cfg(k, kubeconfig, sa_dir, err, errlen);
  if(rc) {
    if(rc == PW_ENOMEM)
      snprintf(err, errlen, "out of memory");
    pw_kube_free(&k);
    return rc;
  }
  k->tls = (struct pw_http_tls){k->ca_file, k->ca_pem, k->cert_file,
                                k->cert_pem, k->key_file, k->key_pem};
  k->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
  pw_retry_default(&k->retry);
  if(retry_base_ms > 0)
    k->retry.base_ms = retry_base_ms;
  *out = k;
  return 0;
}
