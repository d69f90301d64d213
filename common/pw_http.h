/*
 * The libcurl wrapper every HTTP client in prewarm goes through: one easy
 * handle per client, reset before each request (libcurl 7.88's SigV4
 * signer hashes a stale body otherwise, CONTRACTS.md 2.2), bodies and
 * headers in capped buffers, TLS always verified, and retries with capped
 * exponential backoff and full jitter as the AWS SDKs and client-go do.
 *
 * A client is not thread-safe: one thread uses it at a time.
 */
#ifndef PW_HTTP_H
#define PW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "pw_buf.h"
#include "pw_err.h"

#define PW_HTTP_MAX_HEADERS 8

/* TLS material; every field may be NULL.  PEM data wins over a file. */
struct pw_http_tls {
  const char *ca_file;
  const char *ca_pem;      /* NUL-terminated PEM */
  const char *cert_file;
  const char *cert_pem;
  const char *key_file;
  const char *key_pem;
};

struct pw_http_req {
  const char *method;      /* "GET", "POST", "PUT", "PATCH", "DELETE" */
  const char *url;
  /* Extra request headers, "Name: value", NULL-terminated early or full.
   * Never two with one name (libcurl 7.88's signer does not merge them). */
  const char *headers[PW_HTTP_MAX_HEADERS];
  const char *body;        /* NULL for none */
  size_t body_len;
  /* AWS SigV4 via CURLOPT_AWS_SIGV4: "aws:amz:REGION:SERVICE" and the
   * key pair, or NULL. */
  const char *aws_sigv4;
  const char *aws_key_id;
  const char *aws_secret;
  const struct pw_http_tls *tls;
  long timeout_ms;         /* whole request; 0 means 10 s */
  size_t max_response;     /* body cap; 0 means 4 MiB */
};

struct pw_http_resp {
  long status;             /* 0 when no response came */
  struct pw_buf body;
  struct pw_buf headers;   /* the final response's header block */
  char error[256];         /* why there was no response, when status 0 */
};

struct pw_http {
  void *curl;              /* CURL *, kept for connection reuse */
};

/* A token bucket shared by the clients of one rate-limited API; the
 * mutex makes it safe to share between threads. */
struct pw_rate {
  pthread_mutex_t mu;
  double per_s;            /* tokens added per second */
  double burst;            /* the most tokens held */
  double tokens;
  double last_ms;          /* monotonic time of the last refill */
  long waits;              /* times a caller had to wait (for tests) */
};

/* How to retry a request: at most max_attempts tries; before try k+1 a
 * uniform delay in [0, min(cap_ms, base_ms * 2^k)], or Retry-After when
 * the server sent one (at most cap_ms). */
struct pw_retry {
  int max_attempts;
  long base_ms;
  long cap_ms;
  /* Says whether a response that came is worth retrying; NULL means
   * 429, 500, 502, 503 and 504. */
  int (*retryable)(const struct pw_http_resp *r);
  struct pw_rate *rate;    /* taken once per attempt, or NULL */
};

/* The defaults above: 4 attempts, 200 ms base, 5 s cap. */
void pw_retry_default(struct pw_retry *r);

/* Initialises libcurl once per process and makes a client.  PW_ENOMEM or
 * PW_EIO when libcurl cannot start.  Free with pw_http_cleanup(). */
int pw_http_init(struct pw_http *c) PW_WUR;
void pw_http_cleanup(struct pw_http *c);

void pw_http_resp_init(struct pw_http_resp *r);
void pw_http_resp_cleanup(struct pw_http_resp *r);

/*
 * Sends one request and waits for the answer.  Returns 0 when a response
 * came (whatever its status) and PW_EIO when none did (connection refused,
 * timeout, TLS failure, a body over the cap), with resp->error saying why.
 * The response is reset first.
 */
int pw_http_do(struct pw_http *c, const struct pw_http_req *req,
               struct pw_http_resp *resp) PW_WUR;

/*
 * pw_http_do() with retries by policy: transport failures and retryable
 * statuses are tried again after a backoff.  Returns as pw_http_do() does
 * for the last attempt; *attempts (if not NULL) says how many were made.
 */
int pw_http_call(struct pw_http *c, const struct pw_http_req *req,
                 const struct pw_retry *policy, struct pw_http_resp *resp,
                 int *attempts) PW_WUR;

/* Copies the value of response header `name` (case-insensitive) into buf,
 * trimmed; returns buf, or NULL when the header is absent. */
const char *pw_http_header(const struct pw_http_resp *r, const char *name,
                           char *buf, size_t len);

/* Retry-After in milliseconds (delta seconds or an HTTP date), -1 when
 * absent or unreadable. */
long pw_http_retry_after_ms(const struct pw_http_resp *r);

/* Percent-encodes s for a URL query or form: everything but A-Z a-z 0-9
 * - _ . ~ as %XX with upper-case hex (the SigV4 canonical form).
 * PW_ETOOBIG / PW_ENOMEM from the buffer. */
int pw_http_encode(struct pw_buf *out, const char *s) PW_WUR;

/* Initialises a token bucket: per_s tokens a second, at most burst. */
void pw_rate_init(struct pw_rate *r, double per_s, double burst);
/* Takes one token, sleeping until one is there. */
void pw_rate_take(struct pw_rate *r);

/* Sleeps ms milliseconds (restarting after signals). */
void pw_sleep_ms(long ms);

/*
 * Stopping.  A thread says what its requests are for; once pw_http_stop()
 * is called (a SIGTERM), a READ thread's transfer in flight is abandoned
 * within about a second and none starts; a WRITE thread's (an actuation)
 * finishes its request in flight but starts no other and retries nothing;
 * a NONE thread (the main thread, leader election's release) is not
 * affected.  Abandoned and refused requests fail with PW_EIO and the
 * error "stopping".  The scope is per thread; the flag is per process
 * and async-signal-safe to set.
 */
enum pw_http_scope { PW_HTTP_SCOPE_NONE, PW_HTTP_SCOPE_READ,
                     PW_HTTP_SCOPE_WRITE };
void pw_http_scope(enum pw_http_scope scope);
void pw_http_stop(void);
int pw_http_stopping(void);

#endif
