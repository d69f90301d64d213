#include "ctl_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "../common/pw_alloc.h"
#include "../common/pw_buf.h"
#include "../common/pw_log.h"

struct ctl_http {
  struct MHD_Daemon *d;
  struct ctl_http_cfg cfg;
  char *token;
  int port;
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

/* Decides what can be decided from the headers alone (0: read on). */
static unsigned early_status(const struct ctl_http *h,
                             struct MHD_Connection *c) {
  const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Encoding");
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Type");
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Length");
  if(!token_ok(h, c))
    return MHD_HTTP_UNAUTHORIZED;
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
  case MHD_HTTP_UNSUPPORTED_MEDIA_TYPE:
    return reply(c, q->reject, "remote-write 1.0 only: Content-Type "
                 "application/x-protobuf, Content-Encoding snappy\n");
  case MHD_HTTP_CONTENT_TOO_LARGE:
    return reply(c, q->reject, "the body is over the size limit\n");
  default:
    break;
  }
  int rc = tel_rw_ingest(h->cfg.rw, q->body.p ? q->body.p : "", q->body.len,
                         NULL, err, sizeof(err));
  if(rc == 0)
    return reply(c, MHD_HTTP_NO_CONTENT, "");
  snprintf(msg, sizeof(msg), "%s\n", rc == PW_ENOMEM ? "out of memory" : err);
  pw_log(PW_LOG_WARN, "remote-write: refused a request: %s", err);
  return reply(c, rc == PW_ETOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE
                  : rc == PW_ENOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                                    : MHD_HTTP_BAD_REQUEST, msg);
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

/* "HOST:PORT", "[V6]:PORT" or ":PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        int *v6) {
  char host[64];
  const char *colon;
  memset(ss, 0, sizeof(*ss));
  if(s[0] == '[') {
    const char *end = strchr(s, ']');
    if(!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
      return PW_EINVAL;
    snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
    colon = end + 1;
  } else {
    colon = strrchr(s, ':');
    if(!colon || (size_t)(colon - s) >= sizeof(host))
      return PW_EINVAL;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if(*end || end == colon + 1 || port < 0 || port > 65535)
    return PW_EINVAL;
  *v6 = strchr(host, ':') != NULL;
  if(*v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : PW_EINVAL;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  if(!host[0])
    return 0;  /* ":PORT": every address */
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : PW_EINVAL;
}

int ctl_http_start(const struct ctl_http_cfg *cfg, struct ctl_http **out,
                   char *err, size_t errlen) {
  struct sockaddr_storage ss;
  int v6 = 0;
  *out = NULL;
  if(!cfg->listen || parse_listen(cfg->listen, &ss, &v6)) {
    snprintf(err, errlen, "listen: \"%s\" is not HOST:PORT or [V6]:PORT",
             cfg->listen ? cfg->listen : "");
    return PW_EINVAL;
  }
  struct ctl_http *h = pw_calloc(1, sizeof(*h));
  if(!h)
    return PW_ENOMEM;
  h->cfg = *cfg;
  h->cfg.max_body = cfg->max_body ? cfg->max_body : 8u << 20;
  h->cfg.max_conns = cfg->max_conns ? cfg->max_conns : 64;
  h->cfg.timeout_s = cfg->timeout_s ? cfg->timeout_s : 10;
  if(cfg->rw_token && !(h->token = pw_strdup(cfg->rw_token))) {
    pw_free(h);
    return PW_ENOMEM;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                   MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
  h->d = MHD_start_daemon(
    flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
    MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_conns,
    MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.timeout_s,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
    MHD_OPTION_NOTIFY_COMPLETED, on_done, h, MHD_OPTION_END);
  if(!h->d) {
    snprintf(err, errlen, "listen: cannot listen on %s (in use, or not an "
             "address of this host)", cfg->listen);
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
  if(h->token)
    memset(h->token, 0, strlen(h->token));
  pw_free(h->token);
  pw_free(h);
  *hp = NULL;
}
