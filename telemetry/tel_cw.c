#include "tel_cw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../common/pw_alloc.h"
#include "../common/pw_http.h"

#define MAX_PAGES 1000

struct cw {
  struct tel_source base;
  char function[65], resource[200], metric[128], stat[32];
  int64_t step_ms, settle_ms;
  int fill_zero;
  long timeout_ms;
  char endpoint[512];
  struct pw_aws *aws;
  struct pw_http http;
  struct pw_http_resp resp;
  struct pw_retry retry;
};

/* The error code: x-amzn-query-error (legacy code) first, then __type. */
static void cw_error(const struct pw_http_resp *r, char *code, size_t clen,
                     char *msg, size_t mlen) {
  char h[128];
  cJSON *j = cJSON_ParseWithLength(pw_buf_str(&r->body), r->body.len);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  if(pw_http_header(r, "x-amzn-query-error", h, sizeof(h))) {
    h[strcspn(h, ";")] = '\0';
    snprintf(code, clen, "%s", h);
  } else {
    const char *c = cJSON_IsString(t) ? t->valuestring : "";
    const char *hash = strrchr(c, '#');
    snprintf(code, clen, "%s", hash ? hash + 1 : c);
  }
  if(!cJSON_IsString(m))
    m = cJSON_GetObjectItemCaseSensitive(j, "Message");
  snprintf(msg, mlen, "%s", cJSON_IsString(m) ? m->valuestring : "");
  cJSON_Delete(j);
}

static int cw_retryable(const struct pw_http_resp *r) {
  char code[128], msg[8];
  if(r->status == 429 || (r->status >= 500 && r->status != 501))
    return 1;
  if(r->status != 400)
    return 0;
  cw_error(r, code, sizeof(code), msg, sizeof(msg));
  return strcmp(code, "Throttling") == 0 ||
         strcmp(code, "ThrottlingException") == 0 ||
         strcmp(code, "RequestLimitExceeded") == 0;
}

static char *request_body(const struct cw *c, int64_t first, int64_t end,
                          const char *token) {
  cJSON *b = cJSON_CreateObject(), *qs = cJSON_AddArrayToObject(b,
                                                        "MetricDataQueries");
  cJSON *q = cJSON_CreateObject(), *ms, *m, *dims, *d;
  cJSON_AddItemToArray(qs, q);
  cJSON_AddStringToObject(q, "Id", "m1");
  ms = cJSON_AddObjectToObject(q, "MetricStat");
  m = cJSON_AddObjectToObject(ms, "Metric");
  cJSON_AddStringToObject(m, "Namespace", "AWS/Lambda");
  cJSON_AddStringToObject(m, "MetricName", c->metric);
  dims = cJSON_AddArrayToObject(m, "Dimensions");
  cJSON_AddItemToArray(dims, d = cJSON_CreateObject());
  cJSON_AddStringToObject(d, "Name", "FunctionName");
  cJSON_AddStringToObject(d, "Value", c->function);
  if(c->resource[0]) {
    cJSON_AddItemToArray(dims, d = cJSON_CreateObject());
    cJSON_AddStringToObject(d, "Name", "Resource");
    cJSON_AddStringToObject(d, "Value", c->resource);
  }
  cJSON_AddNumberToObject(ms, "Period", (double)(c->step_ms / 1000));
  cJSON_AddStringToObject(ms, "Stat", c->stat);
  cJSON_AddBoolToObject(q, "ReturnData", 1);
  cJSON_AddNumberToObject(b, "StartTime", (double)(first / 1000));
  cJSON_AddNumberToObject(b, "EndTime", (double)(end / 1000));
  cJSON_AddStringToObject(b, "ScanBy", "TimestampAscending");
  if(token)
    cJSON_AddStringToObject(b, "NextToken", token);
  char *s = cJSON_PrintUnformatted(b);
  cJSON_Delete(b);
  return s;
}

int tel_cw_parse(const char *body, size_t len, int64_t first, int64_t end,
                 int64_t step_ms, int fill_zero, int64_t *prev,
                 struct tel_samples *out, long *rejected, char **next,
                 char *err, size_t errlen) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "MetricDataResults");
  const cJSON *r0 = cJSON_GetArrayItem(res, 0);
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(r0, "Timestamps");
  const cJSON *vs = cJSON_GetObjectItemCaseSensitive(r0, "Values");
  const cJSON *nt = cJSON_GetObjectItemCaseSensitive(j, "NextToken");
  int rc = 0;
  *next = NULL;
  if(!cJSON_IsArray(res) || (r0 && (!cJSON_IsArray(ts) || !cJSON_IsArray(vs) ||
                                    cJSON_GetArraySize(ts) !=
                                      cJSON_GetArraySize(vs)))) {
    snprintf(err, errlen, "the reply is not the documented JSON");
    rc = PW_EPARSE;
  }
  const cJSON *t = rc == 0 && r0 ? ts->child : NULL;
  const cJSON *v = rc == 0 && r0 ? vs->child : NULL;
  for(int i = 0; rc == 0 && t && v; i++, t = t->next, v = v->next) {
    if(!cJSON_IsNumber(t) || !cJSON_IsNumber(v) ||
       !isfinite(t->valuedouble) || fabs(t->valuedouble) > 1e15) {
      rc = PW_EPARSE;
      snprintf(err, errlen, "datapoint %d is not (time, number)", i);
      break;
    }
    int64_t t_ms = llround(t->valuedouble * 1000.0);
    double x = v->valuedouble;
    if(t_ms < first || t_ms >= end || (t_ms - first) % step_ms ||
       t_ms <= *prev || !isfinite(x) || x < 0) {
      (*rejected)++;
      continue;
    }
    /* Absent minutes before this one: missing, or zero when asked. */
    for(int64_t g = *prev == INT64_MIN ? first : *prev + step_ms;
        fill_zero && rc == 0 && g < t_ms; g += step_ms)
      rc = tel_samples_push(out, g, 0);
    *prev = t_ms;
    if(rc == 0)
      rc = tel_samples_push(out, t_ms, x);
  }
  if(rc == 0 && cJSON_IsString(nt) && *nt->valuestring &&
     !(*next = pw_strdup(nt->valuestring)))
    rc = PW_ENOMEM;
  if(rc == PW_ENOMEM)
    snprintf(err, errlen, "out of memory");
  cJSON_Delete(j);
  return rc;
}

/* Takes one page's datapoints; *next gets NextToken (or NULL). */
static int take_page(struct cw *c, int64_t first, int64_t end, int64_t *prev,
                     struct tel_samples *out, char **next) {
  char err[200];
  int rc = tel_cw_parse(pw_buf_str(&c->resp.body), c->resp.body.len, first,
                        end, c->step_ms, c->fill_zero, prev, out,
                        &c->base.rejected, next, err, sizeof(err));
  if(rc)
    tel_why(&c->base, "cloudwatch GetMetricData: %s", err);
  return rc;
}

static int page(struct cw *c, const char *body) {
  char url[600], err[256];
  struct pw_aws_signing s;
  int rc = pw_aws_signing(c->aws, "monitoring", (int64_t)time(NULL) * 1000,
                          &s, err, sizeof(err));
  if(rc) {
    tel_why(&c->base, "cloudwatch: %s", err);
    return rc == PW_ENOMEM ? rc : PW_EAUTH;
  }
  snprintf(url, sizeof(url), "%s/", c->endpoint);
  struct pw_http_req q = {
    .method = "POST", .url = url, .body = body, .body_len = strlen(body),
    .headers = {"Content-Type: application/x-amz-json-1.0",
                "X-Amz-Target: GraniteServiceVersion20100801.GetMetricData",
                "x-amzn-query-mode: true", "Accept: application/json"},
    .timeout_ms = c->timeout_ms, .max_response = 32u << 20};
  pw_aws_signing_apply(&s, &q);
  rc = pw_http_call(&c->http, &q, &c->retry, &c->resp, NULL);
  pw_aws_signing_cleanup(&s);
  if(rc) {
    tel_why(&c->base, "cloudwatch %s: %s", c->endpoint, c->resp.error);
    return rc;
  }
  if(c->resp.status != 200) {
    char code[128], msg[160];
    cw_error(&c->resp, code, sizeof(code), msg, sizeof(msg));
    tel_why(&c->base, "cloudwatch GetMetricData %s %s: HTTP %ld %s: %s",
            c->metric, c->resource[0] ? c->resource : c->function,
            c->resp.status, code, msg);
    return c->resp.status == 403 ? PW_EAUTH : PW_EREMOTE;
  }
  return 0;
}

static int cw_fetch(struct tel_source *src, int64_t from_ms, int64_t to_ms,
                    struct tel_samples *out) {
  struct cw *c = (struct cw *)src;
  int64_t s = c->step_ms, now = (int64_t)time(NULL) * 1000;
  /* The datapoint stamped t covers [t, t + step) and is final once
   * settle_ms more have passed: only t <= now - step - settle is asked. */
  int64_t cut = now - s - c->settle_ms + 1;
  int64_t lim = to_ms < cut ? to_ms : cut;
  int64_t first = (from_ms + s - 1) / s * s;     /* first t >= from */
  int64_t end = (lim + s - 1) / s * s;           /* first t >= lim */
  int64_t prev = INT64_MIN;
  size_t n0 = out->n;
  char *token = NULL;
  int rc = 0;
  for(int p = 0; rc == 0 && first < end && p < MAX_PAGES; p++) {
    char *body = request_body(c, first, end, token);
    pw_free(token);
    token = NULL;
    if(!body)
      rc = PW_ENOMEM;
    if(rc == 0)
      rc = page(c, body);
    cJSON_free(body);
    if(rc == 0)
      rc = take_page(c, first, end, &prev, out, &token);
    if(!token)
      break;
  }
  pw_free(token);
  /* Trailing absent minutes up to the settled end, when zero-filling. */
  for(int64_t g = prev == INT64_MIN ? first : prev + s;
      rc == 0 && c->fill_zero && g < end; g += s)
    rc = tel_samples_push(out, g, 0);
  if(rc) {
    out->n = n0;
    src->errors++;
  }
  return rc;
}

static void cw_free(struct tel_source *src) {
  struct cw *c = (struct cw *)src;
  pw_http_resp_cleanup(&c->resp);
  pw_http_cleanup(&c->http);
  pw_free(c);
}

static const struct tel_source_ops cw_ops = {"cloudwatch", cw_fetch, cw_free};

static int check(const struct tel_cw_cfg *c, char *err, size_t errlen) {
  static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                           "VWXYZ0123456789-_";
  size_t fl = c->function ? strlen(c->function) : 0;
  if(fl == 0 || fl > 64 || strspn(c->function, ok) != fl) {
    snprintf(err, errlen, "function: the plain function name");
    return PW_EINVAL;
  }
  if(c->qualifier && (strlen(c->qualifier) > 128 ||
                      strspn(c->qualifier, ok) != strlen(c->qualifier))) {
    snprintf(err, errlen, "qualifier: an alias or version");
    return PW_EINVAL;
  }
  if(!c->metric || !*c->metric || strlen(c->metric) >= 128) {
    snprintf(err, errlen, "metric: a Lambda metric name, e.g. "
             "ConcurrentExecutions");
    return PW_EINVAL;
  }
  if(c->step_ms < 60000 || c->step_ms % 60000) {
    snprintf(err, errlen, "step: a multiple of 60 s for Lambda's metrics");
    return PW_EINVAL;
  }
  return 0;
}

int tel_cw_new(const struct tel_cw_cfg *cfg, struct pw_aws *aws,
               struct tel_source **out, char *err, size_t errlen) {
  *out = NULL;
  int rc = check(cfg, err, errlen);
  if(rc)
    return rc;
  struct cw *c = pw_calloc(1, sizeof(*c));
  if(!c)
    return PW_ENOMEM;
  c->base.ops = &cw_ops;
  snprintf(c->function, sizeof(c->function), "%s", cfg->function);
  if(cfg->qualifier)
    snprintf(c->resource, sizeof(c->resource), "%s:%s", cfg->function,
             cfg->qualifier);
  snprintf(c->metric, sizeof(c->metric), "%s", cfg->metric);
  snprintf(c->stat, sizeof(c->stat), "%s", cfg->stat ? cfg->stat
           : strcmp(cfg->metric, "ConcurrentExecutions") == 0 ? "Maximum"
                                                              : "Sum");
  c->step_ms = cfg->step_ms;
  c->settle_ms = cfg->settle_ms > 0 ? cfg->settle_ms : TEL_CW_SETTLE_MS;
  c->fill_zero = cfg->fill_zero;
  c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
  c->aws = aws;
  pw_retry_default(&c->retry);
  c->retry.retryable = cw_retryable;
  pw_http_resp_init(&c->resp);
  rc = pw_http_init(&c->http);
  if(rc == 0 && pw_aws_endpoint(aws, "CLOUDWATCH", "monitoring", c->endpoint,
                                sizeof(c->endpoint))) {
    snprintf(err, errlen, "AWS_ENDPOINT_URL_CLOUDWATCH: not an http(s) URL");
    rc = PW_EINVAL;
  }
  if(rc) {
    cw_free(&c->base);
    return rc;
  }
  *out = &c->base;
  return 0;
}
