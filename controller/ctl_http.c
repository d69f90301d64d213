#include "ctl_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "../common/pw_alloc.h"
#include "../common/pw_buf.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"
#include "../config/cfg.h"

/* A warning about the same kind of event at most this often. */
#define WARN_EVERY_MS 60000.0

/* One rate-limited warning: when it was last written and how many events
 * it has not told of since. */
struct warn_limit {
  double last_ms;          /* pw_clock_mono_ms(); <= 0: never */
  long unsaid;
};

/*
 * The server.  cfg, token and port are written by ctl_http_start()
 * before MHD starts and only read afterwards; `mu` guards the warn_limit
 * fields, which MHD's worker threads update.  start_err is written by
 * on_mhd_log() while `starting` is set (MHD_start_daemon() logs on the
 * caller's thread then).
 */
struct ctl_http {
  struct MHD_Daemon *d;
  struct ctl_http_cfg cfg;
  char *token;
  int port;
  pthread_mutex_t mu;
  struct warn_limit unauth, refused, mhd_limit;
  atomic_int starting;
  char start_err[256];     /* as long as on_mhd_log()'s msg */
};

/* Per-request state, in MHD's *req_cls. */
struct req {
  struct pw_buf body;
  unsigned reject;         /* a status decided before the body was read */
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
    strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
  if(!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

/* application/x-protobuf, with no proto parameter or the 1.0 one. */
static int rw1_content_type(const char *ct) {
  static const char base[] = "application/x-protobuf";
  if(!ct || strncasecmp(ct, base, sizeof(base) - 1) != 0)
    return 0;
  const char *p = ct + sizeof(base) - 1;
  while(*p == ' ')
    p++;
  if(!*p)
    return 1;
  if(*p++ != ';')
    return 0;
  while(*p == ' ')
    p++;
  return strcmp(p, "proto=prometheus.WriteRequest") == 0;
}

static int token_ok(const struct ctl_http *h, struct MHD_Connection *c) {
  if(!h->token)
    return 1;
  const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                              "Authorization");
  size_t tl = strlen(h->token);
  if(!a || strncmp(a, "Bearer ", 7) != 0 || strlen(a + 7) != tl)
    return 0;
  unsigned char diff = 0;
  for(size_t i = 0; i < tl; i++)
    diff |= (unsigned char)(a[7 + i] ^ h->token[i]);
  return diff == 0;
}

/* Whether to warn now: at most once per WARN_EVERY_MS; *unsaid is set to
 * the events since the last warning (this one included). */
static int warn_due(struct ctl_http *h, struct warn_limit *w, long *unsaid) {
  double now = pw_clock_mono_ms();
  int due = 0;
  pthread_mutex_lock(&h->mu);
  w->unsaid++;
  if(w->last_ms <= 0 || now - w->last_ms >= WARN_EVERY_MS) {
    due = 1;
    w->last_ms = now;
    *unsaid = w->unsaid;
    w->unsaid = 0;
  }
  pthread_mutex_unlock(&h->mu);
  return due;
}

/* The peer's address as text ("?" when MHD cannot say). */
static void peer_addr(struct MHD_Connection *c, char *buf, size_t len) {
  const union MHD_ConnectionInfo *i = MHD_get_connection_info(
    c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = i ? i->client_addr : NULL;
  snprintf(buf, len, "?");
  if(sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)
              ->sin_addr, buf, (socklen_t)len);
  else if(sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)
              ->sin6_addr, buf, (socklen_t)len);
}

/* A sender without the right token: counted always, logged at warn at
 * most once a minute with its address (never what it sent). */
static void note_unauthorized(struct ctl_http *h, struct MHD_Connection *c) {
  long n = 0;
  char addr[INET6_ADDRSTRLEN];
  tel_rw_note(h->cfg.rw, TEL_RW_UNAUTHORIZED);
  if(!warn_due(h, &h->unauth, &n))
    return;
  peer_addr(c, addr, sizeof(addr));
  pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("peer", addr),
                             PW_LF_NUM("refused", n)),
          "remote-write: refused a sender without the configured bearer "
          "token (401); %ld such request(s) since the last warning, at "
          "most one warning a minute", n);
}

/* A request refused (400, 413, 415, 503): logged at warn with the peer
 * and the reason, at most once a minute (a flood must not flood the
 * log); the count is in tel_rw's totals (rejected). */
static void note_refused(struct ctl_http *h, struct MHD_Connection *c,
                         unsigned status, const char *why) {
  long n = 0;
  char addr[INET6_ADDRSTRLEN];
  if(!warn_due(h, &h->refused, &n))
    return;
  peer_addr(c, addr, sizeof(addr));
  pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("peer", addr),
                             PW_LF_NUM("status", status),
                             PW_LF_NUM("refused", n)),
          "remote-write: refused a request: %s; %ld refused since the "
          "last warning, at most one warning a minute", why, n);
}

/* Decides what can be decided from the headers alone (0: read on). */
static unsigned early_status(struct ctl_http *h,
                             struct MHD_Connection *c) {
  const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Encoding");
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Type");
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Length");
  if(!token_ok(h, c)) {
    note_unauthorized(h, c);
    return MHD_HTTP_UNAUTHORIZED;
  }
  if(!rw1_content_type(ct) || !ce || strcasecmp(ce, "snappy") != 0)
    return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
  if(cl && strtoull(cl, NULL, 10) > h->cfg.max_body)
    return MHD_HTTP_CONTENT_TOO_LARGE;
  return 0;
}

static enum MHD_Result finish_write(struct ctl_http *h,
                                    struct MHD_Connection *c, struct req *q) {
  char err[200], msg[240];
  switch(q->reject) {
  case MHD_HTTP_UNAUTHORIZED:
    return reply(c, q->reject, "a bearer token is required\n");
  case MHD_HTTP_UNSUPPORTED_MEDIA_TYPE: {
    const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 "Content-Encoding");
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 "Content-Type");
    snprintf(msg, sizeof(msg), "Content-Type \"%.60s\" with "
             "Content-Encoding \"%.30s\" is not remote-write 1.0",
             ct ? ct : "", ce ? ce : "");
    tel_rw_note(h->cfg.rw, TEL_RW_REJECTED);
    note_refused(h, c, q->reject, msg);
    return reply(c, q->reject, "remote-write 1.0 only: Content-Type "
                 "application/x-protobuf, Content-Encoding snappy\n");
  }
  case MHD_HTTP_CONTENT_TOO_LARGE:
    snprintf(msg, sizeof(msg), "the body is over the %zu-byte limit",
             h->cfg.max_body);
    tel_rw_note(h->cfg.rw, TEL_RW_REJECTED);
    note_refused(h, c, q->reject, msg);
    return reply(c, q->reject, "the body is over the size limit\n");
  default:
    break;
  }
  /* tel_rw_ingest() counts what it refuses. */
  int rc = tel_rw_ingest(h->cfg.rw, q->body.p ? q->body.p : "", q->body.len,
                         NULL, err, sizeof(err));
  if(rc == 0)
    return reply(c, MHD_HTTP_NO_CONTENT, "");
  unsigned status = rc == PW_ETOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE
                    : rc == PW_ENOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                                      : MHD_HTTP_BAD_REQUEST;
  if(rc == PW_ENOMEM)
    snprintf(err, sizeof(err), "out of memory");
  note_refused(h, c, status, err);
  snprintf(msg, sizeof(msg), "%s\n", err);
  return reply(c, status, msg);
}

static enum MHD_Result on_write(struct ctl_http *h, struct MHD_Connection *c,
                                const char *data, size_t *size,
                                void **req_cls) {
  struct req *q = *req_cls;
  if(!q) {
    if(!(q = pw_calloc(1, sizeof(*q))))
      return MHD_NO;
    pw_buf_init(&q->body, h->cfg.max_body);
    q->reject = early_status(h, c);
    *req_cls = q;
    return MHD_YES;
  }
  if(*size) {
    /* Read and drop the body of a refused request, so that the client
     * gets its answer. */
    if(!q->reject && pw_buf_append(&q->body, data, *size))
      q->reject = MHD_HTTP_CONTENT_TOO_LARGE;
    *size = 0;
    return MHD_YES;
  }
  return finish_write(h, c, q);
}

static enum MHD_Result serve_get(struct ctl_http *h, struct MHD_Connection *c,
                                 const char *url) {
  struct pw_buf body;
  const char *ctype = "text/plain; charset=utf-8";
  pw_buf_init(&body, 256u << 20);  /* /metrics at 100,000 targets */
  unsigned status = h->cfg.get(h->cfg.get_ud, url, &body, &ctype);
  if(status == 0) {
    pw_buf_cleanup(&body);
    return reply(c, MHD_HTTP_NOT_FOUND, "not found\n");
  }
  /* MHD takes the body over and frees it when sent: a large /metrics
   * is not copied. */
  struct MHD_Response *r;
  if(body.p) {
    r = MHD_create_response_from_buffer_with_free_callback(body.len, body.p,
                                                           pw_free);
    if(!r)
      pw_buf_cleanup(&body);
  }
  else {
    r = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
                                        MHD_RESPMEM_PERSISTENT);
  }
  if(!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", ctype);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **req_cls) {
  struct ctl_http *h = cls;
  (void)version;
  if(strcmp(url, "/api/v1/write") == 0 && h->cfg.rw &&
     (!h->cfg.rw_on || h->cfg.rw_on(h->cfg.get_ud))) {
    if(strcmp(method, "POST") != 0)
      return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n");
    return on_write(h, c, data, size, req_cls);
  }
  if(*req_cls == NULL && *size == 0 && strcmp(method, "GET") == 0) {
    if(strcmp(url, "/healthz") == 0 && !h->cfg.get)
      return reply(c, MHD_HTTP_OK, "ok\n");
    if(h->cfg.get)
      return serve_get(h, c, url);
  }
  if(*size) {
    *size = 0;  /* a body nobody asked for */
    return MHD_YES;
  }
  return reply(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  struct req *q = *req_cls;
  if(q) {
    pw_buf_cleanup(&q->body);
    pw_free(q);
    *req_cls = NULL;
  }
}

/*
 * libmicrohttpd's own messages (MHD_OPTION_EXTERNAL_LOGGER), which it
 * would otherwise print as plain text on stderr, as JSON log lines:
 * - while starting (on the caller's thread): the reason the start fails
 *   ("Failed to bind to port ...: Address already in use"), at warn, and
 *   kept for the caller's error;
 * - afterwards, a message about a limit ("Server reached connection
 *   limit", which MHD says for the total and the per-IP limit alike, or
 *   a process or system resource limit) means clients are being turned
 *   away: warn, at most once a minute;
 * - any other is about one connection (the peer closed it, it timed
 *   out, its request was malformed), which clients cause at will and the
 *   server handles: debug.
 */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
  PW_PRINTF(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  struct ctl_http *h = cls;
  char msg[sizeof(h->start_err)];
  long n = 0;
  vsnprintf(msg, sizeof(msg), fmt, ap);
  size_t len = strlen(msg);
  while(len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
    msg[--len] = '\0';
  if(atomic_load(&h->starting)) {
    snprintf(h->start_err, sizeof(h->start_err), "%s", msg);
    pw_log(PW_LOG_WARN, "http: libmicrohttpd: %s", msg);
  } else if(strstr(msg, "limit")) {
    if(warn_due(h, &h->mhd_limit, &n))
      pw_logf(PW_LOG_WARN, PW_LF(PW_LF_NUM("times", n)),
              "http: libmicrohttpd: %s (%ld time(s) since the last "
              "warning, at most one a minute)", msg, n);
  } else {
    pw_log(PW_LOG_DEBUG, "http: libmicrohttpd: %s", msg);
  }
}

int ctl_http_start(const struct ctl_http_cfg *cfg, struct ctl_http **out,
                   char *err, size_t errlen) {
  struct sockaddr_storage ss;
  int v6 = 0;
  *out = NULL;
  if(!cfg->listen || cfg_listen_parse(cfg->listen, &ss, &v6)) {
    snprintf(err, errlen, "listen: \"%s\" is not HOST:PORT or [V6]:PORT",
             cfg->listen ? cfg->listen : "");
    return PW_EINVAL;
  }
  struct ctl_http *h = pw_calloc(1, sizeof(*h));
  if(!h)
    return PW_ENOMEM;
  h->cfg = *cfg;
  h->cfg.max_body = cfg->max_body ? cfg->max_body : 8u << 20;
  h->cfg.max_conns = cfg->max_conns ? cfg->max_conns : 512;
  h->cfg.max_conns_per_ip = cfg->max_conns_per_ip ? cfg->max_conns_per_ip
                                                  : 16;
  h->cfg.threads = cfg->threads ? cfg->threads : 4;
  h->cfg.timeout_s = cfg->timeout_s ? cfg->timeout_s : 10;
  if(cfg->rw_token && !(h->token = pw_strdup(cfg->rw_token))) {
    pw_free(h);
    return PW_ENOMEM;
  }
  pthread_mutex_init(&h->mu, NULL);
  /* A pool of threads, each polling its share of the connections
   * (epoll where there is one): a slow handler holds one thread, not the
   * server.  The connection timeout is MHD's idle timeout; it has no
   * separate header or whole-request deadline (0.9.75), so a client
   * trickling bytes keeps its connection; the per-IP limit keeps such
   * clients from taking every connection. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                   MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
  atomic_store(&h->starting, 1);
  h->d = MHD_start_daemon(
    flags, 0, NULL, NULL, on_request, h,
    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,  /* first, or MHD warns */
    MHD_OPTION_SOCK_ADDR, &ss,
    MHD_OPTION_THREAD_POOL_SIZE, h->cfg.threads,
    MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_conns,
    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->cfg.max_conns_per_ip,
    MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.timeout_s,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
    MHD_OPTION_NOTIFY_COMPLETED, on_done, h, MHD_OPTION_END);
  atomic_store(&h->starting, 0);
  if(!h->d) {
    snprintf(err, errlen, "listen: cannot listen on %s: %s", cfg->listen,
             h->start_err[0] ? h->start_err
                             : "in use, or not an address of this host");
    pthread_mutex_destroy(&h->mu);
    pw_free(h->token);
    pw_free(h);
    return PW_EIO;
  }
  const union MHD_DaemonInfo *i = MHD_get_daemon_info(
    h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = i ? i->port : 0;
  *out = h;
  return 0;
}

int ctl_http_port(const struct ctl_http *h) {
  return h->port;
}

void ctl_http_stop(struct ctl_http **hp) {
  struct ctl_http *h = *hp;
  if(!h)
    return;
  MHD_stop_daemon(h->d);
  pthread_mutex_destroy(&h->mu);
  if(h->token)
    memset(h->token, 0, strlen(h->token));
  pw_free(h->token);
  pw_free(h);
  *hp = NULL;
}
