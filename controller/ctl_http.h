/*
 * prewarm's HTTP server (libmicrohttpd): the Prometheus remote-write
 * receiver now, and the daemon's read-only endpoints as they come.
 *
 * Limits: connections, a per-connection timeout, and a request body cap
 * checked against Content-Length before reading and again while reading
 * (413).  The receiver (POST /api/v1/write) accepts remote-write 1.0 only:
 * Content-Encoding snappy and Content-Type application/x-protobuf (with no
 * proto parameter, or proto=prometheus.WriteRequest); anything else,
 * remote-write 2.0 included, is 415.  A bad payload is 400, success 204.
 * With a token configured the receiver requires "Authorization: Bearer
 * TOKEN" (401 otherwise), compared in constant time.
 *
 * The server runs its own thread; the structures it reads (the tel_rw)
 * are thread-safe.
 */
#ifndef CTL_HTTP_H
#define CTL_HTTP_H

#include <stddef.h>

#include "../common/pw_buf.h"
#include "../common/pw_err.h"
#include "../telemetry/tel_rw.h"

struct ctl_http_cfg {
  const char *listen;      /* "HOST:PORT" or "[V6]:PORT"; port 0: any */
  size_t max_body;         /* bytes; 0: 8 MiB */
  unsigned max_conns;      /* 0: 64 */
  unsigned timeout_s;      /* idle connection timeout; 0: 10 */
  struct tel_rw *rw;       /* the receiver's buffer, or NULL (404) */
  const char *rw_token;    /* or NULL: no token required */
  /* Read-only GET endpoints: fills body and *content_type for url and
   * returns the status, or 0 for "not mine" (404).  Called on the
   * server's thread; it must lock what it reads. */
  unsigned (*get)(void *ud, const char *url, struct pw_buf *body,
                  const char **content_type);
  /* Whether the receiver is on now (NULL: whenever rw is given). */
  int (*rw_on)(void *ud);
  void *get_ud;
};

struct ctl_http;

/* Starts listening.  0, or PW_EINVAL / PW_EIO with err (a bad address,
 * the port taken), or PW_ENOMEM.  Stop with ctl_http_stop(). */
int ctl_http_start(const struct ctl_http_cfg *cfg, struct ctl_http **out,
                   char *err, size_t errlen) PW_WUR;

/* The port it listens on (useful after asking for port 0). */
int ctl_http_port(const struct ctl_http *h);

/* Stops (waits for the requests in flight) and frees; NULL-safe. */
void ctl_http_stop(struct ctl_http **hp);

#endif
