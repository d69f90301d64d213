#include "act_lambda.h"

#include "act_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"

#define ST_NONE ACT_LAMBDA_NONE
#define ST_IN_PROGRESS ACT_LAMBDA_IN_PROGRESS
#define ST_READY ACT_LAMBDA_READY
#define ST_FAILED ACT_LAMBDA_FAILED

struct reading {
  int have;
  long requested, allocated, available;
  enum act_lambda_status status;
  double at_ms;            /* monotonic time of the reading */
};

struct lambda {
  struct act base;
  char function[65];
  char qualifier[129];
  char endpoint[512];
  long poll_ms, refresh_ms, limits_ms, timeout_ms;
  struct pw_aws *aws;      /* borrowed */
  struct pw_http http;
  struct pw_retry retry;
  struct pw_http_resp resp;
  struct reading now;
  int stale;               /* the last read failed: now is older */
  /* what AWS would accept, re-read every limits_ms */
  int have_limits;
  double limits_at_ms;
  long limit;              /* the most this qualifier may hold, -1 unknown */
  int alias_known;         /* GetAlias answered (else: asked every plan) */
  int weighted;            /* the alias routes between versions */
  char limit_text[128];
};

static pthread_once_t rate_once = PTHREAD_ONCE_INIT;
static double rate_per_s = 10.0;
static struct pw_rate rate;
static long requests;

static void rate_init(void) {
  /* A burst of one: never more than rate + 1 in any one second. */
  pw_rate_init(&rate, rate_per_s, 1);
}

void act_lambda_set_rate(double per_s) {
  if(per_s > 0 && per_s <= 15)
    rate_per_s = per_s;
}

long act_lambda_requests(void) {
  return __atomic_load_n(&requests, __ATOMIC_RELAXED);
}

void act_lambda_parse_error(const char *header, const char *body,
                            size_t len, char *code, size_t clen, char *msg,
                            size_t mlen) {
  const char *c = header;
  cJSON *j = cJSON_ParseWithLength(body, len);
  const char *keys[] = {"__type", "code", "Code"};
  for(int i = 0; !c && i < 3; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
    if(cJSON_IsString(v))
      c = v->valuestring;
  }
  snprintf(code, clen, "%s", c ? c : "");
  char *colon = strchr(code, ':'), *hash;
  if(colon)
    *colon = '\0';
  if((hash = strrchr(code, '#')) != NULL)
    memmove(code, hash + 1, strlen(hash));
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  if(!cJSON_IsString(m))
    m = cJSON_GetObjectItemCaseSensitive(j, "Message");
  snprintf(msg, mlen, "%s", cJSON_IsString(m) ? m->valuestring : "");
  cJSON_Delete(j);
}

/* The error code and message of a reply. */
static void aws_error(const struct pw_http_resp *r, char *code, size_t clen,
                      char *msg, size_t mlen) {
  char h[256];
  act_lambda_parse_error(pw_http_header(r, "x-amzn-ErrorType", h, sizeof(h)),
                         pw_buf_str(&r->body), r->body.len, code, clen, msg,
                         mlen);
}

static int lambda_retryable(const struct pw_http_resp *r) {
  char code[128], msg[8];
  if(r->status == 429 || r->status >= 500)
    return r->status != 501;
  if(r->status != 400)
    return 0;
  aws_error(r, code, sizeof(code), msg, sizeof(msg));
  return strcmp(code, "ThrottlingException") == 0 ||
         strcmp(code, "Throttling") == 0 ||
         strcmp(code, "TooManyRequestsException") == 0 ||
         strcmp(code, "RequestLimitExceeded") == 0;
}

/* Maps a failed answer to a code and says why in a->why. */
static int fail(struct lambda *l, const char *op) {
  char code[128], msg[160];
  const struct pw_http_resp *r = &l->resp;
  aws_error(r, code, sizeof(code), msg, sizeof(msg));
  act_why(&l->base, "lambda %s %s:%s: HTTP %ld %s%s%s",
           op, l->function, l->qualifier, r->status, code, msg[0] ? ": " : "",
           msg);
  switch(r->status) {
  case 400:
    /* AWS's own refusal: logged once per distinct message. */
    act_refusal_log(&l->base, pw_clock_mono_ms());
    return PW_EREFUSED;
  case 401:
  case 403:
    return PW_EAUTH;
  case 404:
    return PW_ENOTFOUND;
  case 409:
    return PW_EBUSY;
  default:
    return PW_EREMOTE;
  }
}

/* One signed request; 0 when an answer came (see l->resp.status). */
static int call(struct lambda *l, const char *op, const char *method,
                const char *path, const char *query, const char *body) {
  char url[1024], err[256];
  struct pw_aws_signing s;
  int64_t now = (int64_t)time(NULL) * 1000;
  int rc = pw_aws_signing(l->aws, "lambda", now, &s, err, sizeof(err));
  if(rc) {
    act_why(&l->base, "lambda %s: %s", op, err);
    return rc == PW_ENOMEM ? rc : PW_EAUTH;
  }
  snprintf(url, sizeof(url), "%s%s%s%s", l->endpoint, path, query ? "?" : "",
           query ? query : "");
  struct pw_http_req q = {.method = method, .url = url,
                          .headers = {"Accept: application/json"},
                          .timeout_ms = l->timeout_ms};
  if(body) {
    q.headers[1] = "Content-Type: application/json";
    q.body = body;
    q.body_len = strlen(body);
  }
  pw_aws_signing_apply(&s, &q);
  int attempts = 0;
  rc = pw_http_call(&l->http, &q, &l->retry, &l->resp, &attempts);
  __atomic_fetch_add(&requests, attempts, __ATOMIC_RELAXED);
  pw_aws_signing_cleanup(&s);
  if(rc)
    act_why(&l->base, "lambda %s %s:%s: %s", op,
             l->function, l->qualifier, l->resp.error);
  return rc;
}

int act_lambda_parse_config(const char *body, size_t len,
                            struct act_lambda_pc *out) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "Status");
  memset(out, 0, sizeof(*out));
  int rc = cJSON_IsObject(j) && cJSON_IsString(st) ? 0 : PW_EPARSE;
  if(rc == 0)
    rc = act_json_count(j, "RequestedProvisionedConcurrentExecutions", 0,
                        &out->requested);
  if(rc == 0)
    rc = act_json_count(j, "AllocatedProvisionedConcurrentExecutions", 0,
                        &out->allocated);
  if(rc == 0)
    rc = act_json_count(j, "AvailableProvisionedConcurrentExecutions", 0,
                        &out->available);
  if(rc == 0) {
    if(strcmp(st->valuestring, "READY") == 0)
      out->status = ST_READY;
    else if(strcmp(st->valuestring, "IN_PROGRESS") == 0)
      out->status = ST_IN_PROGRESS;
    else if(strcmp(st->valuestring, "FAILED") == 0)
      out->status = ST_FAILED;
    else
      rc = PW_EPARSE;
  }
  if(rc == 0 && out->status == ST_FAILED) {
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(j, "StatusReason");
    snprintf(out->reason, sizeof(out->reason), "%s",
             cJSON_IsString(why) ? why->valuestring : "(no reason given)");
  }
  cJSON_Delete(j);
  return rc;
}

/* Reads a provisioned-concurrency config reply into l->now. */
static int parse_config(struct lambda *l) {
  struct act_lambda_pc pc;
  int rc = act_lambda_parse_config(pw_buf_str(&l->resp.body),
                                   l->resp.body.len, &pc);
  if(rc) {
    act_why(&l->base, "lambda %s:%s: the "
             "provisioned-concurrency reply is not the documented JSON",
             l->function, l->qualifier);
    return rc;
  }
  if(pc.status == ST_FAILED) {
    act_why(&l->base, "lambda %s:%s: allocation FAILED: %s", l->function,
            l->qualifier, pc.reason);
    pw_log(PW_LOG_WARN, "%s", l->base.why);
  }
  l->now = (struct reading){1, pc.requested, pc.allocated, pc.available,
                            pc.status, pw_clock_mono_ms()};
  return 0;
}

/* The provisioned-concurrency path of the function. */
static void pc_path(const struct lambda *l, char *out, size_t len) {
  snprintf(out, len, "/2019-09-30/functions/%s/provisioned-concurrency",
           l->function);
}

static int read_config_once(struct lambda *l) {
  char path[256], query[300];
  pc_path(l, path, sizeof(path));
  snprintf(query, sizeof(query), "Qualifier=%s", l->qualifier);
  int rc = call(l, "GetProvisionedConcurrencyConfig", "GET", path, query,
                NULL);
  if(rc)
    return rc;
  if(l->resp.status == 200)
    return parse_config(l);
  if(l->resp.status == 404) {
    char code[128], msg[8];
    aws_error(&l->resp, code, sizeof(code), msg, sizeof(msg));
    if(strcmp(code, "ProvisionedConcurrencyConfigNotFoundException") == 0) {
      l->now = (struct reading){1, 0, 0, 0, ST_NONE, pw_clock_mono_ms()};
      return 0;
    }
  }
  return fail(l, "GetProvisionedConcurrencyConfig");
}

/* Reads the config; a failure keeps the last reading, marked stale. */
static int read_config(struct lambda *l) {
  int rc = read_config_once(l);
  l->stale = rc != 0;
  return rc;
}

/* What is there as far as known: the last reading, ACT_F_STALE when the
 * last read failed, -1 when nothing was ever read. */
static void fill(const struct lambda *l, struct act_capacity *out) {
  const struct reading *r = &l->now;
  if(!r->have) {
    *out = (struct act_capacity){-1, -1, -1, ACT_F_STALE};
    return;
  }
  *out = (struct act_capacity){r->requested, r->allocated, r->available,
                               (r->status == ST_IN_PROGRESS ? ACT_F_PENDING
                                                            : 0u) |
                               (l->stale ? ACT_F_STALE : 0u)};
}

static int refresh(struct lambda *l) {
  double age = pw_clock_mono_ms() - l->now.at_ms;
  double ttl = (double)(l->now.status == ST_IN_PROGRESS ? l->poll_ms
                                                        : l->refresh_ms);
  if(l->now.have && age < ttl)
    return 0;
  return read_config(l);
}

static int lambda_get(struct act *a, struct act_capacity *out) {
  struct lambda *l = (struct lambda *)a;
  int rc = refresh(l);
  fill(l, out);
  return rc;
}

/* Does the alias route between versions?  Versions never do. */
int act_lambda_parse_alias(const char *body, size_t len, int *weighted) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *rcfg = cJSON_GetObjectItemCaseSensitive(j, "RoutingConfig");
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(
    rcfg, "AdditionalVersionWeights");
  int rc = cJSON_IsObject(j) ? 0 : PW_EPARSE;
  *weighted = cJSON_IsObject(w) && w->child != NULL;
  cJSON_Delete(j);
  return rc;
}

/* Does the alias route between versions?  Versions never do.  On failure
 * l->weighted keeps what it was. */
static int read_alias(struct lambda *l) {
  char path[512];
  int weighted = 0;
  if(strspn(l->qualifier, "0123456789") == strlen(l->qualifier)) {
    l->weighted = 0;
    return 0;
  }
  snprintf(path, sizeof(path), "/2015-03-31/functions/%s/aliases/%s",
           l->function, l->qualifier);
  int rc = call(l, "GetAlias", "GET", path, NULL, NULL);
  if(rc || l->resp.status != 200)
    return rc ? rc : fail(l, "GetAlias");
  rc = act_lambda_parse_alias(pw_buf_str(&l->resp.body), l->resp.body.len,
                              &weighted);
  if(rc) {
    act_why(&l->base, "lambda GetAlias %s:%s: the reply is not the "
            "documented JSON", l->function, l->qualifier);
    return rc;
  }
  l->weighted = weighted;
  return 0;
}

int act_lambda_parse_reserved(const char *body, size_t len, long *reserved) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(
    j, "ReservedConcurrentExecutions");
  *reserved = -1;
  int rc = cJSON_IsObject(j) ? 0 : PW_EPARSE;
  if(rc == 0 && v)
    rc = act_json_count(j, "ReservedConcurrentExecutions", 0, reserved);
  cJSON_Delete(j);
  return rc;
}

/* ReservedConcurrentExecutions, or -1 when the function has none. */
static int read_reserved(struct lambda *l, long *out) {
  char path[256];
  snprintf(path, sizeof(path), "/2019-09-30/functions/%s/concurrency",
           l->function);
  int rc = call(l, "GetFunctionConcurrency", "GET", path, NULL, NULL);
  if(rc || l->resp.status != 200)
    return rc ? rc : fail(l, "GetFunctionConcurrency");
  return act_lambda_parse_reserved(pw_buf_str(&l->resp.body),
                                   l->resp.body.len, out);
}

int act_lambda_parse_unreserved(const char *body, size_t len, long *out) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(j, "AccountLimit");
  int rc = cJSON_IsObject(lim) &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
             lim, "UnreservedConcurrentExecutions"))
             ? act_json_count(lim, "UnreservedConcurrentExecutions", 0, out)
             : PW_EPARSE;
  cJSON_Delete(j);
  return rc;
}

static int read_unreserved(struct lambda *l, long *out) {
  int rc = call(l, "GetAccountSettings", "GET", "/2016-08-19/account-settings",
                NULL, NULL);
  if(rc || l->resp.status != 200)
    return rc ? rc : fail(l, "GetAccountSettings");
  return act_lambda_parse_unreserved(pw_buf_str(&l->resp.body),
                                     l->resp.body.len, out);
}

/* Adds up what the function's other aliases and versions request. */
static int sum_list_page(const char *qualifier, const cJSON *items,
                         long *others) {
  size_t ql = strlen(qualifier);
  const cJSON *it;
  cJSON_ArrayForEach(it, items) {
    const cJSON *arn = cJSON_GetObjectItemCaseSensitive(it, "FunctionArn");
    long req;
    if(!cJSON_IsString(arn) ||
       act_json_count(it, "RequestedProvisionedConcurrentExecutions", 0, &req))
      return PW_EPARSE;
    size_t n = strlen(arn->valuestring);
    const char *tail = arn->valuestring + (n > ql ? n - ql : 0);
    int mine = n > ql && tail[-1] == ':' && strcmp(tail, qualifier) == 0;
    /* Each count is at most 1e9 and a page holds at most 50: no overflow
     * within the 100 pages read_others takes. */
    if(!mine)
      *others += req;
  }
  return 0;
}

int act_lambda_parse_list(const char *body, size_t len,
                          const char *qualifier, long *others, char **next) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(
    j, "ProvisionedConcurrencyConfigs");
  const cJSON *nx = cJSON_GetObjectItemCaseSensitive(j, "NextMarker");
  int rc = cJSON_IsArray(items) ? sum_list_page(qualifier, items, others)
                                : PW_EPARSE;
  *next = NULL;
  if(rc == 0 && cJSON_IsString(nx) && *nx->valuestring &&
     !(*next = pw_strdup(nx->valuestring)))
    rc = PW_ENOMEM;
  cJSON_Delete(j);
  return rc;
}

static int read_others(struct lambda *l, long *others) {
  char path[256], *marker = NULL;
  struct pw_buf q;
  int rc = 0;
  pc_path(l, path, sizeof(path));
  pw_buf_init(&q, 4096);
  *others = 0;
  /* 50 a page; 100 pages is far beyond any real function. */
  for(int page = 0; rc == 0 && page < 100; page++) {
    pw_buf_reset(&q);
    /* Canonical order (sorted by name), as libcurl 7.88 signs it raw. */
    rc = pw_buf_printf(&q, "List=ALL");
    if(rc == 0 && marker)
      rc = pw_buf_printf(&q, "&Marker=");
    if(rc == 0 && marker)
      rc = pw_http_encode(&q, marker);
    if(rc == 0)
      rc = pw_buf_printf(&q, "&MaxItems=50");
    if(rc == 0)
      rc = call(l, "ListProvisionedConcurrencyConfigs", "GET", path, q.p,
                NULL);
    if(rc)
      break;
    if(l->resp.status != 200) {
      rc = fail(l, "ListProvisionedConcurrencyConfigs");
      break;
    }
    pw_free(marker);
    rc = act_lambda_parse_list(pw_buf_str(&l->resp.body), l->resp.body.len,
                               l->qualifier, others, &marker);
    if(!marker)
      break;
  }
  pw_free(marker);
  pw_buf_cleanup(&q);
  return rc;
}

/* The concurrency limits, apart from the alias: a GetAlias that fails
 * must not skip them (a reserved concurrency of 3 must still cut 4). */
static int read_limits(struct lambda *l) {
  long reserved = -1, unreserved = 0, others = 0;
  int rc = read_reserved(l, &reserved);
  /* The account's unreserved concurrency bounds only a function without
   * a reservation of its own. */
  if(rc == 0 && reserved < 0)
    rc = read_unreserved(l, &unreserved);
  if(rc == 0)
    rc = read_others(l, &others);
  if(rc) {
    if(rc == PW_EPARSE)
      act_why(&l->base, "lambda %s: a concurrency "
               "limit reply is not the documented JSON", l->function);
    return rc;
  }
  long cap = reserved >= 0 ? reserved : unreserved - 100;
  l->limit = cap - others > 0 ? cap - others : 0;
  if(reserved >= 0)
    snprintf(l->limit_text, sizeof(l->limit_text), "reserved concurrency %ld"
             " less %ld held by other qualifiers", reserved, others);
  else
    snprintf(l->limit_text, sizeof(l->limit_text), "unreserved account "
             "concurrency %ld minus 100, less %ld held by other qualifiers",
             unreserved, others);
  l->have_limits = 1;
  l->limits_at_ms = pw_clock_mono_ms();
  return 0;
}

/* Reads what AWS would accept when due: the alias every plan until it
 * could be read, the limits every limits_ms.  AWS still checks both
 * itself; an unreadable one must not stop a scale-up, so a failure is
 * logged and the plan goes on with what is known. */
static int refresh_limits(struct lambda *l) {
  int due = !l->have_limits ||
            pw_clock_mono_ms() - l->limits_at_ms >= (double)l->limits_ms;
  int rc;
  if(due || !l->alias_known) {
    rc = read_alias(l);
    if(rc == PW_ENOMEM)
      return rc;
    l->alias_known = rc == 0;
    if(rc)
      pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", l->base.why)),
              "lambda: going on without the weighted-alias check");
  }
  if(due) {
    rc = read_limits(l);
    if(rc == PW_ENOMEM)
      return rc;
    if(rc)
      pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", l->base.why)),
              "lambda: going on without the concurrency limit check");
  }
  return 0;
}

/* Sets ACT_F_DEFERRED when a Put would meet a change still IN_PROGRESS:
 * AWS answers it with 409, so it waits for READY.  A Delete (0) is sent:
 * it ends the allocation, and a 409 to it is deferred in set(). */
static void defer(struct lambda *l, long send, unsigned *flags) {
  char before[sizeof(l->base.why)];
  if(!l->now.have || l->now.status != ST_IN_PROGRESS || send == 0 ||
     send == l->now.requested)
    return;
  *flags |= ACT_F_DEFERRED;
  snprintf(before, sizeof(before), "%s", l->base.why);
  act_why(&l->base, "%s%slambda %s:%s: %ld waits until the change to %ld, "
          "IN_PROGRESS, is READY", before, before[0] ? "; " : "",
          l->function, l->qualifier, send, l->now.requested);
}

static int lambda_plan(struct act *a, long desired, long *send,
                       unsigned *flags) {
  struct lambda *l = (struct lambda *)a;
  *send = desired;
  if(desired < 0)
    return PW_EINVAL;
  int rc = refresh_limits(l);
  if(rc)
    return rc;
  if(l->weighted) {
    act_why(a, "lambda %s:%s: the alias routes "
             "between versions; AWS refuses provisioned concurrency on a "
             "weighted alias", l->function, l->qualifier);
    *flags |= ACT_F_REFUSED;
    act_refusal_log(a, pw_clock_mono_ms());
    return PW_EREFUSED;
  }
  if(l->have_limits && desired > l->limit) {
    *send = l->limit;
    *flags |= ACT_F_LIMITED;
    act_why(a, "lambda %s:%s: %ld cut to %ld, the "
             "most AWS accepts (%s)", l->function, l->qualifier, desired,
             l->limit, l->limit_text);
  }
  defer(l, *send, flags);
  return 0;
}

static int write_config(struct lambda *l, long n) {
  char path[256], query[300], body[96];
  pc_path(l, path, sizeof(path));
  snprintf(query, sizeof(query), "Qualifier=%s", l->qualifier);
  if(n == 0) {
    int rc = call(l, "DeleteProvisionedConcurrencyConfig", "DELETE", path,
                  query, NULL);
    if(rc)
      return rc;
    if(l->resp.status != 204 && l->resp.status != 200 &&
       l->resp.status != 404)
      return fail(l, "DeleteProvisionedConcurrencyConfig");
    l->now = (struct reading){1, 0, 0, 0, ST_NONE, pw_clock_mono_ms()};
    return 0;
  }
  snprintf(body, sizeof(body), "{\"ProvisionedConcurrentExecutions\": %ld}",
           n);
  int rc = call(l, "PutProvisionedConcurrencyConfig", "PUT", path, query,
                body);
  if(rc)
    return rc;
  if(l->resp.status != 202 && l->resp.status != 200) {
    rc = fail(l, "PutProvisionedConcurrencyConfig");
    if(rc == PW_EREFUSED)
      l->have_limits = 0;  /* AWS knows better: read the limits again */
    return rc;
  }
  return parse_config(l);
}

static int lambda_set(struct act *a, long desired, struct act_capacity *out) {
  struct lambda *l = (struct lambda *)a;
  unsigned flags = 0;
  long send = desired;
  int rc = refresh(l);
  if(rc == 0)
    rc = act_plan(a, desired, &send, &flags);
  if(rc == 0 && !(flags & ACT_F_DEFERRED)) {
    if(l->now.requested == send && l->now.status != ST_FAILED)
      flags |= ACT_F_UNCHANGED;
    else
      rc = write_config(l, send);
  }
  if(rc == PW_EBUSY) {
    /* 409: another change is being applied.  Not an error: the request
     * waits, and the config is read again next time. */
    rc = 0;
    flags |= ACT_F_DEFERRED | ACT_F_PENDING;
    l->now.at_ms = -1e18;
  }
  fill(l, out);
  out->flags |= flags;
  if(rc && rc != PW_EREFUSED)
    l->now.at_ms = -1e18;  /* read it again next time */
  return rc;
}

static void lambda_free(struct act *a) {
  struct lambda *l = (struct lambda *)a;
  pw_http_resp_cleanup(&l->resp);
  pw_http_cleanup(&l->http);
  pw_free(l);
}

static const struct act_ops lambda_ops = {"lambda", lambda_get, lambda_plan,
                                          lambda_set, lambda_free};

static int check_names(const struct act_lambda_cfg *c, char *err,
                       size_t errlen) {
  static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
                                   "NOPQRSTUVWXYZ0123456789-_";
  size_t fl = c->function ? strlen(c->function) : 0;
  size_t ql = c->qualifier ? strlen(c->qualifier) : 0;
  if(fl == 0 || fl > 64 || strspn(c->function, name_chars) != fl) {
    snprintf(err, errlen, "function: give the plain function name, 1 to 64 "
             "of [A-Za-z0-9_-] (not an ARN)");
    return PW_EINVAL;
  }
  if(ql && strcmp(c->qualifier, "$LATEST") == 0) {
    snprintf(err, errlen, "qualifier: AWS refuses provisioned concurrency "
             "on $LATEST; use a published version or an alias");
    return PW_EINVAL;
  }
  if(ql == 0 || ql > 128 || strspn(c->qualifier, name_chars) != ql) {
    snprintf(err, errlen, "qualifier: an alias or version, 1 to 128 of "
             "[A-Za-z0-9_-]");
    return PW_EINVAL;
  }
  return 0;
}

int act_lambda_new(const struct act_lambda_cfg *c, struct pw_aws *aws,
                   struct act **out, char *err, size_t errlen) {
  *out = NULL;
  int rc = check_names(c, err, errlen);
  if(rc)
    return rc;
  struct lambda *l = pw_calloc(1, sizeof(*l));
  if(!l)
    return PW_ENOMEM;
  l->base.ops = &lambda_ops;
  snprintf(l->function, sizeof(l->function), "%s", c->function);
  snprintf(l->qualifier, sizeof(l->qualifier), "%s", c->qualifier);
  l->aws = aws;
  l->poll_ms = c->poll_ms > 0 ? c->poll_ms : 10000;
  l->refresh_ms = c->refresh_ms > 0 ? c->refresh_ms : 60000;
  l->limits_ms = c->limits_ms > 0 ? c->limits_ms : 300000;
  l->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 10000;
  pthread_once(&rate_once, rate_init);
  pw_retry_default(&l->retry);
  if(c->retry_base_ms > 0)
    l->retry.base_ms = c->retry_base_ms;
  l->retry.retryable = lambda_retryable;
  l->retry.rate = &rate;
  pw_http_resp_init(&l->resp);
  rc = pw_http_init(&l->http);
  if(rc == 0 && pw_aws_endpoint(aws, "LAMBDA", "lambda", l->endpoint,
                                sizeof(l->endpoint))) {
    snprintf(err, errlen, "AWS_ENDPOINT_URL_LAMBDA: not an http(s) URL");
    rc = PW_EINVAL;
  }
  if(rc) {
    lambda_free(&l->base);
    return rc;
  }
  *out = &l->base;
  return 0;
}
