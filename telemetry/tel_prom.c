#include "tel_prom.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/pw_alloc.h"
#include "../common/pw_buf.h"
#include "../common/pw_http.h"
#include "../common/pw_yaml.h"

#define CHUNK_POINTS 10000

struct prom {
  struct tel_source base;
  char *url, *query, *token_file, *user, *password_file, *ca_file;
  int64_t step_ms;
  long timeout_ms;
  struct pw_http http;
  struct pw_http_resp resp;
  struct pw_retry retry;
  struct pw_buf form;
  struct pw_http_tls tls;
  int token_warned, password_warned;  /* pw_buf_read_secret's state */
};

/* One [ts, "value"] pair; 1 if taken, 0 if refused, <0 on error. */
static int take_pair(const cJSON *pair, int64_t first_ms, int64_t last_ms,
                     int64_t step_ms, int64_t *prev, struct tel_samples *out) {
  const cJSON *t = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);
  if(!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
     !cJSON_IsNumber(t) || !cJSON_IsString(v))
    return PW_EPARSE;
  int64_t ts = llround(t->valuedouble * 1000.0);
  char *end;
  double x = strtod(v->valuestring, &end);
  if(end == v->valuestring || *end)
    return PW_EPARSE;
  if(ts < first_ms || ts > last_ms || (ts - first_ms) % step_ms != 0 ||
     ts <= *prev)
    return 0;  /* off the grid, duplicated or out of order */
  if(isinf(x) || x < 0)
    return 0;  /* a load is finite and not negative */
  *prev = ts;
  int rc = tel_samples_push(out, ts, x);  /* NaN: a missing step */
  return rc ? rc : 1;
}

static int parse_error(const cJSON *j, char *err, size_t errlen) {
  const cJSON *et = cJSON_GetObjectItemCaseSensitive(j, "errorType");
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  snprintf(err, errlen, "%s: %s", cJSON_IsString(et) ? et->valuestring : "?",
           cJSON_IsString(e) ? e->valuestring : "(no message)");
  return PW_EREMOTE;
}

int tel_prom_parse(const char *body, size_t len, int64_t first_ms,
                   int64_t last_ms, int64_t step_ms, struct tel_samples *out,
                   long *rejected, char *err, size_t errlen) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
  const cJSON *rt = cJSON_GetObjectItemCaseSensitive(data, "resultType");
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(data, "result");
  int rc = 0;
  if(!cJSON_IsObject(j) || !cJSON_IsString(st)) {
    snprintf(err, errlen, "the reply is not Prometheus API JSON");
    rc = PW_EPARSE;
  } else if(strcmp(st->valuestring, "success") != 0) {
    rc = parse_error(j, err, errlen);
  } else if(!cJSON_IsString(rt) || strcmp(rt->valuestring, "matrix") != 0 ||
            !cJSON_IsArray(res)) {
    snprintf(err, errlen, "the reply is not a range vector (matrix)");
    rc = PW_EPARSE;
  } else if(cJSON_GetArraySize(res) > 1) {
    snprintf(err, errlen, "the query gives %d series, not one; aggregate it, "
             "e.g. sum(...)", cJSON_GetArraySize(res));
    rc = PW_EINVAL;
  } else if(cJSON_GetArraySize(res) == 1) {
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(res->child, "values");
    const cJSON *pair;
    int64_t prev = INT64_MIN;
    if(vals && !cJSON_IsArray(vals))
      rc = PW_EPARSE;
    cJSON_ArrayForEach(pair, vals) {
      int r = take_pair(pair, first_ms, last_ms, step_ms, &prev, out);
      if(r < 0) {
        rc = r;
        break;
      }
      *rejected += r == 0;
    }
    if(rc == PW_EPARSE)
      snprintf(err, errlen, "a sample is not [time, \"value\"]");
  } else {
    /* No series is no data, never zero load (a typo in a metric name
     * looks exactly like this). */
    snprintf(err, errlen, "query matched no series");
    rc = PW_ENOTFOUND;
  }
  cJSON_Delete(j);
  return rc;
}


/* The Authorization header for this request, or "" without auth. */
static int auth_header(struct prom *p, struct pw_buf *h) {
  struct pw_buf secret;
  int rc = 0;
  pw_buf_init(&secret, 16 * 1024);
  pw_buf_reset(h);
  if(p->token_file) {
    rc = pw_buf_read_secret(&secret, p->token_file, "bearer token",
                            &p->token_warned);
    if(rc)
      tel_why(&p->base, "prometheus: cannot read the bearer token file "
              "%s: %s", p->token_file, rc == PW_EIO ? strerror(errno)
                                                     : pw_strerror(rc));
    else
      rc = pw_buf_printf(h, "Authorization: Bearer %s", secret.p);
  } else if(p->user) {
    rc = pw_buf_read_secret(&secret, p->password_file, "basic password",
                            &p->password_warned);
    if(rc)
      tel_why(&p->base, "prometheus: cannot read the password file %s: %s",
              p->password_file, rc == PW_EIO ? strerror(errno)
                                             : pw_strerror(rc));
    struct pw_buf plain;
    pw_buf_init(&plain, 32 * 1024);
    if(rc == 0)
      rc = pw_buf_printf(&plain, "%s:%s", p->user, secret.p);
    if(rc == 0)
      rc = pw_buf_printf(h, "Authorization: Basic ");
    if(rc == 0)
      rc = pw_base64_encode(h, plain.p, plain.len);
    if(plain.p)
      memset(plain.p, 0, plain.len);
    pw_buf_cleanup(&plain);
  }
  if(secret.p)
    memset(secret.p, 0, secret.len);
  pw_buf_cleanup(&secret);
  return rc;
}

static int query_chunk(struct prom *p, int64_t first, int64_t last,
                       struct pw_buf *auth, struct tel_samples *out) {
  char url[1200], err[300];
  pw_buf_reset(&p->form);
  int rc = pw_buf_printf(&p->form, "query=");
  if(rc == 0)
    rc = pw_http_encode(&p->form, p->query);
  if(rc == 0)
    rc = pw_buf_printf(&p->form, "&start=%.3f&end=%.3f&step=%.3f",
                       (double)first / 1000.0, (double)last / 1000.0,
                       (double)p->step_ms / 1000.0);
  if(rc) {
    tel_why(&p->base, "prometheus: the query is too long");
    return rc;
  }
  snprintf(url, sizeof(url), "%s/api/v1/query_range", p->url);
  struct pw_http_req q = {
    .method = "POST", .url = url, .body = p->form.p, .body_len = p->form.len,
    .headers = {"Content-Type: application/x-www-form-urlencoded",
                "Accept: application/json", auth->len ? auth->p : NULL},
    .tls = &p->tls, .timeout_ms = p->timeout_ms, .max_response = 64u << 20};
  rc = pw_http_call(&p->http, &q, &p->retry, &p->resp, NULL);
  if(rc) {
    tel_why(&p->base, "prometheus %s: %s; query: %s", p->url, p->resp.error,
            p->query);
    return rc;
  }
  rc = tel_prom_parse(pw_buf_str(&p->resp.body), p->resp.body.len, first,
                      last, p->step_ms, out, &p->base.rejected, err,
                      sizeof(err));
  if((rc == 0 || rc == PW_ENOTFOUND) && p->resp.status != 200) {
    snprintf(err, sizeof(err), "unexpected reply");
    rc = PW_EREMOTE;
  }
  if(rc == PW_ENOTFOUND)
    return rc;  /* prom_fetch decides over all the chunks */
  if(rc)
    tel_why(&p->base, "prometheus query_range HTTP %ld: %s; query: %s",
            p->resp.status, err, p->query);
  return rc;
}

static int prom_fetch(struct tel_source *src, int64_t from_ms, int64_t to_ms,
                      struct tel_samples *out) {
  struct prom *p = (struct prom *)src;
  struct pw_buf auth;
  int64_t s = p->step_ms;
  /* The evaluation times on the grid inside [from, to). */
  int64_t first = from_ms >= 0 ? (from_ms + s - 1) / s * s : from_ms / s * s;
  int64_t last = (to_ms - 1) >= 0 ? (to_ms - 1) / s * s : (to_ms - s) / s * s;
  if(last < first)
    return 0;
  pw_buf_init(&auth, 64 * 1024);
  int rc = auth_header(p, &auth), found = 0;
  for(int64_t a = first; rc == 0 && a <= last; a += CHUNK_POINTS * s) {
    int64_t b = a + (CHUNK_POINTS - 1) * s;
    rc = query_chunk(p, a, b < last ? b : last, &auth, out);
    /* A long backfill may start before the series existed: only a
     * fetch where no chunk matched a series is an error. */
    found |= rc == 0;
    if(rc == PW_ENOTFOUND)
      rc = 0;
  }
  if(rc == 0 && !found) {
    tel_why(src, "prometheus %s: query matched no series: %s", p->url,
            p->query);
    rc = PW_ENOTFOUND;
  }
  if(auth.p)
    memset(auth.p, 0, auth.len);
  pw_buf_cleanup(&auth);
  if(rc)
    src->errors++;
  return rc;
}

static void prom_free(struct tel_source *src) {
  struct prom *p = (struct prom *)src;
  pw_free(p->url);
  pw_free(p->query);
  pw_free(p->token_file);
  pw_free(p->user);
  pw_free(p->password_file);
  pw_free(p->ca_file);
  pw_buf_cleanup(&p->form);
  pw_http_resp_cleanup(&p->resp);
  pw_http_cleanup(&p->http);
  pw_free(p);
}

static const struct tel_source_ops prom_ops = {"prometheus", prom_fetch,
                                               prom_free};

static int dup(char **dst, const char *s) {
  *dst = s ? pw_strdup(s) : NULL;
  return s && !*dst ? PW_ENOMEM : 0;
}

static int check(const struct tel_prom_cfg *c, char *err, size_t errlen) {
  if(!c->url || (strncmp(c->url, "http://", 7) != 0 &&
                 strncmp(c->url, "https://", 8) != 0)) {
    snprintf(err, errlen, "url: an http:// or https:// URL of Prometheus");
    return PW_EINVAL;
  }
  if(!c->query || !*c->query) {
    snprintf(err, errlen, "query: a PromQL expression is required");
    return PW_EINVAL;
  }
  if(c->step_ms < 1000 || c->step_ms % 1000) {
    snprintf(err, errlen, "step: whole seconds, at least 1");
    return PW_EINVAL;
  }
  if(!c->basic_user != !c->basic_password_file || (c->basic_user &&
                                                   c->bearer_token_file)) {
    snprintf(err, errlen, "auth: a bearer token file, or a user with a "
             "password file, not both");
    return PW_EINVAL;
  }
  return 0;
}

int tel_prom_new(const struct tel_prom_cfg *c, struct tel_source **out,
                 char *err, size_t errlen) {
  *out = NULL;
  int rc = check(c, err, errlen);
  if(rc)
    return rc;
  struct prom *p = pw_calloc(1, sizeof(*p));
  if(!p)
    return PW_ENOMEM;
  p->base.ops = &prom_ops;
  pw_http_resp_init(&p->resp);
  pw_buf_init(&p->form, 1u << 20);
  rc = pw_http_init(&p->http);
  if(rc == 0)
    rc = dup(&p->url, c->url) || dup(&p->query, c->query) ||
         dup(&p->token_file, c->bearer_token_file) ||
         dup(&p->user, c->basic_user) ||
         dup(&p->password_file, c->basic_password_file) ||
         dup(&p->ca_file, c->ca_file) ? PW_ENOMEM : 0;
  if(rc) {
    prom_free(&p->base);
    snprintf(err, errlen, "out of memory");
    return rc;
  }
  size_t n = strlen(p->url);
  while(n > 0 && p->url[n - 1] == '/')
    p->url[--n] = '\0';
  p->step_ms = c->step_ms;
  p->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 10000;
  p->tls.ca_file = p->ca_file;
  pw_retry_default(&p->retry);
  p->retry.max_attempts = 3;
  *out = &p->base;
  return 0;
}
