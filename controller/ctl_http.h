/*
 * prewarm's HTTP server (libmicrohttpd): the Prometheus remote-write
 * receiver now, and the daemon's read-only endpoints as they come.
 *
 * Limits, so that probes and scrapes always get through: a pool of
 * `threads` threads (4) serves the connections, at most `max_conns` in
 * all (512) and `max_conns_per_ip` from one address (16; past it MHD
 * closes a new connection at once); a connection idle for `timeout_s`
 * (10 s) is closed.  MHD 0.9.75 has no header or whole-request deadline:
 * a client trickling a byte every few seconds keeps its connection, and
 * only the per-IP limit bounds how many such one address holds.
 *
 * The request body is capped (`max_body`, 8 MiB) against Content-Length
 * before reading and again while reading (413).  The receiver (POST
 * /api/v1/write) accepts remote-write 1.0 only: Content-Encoding snappy
 * and Content-Type application/x-protobuf (with no proto parameter, or
 * proto=prometheus.WriteRequest); anything else, remote-write 2.0
 * included, is 415.  The decoded size and element counts are capped by
 * proto/pb_remote.h (413); a bad payload is 400, success 204.  With a
 * token configured the receiver requires "Authorization: Bearer TOKEN"
 * (401 otherwise), compared in constant time.
 *
 * Every refused request is counted in the tel_rw's totals (rejected,
 * unauthorized) and logged at warn with the peer's address and the
 * reason (never the token), at most once a minute for each kind.
 * libmicrohttpd's own messages go to pw_log as JSON lines: at warn while
 * starting (and in the start error) or when a limit turns clients away,
 * at debug when about one connection (closed by the peer, timed out).
 *
 * The structures the server reads (the tel_rw) are thread-safe.
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
  unsigned max_conns;      /* connections in all; 0: 512 */
  unsigned max_conns_per_ip;  /* connections from one address; 0: 16 */
  unsigned threads;        /* the thread pool; 0: 4 */
  unsigned timeout_s;      /* idle connection timeout; 0: 10 */
  struct tel_rw *rw;       /* the receiver's buffer, or NULL (404) */
  const char *rw_token;    /* or NULL: no token required */
  /* Read-only GET endpoints: fills body and *content_type for url and
   * returns the status, or 0 for "not mine" (404).  Called from any of
   * the server's `threads` pool threads, CONCURRENTLY for requests on
   * different connections: it must be thread-safe (lock what it reads,
   * and keep no unlocked static state).  While it runs it holds one
   * pool thread, and the connections that thread polls wait. */
  unsigned (*get)(void *ud, const char *url, struct pw_buf *body,
                  const char **content_type);
  /* Whether the receiver is on now (NULL: whenever rw is given); called
   * concurrently like get. */
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
