#include "pw_http.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "pw_clock.h"

#define HEADERS_MAX (64 * 1024)

/* Set from a signal handler, read by every thread: a lock-free atomic. */
static atomic_int stopping;
static _Thread_local enum pw_http_scope scope;

void pw_http_scope(enum pw_http_scope sc) {
  scope = sc;
}

void pw_http_stop(void) {
  atomic_store(&stopping, 1);
}

int pw_http_stopping(void) {
  return atomic_load(&stopping) != 0;
}

/* Whether this thread may not start a request now. */
static int refused_now(void) {
  return atomic_load(&stopping) && scope != PW_HTTP_SCOPE_NONE;
}

/* libcurl's progress callback, called about once a second at least: a
 * non-zero return abandons the transfer. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un) {
  (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
  return atomic_load(&stopping) && scope == PW_HTTP_SCOPE_READ;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init(void) {
  global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : PW_EIO;
}

void pw_retry_default(struct pw_retry *r) {
  r->max_attempts = 4;
  r->base_ms = 200;
  r->cap_ms = 5000;
  r->retryable = NULL;
  r->rate = NULL;
}

int pw_http_init(struct pw_http *c) {
  pthread_once(&global_once, global_init);
  c->curl = NULL;
  if(global_rc)
    return global_rc;
  c->curl = curl_easy_init();
  return c->curl ? 0 : PW_ENOMEM;
}

void pw_http_cleanup(struct pw_http *c) {
  if(c->curl)
    curl_easy_cleanup(c->curl);
  c->curl = NULL;
}

void pw_http_resp_init(struct pw_http_resp *r) {
  r->status = 0;
  pw_buf_init(&r->body, 4u << 20);
  pw_buf_init(&r->headers, HEADERS_MAX);
  r->error[0] = '\0';
}

void pw_http_resp_cleanup(struct pw_http_resp *r) {
  pw_buf_cleanup(&r->body);
  pw_buf_cleanup(&r->headers);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  struct pw_http_resp *r = ud;
  return pw_buf_append(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  struct pw_http_resp *r = ud;
  /* A status line starts a new header block (after 100 Continue). */
  if(n * size >= 5 && memcmp(p, "HTTP/", 5) == 0)
    pw_buf_reset(&r->headers);
  return pw_buf_append(&r->headers, p, size * n) ? 0 : size * n;
}

static int set_tls(CURL *h, const struct pw_http_tls *t) {
  CURLcode e = CURLE_OK;
  struct curl_blob blob;
  if(t->ca_pem) {
    blob = (struct curl_blob){(void *)(uintptr_t)t->ca_pem, strlen(t->ca_pem),
                              CURL_BLOB_COPY};
    e = curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  } else if(t->ca_file) {
    e = curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file);
  }
  if(e == CURLE_OK && t->cert_pem) {
    blob = (struct curl_blob){(void *)(uintptr_t)t->cert_pem,
                              strlen(t->cert_pem), CURL_BLOB_COPY};
    e = curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
  } else if(e == CURLE_OK && t->cert_file) {
    e = curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert_file);
  }
  if(e == CURLE_OK && t->key_pem) {
    blob = (struct curl_blob){(void *)(uintptr_t)t->key_pem,
                              strlen(t->key_pem), CURL_BLOB_COPY};
    e = curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
  } else if(e == CURLE_OK && t->key_file) {
    e = curl_easy_setopt(h, CURLOPT_SSLKEY, t->key_file);
  }
  return e == CURLE_OK ? 0 : PW_EIO;
}

/* Sets everything but the headers; the handle was just reset. */
static int set_request(CURL *h, const struct pw_http_req *q,
                       struct pw_http_resp *r, char *errbuf) {
  long timeout = q->timeout_ms > 0 ? q->timeout_ms : 10000;
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_URL, q->url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 5000 ? timeout
                                                                : 5000L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "prewarm/0.1");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  if(q->body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)q->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
  }
  if(strcmp(q->method, "GET") != 0 &&
     !(strcmp(q->method, "POST") == 0 && q->body))
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
  if(q->aws_sigv4) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, q->aws_sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, q->aws_key_id);
    curl_easy_setopt(h, CURLOPT_PASSWORD, q->aws_secret);
  }
  return q->tls ? set_tls(h, q->tls) : 0;
}

int pw_http_do(struct pw_http *c, const struct pw_http_req *q,
               struct pw_http_resp *r) {
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *hl = NULL;
  CURL *h = c->curl;
  int rc = 0;

  r->status = 0;
  r->error[0] = '\0';
  pw_buf_reset(&r->body);
  pw_buf_reset(&r->headers);
  r->body.max = q->max_response ? q->max_response : 4u << 20;
  if(refused_now()) {
    snprintf(r->error, sizeof(r->error), "stopping");
    return PW_EIO;
  }
  curl_easy_reset(h);
  if(set_request(h, q, r, errbuf)) {
    snprintf(r->error, sizeof(r->error), "TLS material was not accepted");
    return PW_EIO;
  }
  for(int i = 0; i < PW_HTTP_MAX_HEADERS && q->headers[i]; i++) {
    struct curl_slist *n = curl_slist_append(hl, q->headers[i]);
    if(!n) {
      curl_slist_free_all(hl);
      return PW_ENOMEM;
    }
    hl = n;
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  CURLcode e = curl_easy_perform(h);
  if(e == CURLE_ABORTED_BY_CALLBACK) {
    snprintf(r->error, sizeof(r->error), "stopping");
    rc = PW_EIO;
  } else if(e == CURLE_WRITE_ERROR &&
     r->body.len + CURL_MAX_WRITE_SIZE > r->body.max) {
    snprintf(r->error, sizeof(r->error),
             "response body over the %zu-byte limit", r->body.max);
    rc = PW_EIO;
  } else if(e != CURLE_OK) {
    snprintf(r->error, sizeof(r->error), "%s",
             errbuf[0] ? errbuf : curl_easy_strerror(e));
    rc = PW_EIO;
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  }
  /* The handle must not point at the freed list nor at the caller's body
   * after this; the next reset clears both anyway. */
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(hl);
  return rc;
}

static int default_retryable(const struct pw_http_resp *r) {
  return r->status == 429 || r->status == 500 || r->status == 502 ||
         r->status == 503 || r->status == 504;
}

/* A xorshift generator for jitter; seeded per call from the clock, which
 * is enough to keep clients from retrying in step. */
static double jitter(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (double)(*s >> 11) * 0x1.0p-53;
}

int pw_http_call(struct pw_http *c, const struct pw_http_req *req,
                 const struct pw_retry *p, struct pw_http_resp *resp,
                 int *attempts) {
  uint64_t seed = (uint64_t)(pw_clock_mono_ms() * 1000.0) | 1u;
  int (*retryable)(const struct pw_http_resp *) =
    p->retryable ? p->retryable : default_retryable;
  int rc = 0, k, made = 0;
  for(k = 0; k < p->max_attempts; k++) {
    if(k > 0) {
      double ceil_ms = (double)p->base_ms * (double)(1L << (k < 20 ? k : 20));
      if(ceil_ms > (double)p->cap_ms)
        ceil_ms = (double)p->cap_ms;
      long delay = (long)(jitter(&seed) * ceil_ms);
      long ra = resp->status ? pw_http_retry_after_ms(resp) : -1;
      if(ra >= 0)
        delay = ra < p->cap_ms ? ra : p->cap_ms;
      /* A stopping process does not wait to retry. */
      for(long left = delay; left > 0 && !refused_now(); left -= 50)
        pw_sleep_ms(left < 50 ? left : 50);
      if(refused_now())
        break;
    }
    if(p->rate)
      pw_rate_take(p->rate);
    rc = pw_http_do(c, req, resp);
    made++;
    if(rc == PW_ENOMEM)
      break;
    if(rc == 0 && !retryable(resp))
      break;
  }
  if(attempts)
    *attempts = made;
  return rc;
}

const char *pw_http_header(const struct pw_http_resp *r, const char *name,
                           char *buf, size_t len) {
  size_t nl = strlen(name);
  const char *s = pw_buf_str(&r->headers);
  while(*s) {
    const char *eol = strchr(s, '\n');
    size_t ll = eol ? (size_t)(eol - s) : strlen(s);
    if(ll > nl && s[nl] == ':' && strncasecmp(s, name, nl) == 0) {
      const char *v = s + nl + 1, *end = s + ll;
      while(v < end && (*v == ' ' || *v == '\t'))
        v++;
      while(end > v && isspace((unsigned char)end[-1]))
        end--;
      size_t n = (size_t)(end - v);
      if(n >= len)
        n = len - 1;
      memcpy(buf, v, n);
      buf[n] = '\0';
      return buf;
    }
    if(!eol)
      break;
    s = eol + 1;
  }
  return NULL;
}

long pw_http_retry_after_ms(const struct pw_http_resp *r) {
  char v[64];
  if(!pw_http_header(r, "Retry-After", v, sizeof(v)) || !v[0])
    return -1;
  char *end;
  errno = 0;
  long s = strtol(v, &end, 10);
  if(end != v && *end == '\0' && errno == 0 && s >= 0)
    return s > 86400 ? 86400000L : s * 1000L;
  time_t t = curl_getdate(v, NULL);
  if(t < 0)
    return -1;
  time_t now = time(NULL);
  return t > now ? (long)(t - now) * 1000L : 0;
}

int pw_http_encode(struct pw_buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for(; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    int rc;
    if((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      rc = pw_buf_append(out, s, 1);
    } else {
      char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
      rc = pw_buf_append(out, e, 3);
    }
    if(rc)
      return rc;
  }
  return pw_buf_append(out, "", 0);
}

void pw_rate_init(struct pw_rate *r, double per_s, double burst) {
  pthread_mutex_init(&r->mu, NULL);
  r->per_s = per_s;
  r->burst = burst < 1 ? 1 : burst;
  r->tokens = r->burst;
  r->last_ms = pw_clock_mono_ms();
  r->waits = 0;
}

void pw_rate_take(struct pw_rate *r) {
  for(;;) {
    pthread_mutex_lock(&r->mu);
    double now = pw_clock_mono_ms();
    r->tokens += (now - r->last_ms) * r->per_s / 1000.0;
    if(r->tokens > r->burst)
      r->tokens = r->burst;
    r->last_ms = now;
    if(r->tokens >= 1.0) {
      r->tokens -= 1.0;
      pthread_mutex_unlock(&r->mu);
      return;
    }
    long wait = (long)((1.0 - r->tokens) * 1000.0 / r->per_s) + 1;
    r->waits++;
    pthread_mutex_unlock(&r->mu);
    pw_sleep_ms(wait);
  }
}

void pw_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while(ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}
