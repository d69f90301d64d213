#include "pw_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "pw_alloc.h"
#include "pw_log.h"
#include "pw_time.h"

#define ADVISORY_MS (15 * 60 * 1000L)
#define MANDATORY_MS (10 * 60 * 1000L)
#define TOKEN_FILE_MAX (64 * 1024)

enum source { SRC_ENV, SRC_WEB_IDENTITY, SRC_CONTAINER };

struct pw_aws {
  pthread_mutex_t mu;       /* guards everything below the region */
  enum source src;
  char region[64];
  /* web identity */
  char *role_arn;
  char *token_file;
  char *session_name;
  /* container */
  char *container_url;
  char *container_token_file;
  char *container_token;
  /* the current credentials; expires_ms 0 means they never do */
  char *key_id;
  char *secret;
  char *session_token;
  int64_t expires_ms;
  struct pw_http http;
  long refreshes;
};

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static int set_str(char **dst, const char *v) {
  pw_free(*dst);
  *dst = v ? pw_strdup(v) : NULL;
  return v && !*dst ? PW_ENOMEM : 0;
}

void pw_aws_free(struct pw_aws **ap) {
  struct pw_aws *a = *ap;
  if(!a)
    return;
  pw_free(a->role_arn);
  pw_free(a->token_file);
  pw_free(a->session_name);
  pw_free(a->container_url);
  pw_free(a->container_token_file);
  pw_free(a->container_token);
  pw_free(a->key_id);
  pw_free(a->secret);
  pw_free(a->session_token);
  pw_http_cleanup(&a->http);
  pthread_mutex_destroy(&a->mu);
  pw_free(a);
  *ap = NULL;
}

static int valid_region(const char *r) {
  size_t n = strlen(r);
  if(n == 0 || n >= 64)
    return 0;
  for(; *r; r++)
    if(!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
      return 0;
  return 1;
}

/* The hosts botocore accepts for a plain-http container credential URI:
 * loopback, and the ECS and EKS Pod Identity agent addresses. */
static int allowed_container_url(const char *url) {
  if(strncmp(url, "https://", 8) == 0)
    return 1;
  if(strncmp(url, "http://", 7) != 0)
    return 0;
  const char *h = url + 7;
  static const char *const ok[] = {"127.", "localhost", "[::1]",
                                   "169.254.170.2", "169.254.170.23",
                                   "[fd00:ec2::23]"};
  for(size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    size_t n = strlen(ok[i]);
    if(strncmp(h, ok[i], n) != 0)
      continue;
    char c = h[n];
    /* "127." is a prefix; the others must end the host. */
    if(ok[i][n - 1] == '.' || c == '\0' || c == ':' || c == '/')
      return 1;
  }
  return 0;
}

static int from_env_keys(struct pw_aws *a, char *err, size_t errlen) {
  const char *id = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
  const char *tok = env("AWS_SESSION_TOKEN");
  if(!tok)
    tok = env("AWS_SECURITY_TOKEN");
  if(!id != !sk) {
    snprintf(err, errlen, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must "
             "be set together (only %s is set)",
             id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
    return PW_EINVAL;
  }
  if(set_str(&a->key_id, id) || set_str(&a->secret, sk) ||
     set_str(&a->session_token, tok))
    return PW_ENOMEM;
  const char *exp = env("AWS_CREDENTIAL_EXPIRATION");
  if(exp && pw_time_parse(exp, &a->expires_ms)) {
    snprintf(err, errlen, "AWS_CREDENTIAL_EXPIRATION: not an ISO 8601 time");
    return PW_EINVAL;
  }
  a->src = SRC_ENV;
  return 0;
}

static int from_web_identity(struct pw_aws *a, char *err, size_t errlen) {
  char name[80];
  const char *sn = env("AWS_ROLE_SESSION_NAME");
  if(!sn) {
    snprintf(name, sizeof(name), "prewarm-%ld", (long)time(NULL));
    sn = name;
  }
  size_t n = strlen(sn);
  if(n < 2 || n > 64 || strspn(sn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
                               "NOPQRSTUVWXYZ0123456789_+=,.@-") != n) {
    snprintf(err, errlen, "AWS_ROLE_SESSION_NAME: must be 2 to 64 of "
             "[A-Za-z0-9_+=,.@-]");
    return PW_EINVAL;
  }
  if(set_str(&a->role_arn, env("AWS_ROLE_ARN")) ||
     set_str(&a->token_file, env("AWS_WEB_IDENTITY_TOKEN_FILE")) ||
     set_str(&a->session_name, sn))
    return PW_ENOMEM;
  a->src = SRC_WEB_IDENTITY;
  return 0;
}

static int from_container(struct pw_aws *a, char *err, size_t errlen) {
  const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  char url[1024];
  if(rel)
    snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
  else
    snprintf(url, sizeof(url), "%s", full);
  if(!rel && !allowed_container_url(url)) {
    snprintf(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http "
             "is allowed only to loopback or the ECS/EKS agent addresses");
    return PW_EINVAL;
  }
  if(set_str(&a->container_url, url) ||
     set_str(&a->container_token_file,
             env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) ||
     set_str(&a->container_token, env("AWS_CONTAINER_AUTHORIZATION_TOKEN")))
    return PW_ENOMEM;
  a->src = SRC_CONTAINER;
  return 0;
}

static int resolve(struct pw_aws *a, char *err, size_t errlen) {
  const char *region = env("AWS_REGION");
  if(!region)
    region = env("AWS_DEFAULT_REGION");
  if(!region) {
    snprintf(err, errlen, "no AWS region: set AWS_REGION or "
             "AWS_DEFAULT_REGION");
    return PW_EINVAL;
  }
  if(!valid_region(region)) {
    snprintf(err, errlen, "AWS_REGION: not a region name");
    return PW_EINVAL;
  }
  snprintf(a->region, sizeof(a->region), "%s", region);
  if(env("AWS_ACCESS_KEY_ID") || env("AWS_SECRET_ACCESS_KEY"))
    return from_env_keys(a, err, errlen);
  if(env("AWS_ROLE_ARN") && env("AWS_WEB_IDENTITY_TOKEN_FILE"))
    return from_web_identity(a, err, errlen);
  if(env("AWS_CONTAINER_CREDENTIALS_FULL_URI") ||
     env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
    return from_container(a, err, errlen);
  snprintf(err, errlen, "no AWS credentials: set AWS_ACCESS_KEY_ID and "
           "AWS_SECRET_ACCESS_KEY, AWS_ROLE_ARN and "
           "AWS_WEB_IDENTITY_TOKEN_FILE (IRSA), or "
           "AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity)");
  return PW_EINVAL;
}

int pw_aws_new(struct pw_aws **out, char *err, size_t errlen) {
  struct pw_aws *a = pw_calloc(1, sizeof(*a));
  *out = NULL;
  if(!a)
    return PW_ENOMEM;
  pthread_mutex_init(&a->mu, NULL);
  int rc = pw_http_init(&a->http);
  if(rc == 0)
    rc = resolve(a, err, errlen);
  if(rc) {
    if(rc == PW_ENOMEM)
      snprintf(err, errlen, "out of memory");
    pw_aws_free(&a);
    return rc;
  }
  *out = a;
  return 0;
}

const char *pw_aws_region(const struct pw_aws *a) {
  return a->region;
}

const char *pw_aws_source(const struct pw_aws *a) {
  static const char *const names[] = {"environment", "web-identity",
                                      "container"};
  return names[a->src];
}

long pw_aws_refreshes(const struct pw_aws *a) {
  return a->refreshes;
}

int pw_aws_endpoint(const struct pw_aws *a, const char *service_id,
                    const char *prefix, char *out, size_t len) {
  char name[64];
  const char *v = NULL, *ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  int n;
  if(!ignore || strcasecmp(ignore, "true") != 0) {
    snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_%s", service_id);
    v = env(name);
    if(!v)
      v = env("AWS_ENDPOINT_URL");
  }
  if(v)
    n = snprintf(out, len, "%s", v);
  else
    n = snprintf(out, len, "https://%s.%s.amazonaws.com", prefix, a->region);
  if(n < 0 || (size_t)n >= len)
    return PW_ETOOBIG;
  while(n > 0 && out[n - 1] == '/')
    out[--n] = '\0';
  if(strncmp(out, "https://", 8) != 0 && strncmp(out, "http://", 7) != 0)
    return PW_EINVAL;
  return 0;
}

/* Reads a small token file, trimmed.  The caller frees *out. */
static int read_token(const char *path, char **out, char *err,
                      size_t errlen) {
  struct pw_buf b;
  pw_buf_init(&b, TOKEN_FILE_MAX);
  int rc = pw_buf_read_file(&b, path);
  *out = NULL;
  if(rc) {
    snprintf(err, errlen, "%s: %s", path, rc == PW_EIO
             ? "cannot read the token file" : "token file too large");
    pw_buf_cleanup(&b);
    return rc;
  }
  pw_buf_rtrim(&b);
  if(b.len == 0) {
    snprintf(err, errlen, "%s: the token file is empty", path);
    pw_buf_cleanup(&b);
    return PW_EINVAL;
  }
  *out = b.p;
  return 0;
}

/* The text of the first <tag>...</tag> in an XML body, with the five
 * predefined entities decoded.  The caller frees *out. */
static int xml_text(const char *xml, const char *tag, char **out) {
  char open[64], close[64];
  snprintf(open, sizeof(open), "<%s>", tag);
  snprintf(close, sizeof(close), "</%s>", tag);
  const char *s = strstr(xml, open), *e;
  *out = NULL;
  if(!s || !(e = strstr(s += strlen(open), close)))
    return PW_ENOTFOUND;
  char *r = pw_malloc((size_t)(e - s) + 1), *w = r;
  if(!r)
    return PW_ENOMEM;
  static const char *const ent[][2] = {{"&amp;", "&"}, {"&lt;", "<"},
                                       {"&gt;", ">"}, {"&quot;", "\""},
                                       {"&apos;", "'"}};
  while(s < e) {
    size_t i;
    for(i = 0; i < 5; i++) {
      size_t n = strlen(ent[i][0]);
      if((size_t)(e - s) >= n && strncmp(s, ent[i][0], n) == 0) {
        *w++ = ent[i][1][0];
        s += n;
        break;
      }
    }
    if(i == 5)
      *w++ = *s++;
  }
  *w = '\0';
  *out = r;
  return 0;
}

/* Takes new credentials; all three strings are taken over. */
static void take_creds(struct pw_aws *a, char *id, char *sk, char *tok,
                       int64_t exp_ms) {
  pw_free(a->key_id);
  pw_free(a->secret);
  pw_free(a->session_token);
  a->key_id = id;
  a->secret = sk;
  a->session_token = tok;
  a->expires_ms = exp_ms;
}

void pw_aws_creds_cleanup(struct pw_aws_creds *c) {
  if(c->secret)
    memset(c->secret, 0, strlen(c->secret));
  pw_free(c->key_id);
  pw_free(c->secret);
  pw_free(c->token);
  *c = (struct pw_aws_creds){NULL, NULL, NULL, 0};
}

int pw_aws_parse_sts(const char *xml, struct pw_aws_creds *out, char *err,
                     size_t errlen) {
  char *id = NULL, *sk = NULL, *tok = NULL, *exp = NULL;
  int64_t exp_ms = 0;
  *out = (struct pw_aws_creds){NULL, NULL, NULL, 0};
  int rc = xml_text(xml, "AccessKeyId", &id);
  if(rc == 0)
    rc = xml_text(xml, "SecretAccessKey", &sk);
  if(rc == 0)
    rc = xml_text(xml, "SessionToken", &tok);
  if(rc == 0)
    rc = xml_text(xml, "Expiration", &exp);
  if(rc == 0 && (pw_time_parse(exp, &exp_ms) || !*id || !*sk || !*tok))
    rc = PW_EPARSE;
  pw_free(exp);
  if(rc) {
    snprintf(err, errlen, "STS AssumeRoleWithWebIdentity: the response "
             "lacks credentials or their expiration");
    pw_free(id);
    pw_free(sk);
    pw_free(tok);
    return rc == PW_ENOMEM ? rc : PW_EPARSE;
  }
  *out = (struct pw_aws_creds){id, sk, tok, exp_ms};
  return 0;
}

static int sts_parse(struct pw_aws *a, const struct pw_http_resp *r,
                     char *err, size_t errlen) {
  struct pw_aws_creds c;
  int rc = pw_aws_parse_sts(pw_buf_str(&r->body), &c, err, errlen);
  if(rc == 0)
    take_creds(a, c.key_id, c.secret, c.token, c.expires_ms);
  return rc;
}

/* STS errors worth another try: botocore retries IDPCommunicationError,
 * and an expired token file may have been rotated since we read it. */
static int sts_retryable(const struct pw_http_resp *r) {
  const char *b = pw_buf_str(&r->body);
  return r->status == 429 || r->status >= 500 ||
         strstr(b, "<Code>IDPCommunicationError</Code>") ||
         strstr(b, "<Code>ExpiredTokenException</Code>") ||
         strstr(b, "<Code>Throttling</Code>");
}

static int sts_body(struct pw_aws *a, struct pw_buf *body, char *err,
                    size_t errlen) {
  char *jwt;
  int rc = read_token(a->token_file, &jwt, err, errlen);
  if(rc)
    return rc;
  rc = pw_buf_printf(body, "Action=AssumeRoleWithWebIdentity"
                     "&Version=2011-06-15&RoleArn=");
  if(rc == 0)
    rc = pw_http_encode(body, a->role_arn);
  if(rc == 0)
    rc = pw_buf_printf(body, "&RoleSessionName=");
  if(rc == 0)
    rc = pw_http_encode(body, a->session_name);
  if(rc == 0)
    rc = pw_buf_printf(body, "&WebIdentityToken=");
  if(rc == 0)
    rc = pw_http_encode(body, jwt);
  pw_free(jwt);
  return rc;
}

static void sts_error(const struct pw_http_resp *r, char *err,
                      size_t errlen) {
  char *code = NULL, *msg = NULL;
  const char *xml = pw_buf_str(&r->body);
  if(xml_text(xml, "Code", &code) == PW_ENOMEM ||
     xml_text(xml, "Message", &msg) == PW_ENOMEM) {
    snprintf(err, errlen, "out of memory");
  } else {
    snprintf(err, errlen, "STS AssumeRoleWithWebIdentity: HTTP %ld %s: %s",
             r->status, code ? code : "(no code)", msg ? msg : "");
  }
  pw_free(code);
  pw_free(msg);
}

static int refresh_web_identity(struct pw_aws *a, char *err,
                                size_t errlen) {
  char url[1024];
  struct pw_buf body;
  struct pw_http_resp r;
  int rc = pw_aws_endpoint(a, "STS", "sts", url, sizeof(url));
  if(rc) {
    snprintf(err, errlen, "AWS_ENDPOINT_URL_STS: not an http(s) URL");
    return rc;
  }
  strncat(url, "/", sizeof(url) - strlen(url) - 1);
  pw_buf_init(&body, 256 * 1024);
  pw_http_resp_init(&r);
  /* Three tries, re-reading the token file each time. */
  for(int k = 0; k < 3; k++) {
    if(k)
      pw_sleep_ms(500L << k);
    pw_buf_reset(&body);
    if((rc = sts_body(a, &body, err, errlen)) != 0)
      break;
    struct pw_http_req q = {
      .method = "POST", .url = url, .body = body.p, .body_len = body.len,
      .headers = {"Content-Type: application/x-www-form-urlencoded; "
                  "charset=utf-8"},
      .timeout_ms = 10000};
    rc = pw_http_do(&a->http, &q, &r);
    if(rc) {
      snprintf(err, errlen, "STS AssumeRoleWithWebIdentity at %s: %s", url,
               r.error);
      continue;
    }
    if(r.status == 200) {
      rc = sts_parse(a, &r, err, errlen);
      break;
    }
    sts_error(&r, err, errlen);
    rc = PW_EIO;
    if(!sts_retryable(&r))
      break;
  }
  pw_buf_cleanup(&body);
  pw_http_resp_cleanup(&r);
  return rc;
}

int pw_aws_parse_container(const char *body, size_t len,
                           struct pw_aws_creds *out, char *err,
                           size_t errlen) {
  cJSON *j = cJSON_ParseWithLength(body ? body : "", len);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId");
  const cJSON *sk = cJSON_GetObjectItemCaseSensitive(j, "SecretAccessKey");
  const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "Token");
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "Expiration");
  int64_t exp_ms = 0;
  int rc = 0;
  if(!cJSON_IsString(id) || !cJSON_IsString(sk) || !*id->valuestring ||
     !*sk->valuestring || (tok && !cJSON_IsString(tok)) ||
     (exp && (!cJSON_IsString(exp) ||
              pw_time_parse(exp->valuestring, &exp_ms)))) {
    snprintf(err, errlen, "container credentials: the response is not "
             "JSON with AccessKeyId, SecretAccessKey, Token and Expiration");
    rc = PW_EPARSE;
  } else {
    char *i = pw_strdup(id->valuestring), *s = pw_strdup(sk->valuestring);
    char *t = tok ? pw_strdup(tok->valuestring) : NULL;
    if(!i || !s || (tok && !t)) {
      pw_free(i);
      pw_free(s);
      pw_free(t);
      snprintf(err, errlen, "out of memory");
      rc = PW_ENOMEM;
    } else {
      *out = (struct pw_aws_creds){i, s, t, exp_ms};
    }
  }
  cJSON_Delete(j);
  return rc;
}

static int container_parse(struct pw_aws *a, const struct pw_http_resp *r,
                           char *err, size_t errlen) {
  struct pw_aws_creds c;
  int rc = pw_aws_parse_container(r->body.p, r->body.len, &c, err, errlen);
  if(rc == 0)
    take_creds(a, c.key_id, c.secret, c.token, c.expires_ms);
  return rc;
}

static int container_auth(struct pw_aws *a, char *hdr, size_t len, char *err,
                          size_t errlen) {
  char *tok = NULL;
  hdr[0] = '\0';
  if(a->container_token_file) {
    int rc = read_token(a->container_token_file, &tok, err, errlen);
    if(rc)
      return rc;
  } else if(a->container_token && !(tok = pw_strdup(a->container_token))) {
    return PW_ENOMEM;
  }
  if(!tok)
    return 0;
  int bad = strpbrk(tok, "\r\n") != NULL;
  if(!bad && (size_t)snprintf(hdr, len, "Authorization: %s", tok) >= len)
    bad = 1;
  pw_free(tok);
  if(bad) {
    snprintf(err, errlen, "container credentials: the authorization token "
             "has a line break or is too long");
    return PW_EINVAL;
  }
  return 0;
}

static int refresh_container(struct pw_aws *a, char *err, size_t errlen) {
  char auth[8192];
  struct pw_http_resp r;
  int rc = 0;
  pw_http_resp_init(&r);
  /* botocore: 2 s timeout, 3 attempts, 1 s apart; the token file is
   * re-read each time, as it is a rotating projected token. */
  for(int k = 0; k < 3; k++) {
    if(k)
      pw_sleep_ms(1000);
    if((rc = container_auth(a, auth, sizeof(auth), err, errlen)) != 0)
      break;
    struct pw_http_req q = {.method = "GET", .url = a->container_url,
                            .headers = {"Accept: application/json",
                                        auth[0] ? auth : NULL},
                            .timeout_ms = 2000, .max_response = 64 * 1024};
    rc = pw_http_do(&a->http, &q, &r);
    if(rc) {
      snprintf(err, errlen, "container credentials at %s: %s",
               a->container_url, r.error);
      continue;
    }
    if(r.status == 200) {
      rc = container_parse(a, &r, err, errlen);
      break;
    }
    snprintf(err, errlen, "container credentials at %s: HTTP %ld",
             a->container_url, r.status);
    rc = PW_EIO;
    if(r.status < 500 && r.status != 429)
      break;
  }
  pw_http_resp_cleanup(&r);
  return rc;
}

/* Called with the mutex held. */
static int ensure_creds(struct pw_aws *a, int64_t now_ms, char *err,
                        size_t errlen) {
  int have = a->key_id != NULL;
  if(have && (a->expires_ms == 0 || now_ms < a->expires_ms - ADVISORY_MS))
    return 0;
  if(a->src == SRC_ENV) {
    snprintf(err, errlen, "the AWS credentials in the environment expired "
             "(AWS_CREDENTIAL_EXPIRATION)");
    return have && now_ms < a->expires_ms ? 0 : PW_EINVAL;
  }
  a->refreshes++;
  int rc = a->src == SRC_WEB_IDENTITY ? refresh_web_identity(a, err, errlen)
                                      : refresh_container(a, err, errlen);
  if(rc && have && now_ms < a->expires_ms - MANDATORY_MS) {
    pw_log(PW_LOG_WARN, "aws: refreshing credentials failed, the current "
           "ones stay valid for now: %s", err);
    return 0;
  }
  return rc;
}

int pw_aws_signing(struct pw_aws *a, const char *service, int64_t now_ms,
                   struct pw_aws_signing *s, char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:%s", a->region, service);
  pthread_mutex_lock(&a->mu);
  int rc = ensure_creds(a, now_ms, err, errlen);
  if(rc == 0) {
    s->key_id = pw_strdup(a->key_id);
    s->secret = pw_strdup(a->secret);
    if(a->session_token) {
      size_t n = strlen(a->session_token) + 32;
      s->token_header = pw_malloc(n);
      if(s->token_header)
        snprintf(s->token_header, n, "X-Amz-Security-Token: %s",
                 a->session_token);
    }
    if(!s->key_id || !s->secret || (a->session_token && !s->token_header))
      rc = PW_ENOMEM;
  }
  pthread_mutex_unlock(&a->mu);
  if(rc)
    pw_aws_signing_cleanup(s);
  return rc;
}

void pw_aws_signing_cleanup(struct pw_aws_signing *s) {
  /* Wipe the secret before giving the memory back. */
  if(s->secret)
    memset(s->secret, 0, strlen(s->secret));
  pw_free(s->key_id);
  pw_free(s->secret);
  pw_free(s->token_header);
  s->key_id = s->secret = s->token_header = NULL;
}

void pw_aws_signing_apply(const struct pw_aws_signing *s,
                          struct pw_http_req *req) {
  req->aws_sigv4 = s->sigv4;
  req->aws_key_id = s->key_id;
  req->aws_secret = s->secret;
  if(!s->token_header)
    return;
  for(int i = 0; i < PW_HTTP_MAX_HEADERS; i++) {
    if(!req->headers[i]) {
      req->headers[i] = s->token_header;
      return;
    }
  }
}
