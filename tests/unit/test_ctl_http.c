/*
 * The HTTP server (controller/ctl_http) on loopback, driven with raw
 * sockets: probes get through slow clients and slow handlers, MHD's own
 * messages stay JSON lines, and a wrong remote-write token is logged and
 * counted.  Every wait is bounded by poll() timeouts, never a sleep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <snappy-c.h>

#include "../../common/pw_alloc.h"
#include "../../common/pw_log.h"
#include "../../controller/ctl_http.h"
#include "../../proto/pb_remote.h"
#include "../../telemetry/tel_rw.h"
#include "test_util.h"

/* A TCP connection to 127.0.0.1:port from the source address src. */
static int dial(const char *src, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  if(src) {
    assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  }
  a.sin_port = htons((uint16_t)port);
  assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

static void send_all(int fd, const void *p, size_t n) {
  while(n) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if(k <= 0)
      return;  /* the server closed: the reply (if any) is what counts */
    p = (const char *)p + k;
    n -= (size_t)k;
  }
}

/* Reads until the peer closes or timeout_ms pass with nothing new;
 * returns the HTTP status of the reply, or 0 for none. */
static int read_status(int fd, int timeout_ms) {
  char buf[4096];
  size_t n = 0;
  for(;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if(poll(&p, 1, timeout_ms) <= 0)
      break;
    ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
    if(k <= 0)
      break;
    n += (size_t)k;
    buf[n] = '\0';
    if(strstr(buf, "\r\n\r\n"))
      break;
  }
  buf[n] = '\0';
  int status = 0;
  return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}

/* A GET from 127.0.0.1 on a new connection: the status, or 0 when no
 * reply came within timeout_ms. */
static int get(int port, const char *path, int timeout_ms) {
  char req[256];
  int fd = dial(NULL, port);
  int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
                   "Connection: close\r\n\r\n", path);
  send_all(fd, req, (size_t)n);
  int status = read_status(fd, timeout_ms);
  close(fd);
  return status;
}

/* Issue #12 item 2: 80 slow clients on another address (each has sent
 * half a request line and stays) do not keep /healthz from answering,
 * and one address gets at most its per-IP share of connections. */
static void healthz_answers_while_slow_clients_hold_connections(void **s) {
  (void)s;
  struct ctl_http *h = NULL;
  char err[256];
  struct ctl_http_cfg cfg = {.listen = "127.0.0.1:0"};
  ASSERT_OK(ctl_http_start(&cfg, &h, err, sizeof(err)));
  int port = ctl_http_port(h);
  enum { SLOW = 80 };
  int fds[SLOW];
  for(int i = 0; i < SLOW; i++) {
    fds[i] = dial("127.0.0.2", port);
    send_all(fds[i], "GET /healthz HTTP/1.1\r\nX-Slow: ", 31);
  }
  assert_int_equal(get(port, "/healthz", 2000), 200);
  /* Past the per-IP limit the server closes the connection at once. */
  struct pollfd p = {fds[SLOW - 1], POLLIN, 0};
  assert_int_equal(poll(&p, 1, 2000), 1);
  char c;
  assert_true(recv(fds[SLOW - 1], &c, 1, 0) <= 0);
  for(int i = 0; i < SLOW; i++)
    close(fds[i]);
  ctl_http_stop(&h);
}

/* A handler that blocks on /slow until released (thread-safe: the
 * server calls it from several threads). */
static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cv = PTHREAD_COND_INITIALIZER;
static int slow_in, slow_release;

static unsigned slow_get(void *ud, const char *url, struct pw_buf *body,
                         const char **ctype) {
  (void)ud;
  (void)ctype;
  if(strcmp(url, "/slow") == 0) {
    pthread_mutex_lock(&slow_mu);
    slow_in = 1;
    pthread_cond_broadcast(&slow_cv);
    while(!slow_release)
      pthread_cond_wait(&slow_cv, &slow_mu);
    pthread_mutex_unlock(&slow_mu);
  }
  return pw_buf_append(body, "ok\n", 3) ? 500 : 200;
}

static void *slow_client(void *arg) {
  int port = *(int *)arg;
  *(int *)arg = get(port, "/slow", 10000);
  return NULL;
}

/* Issue #12 item 2: a handler busy on one request (a big /metrics, a
 * lock held) does not stop /healthz: requests run on a thread pool. */
static void a_busy_handler_does_not_block_healthz(void **s) {
  (void)s;
  struct ctl_http *h = NULL;
  char err[256];
  struct ctl_http_cfg cfg = {.listen = "127.0.0.1:0", .get = slow_get};
  ASSERT_OK(ctl_http_start(&cfg, &h, err, sizeof(err)));
  int port = ctl_http_port(h), arg = port;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, slow_client, &arg), 0);
  pthread_mutex_lock(&slow_mu);
  while(!slow_in)
    pthread_cond_wait(&slow_cv, &slow_mu);
  pthread_mutex_unlock(&slow_mu);
  int status = get(port, "/healthz", 2000);
  pthread_mutex_lock(&slow_mu);
  slow_release = 1;
  pthread_cond_broadcast(&slow_cv);
  pthread_mutex_unlock(&slow_mu);
  pthread_join(t, NULL);
  assert_int_equal(status, 200);
  assert_int_equal(arg, 200);
  ctl_http_stop(&h);
}

/* Every line of a captured stderr is one JSON object; returns how many
 * lines mention `word`. */
static int json_lines(const char *path, const char *word) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[8192];
  int hits = 0;
  while(fgets(line, sizeof(line), f)) {
    cJSON *j = cJSON_Parse(line);
    if(!j || !cJSON_IsObject(j))
      fail_msg("not a JSON object: %s", line);
    cJSON_Delete(j);
    hits += strstr(line, word) != NULL;
  }
  fclose(f);
  return hits;
}

/* Runs with stderr (fd 2, where MHD writes by default) in a file. */
static int capture_stderr(char *path, size_t len) {
  write_temp(path, len, "");
  fflush(stderr);
  int saved = dup(2);
  int fd = open(path, O_WRONLY | O_TRUNC);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  return saved;
}

static void restore_stderr(int saved) {
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
}

/* Issue #12 item 4: MHD's message for a port in use ("Failed to bind to
 * port ...") comes out as a JSON log line, and its reason reaches the
 * caller's error. */
static void mhd_messages_stay_json_lines(void **s) {
  (void)s;
  struct ctl_http *a = NULL, *b = NULL;
  char err[256], listen[64], path[256];
  struct ctl_http_cfg cfg = {.listen = "127.0.0.1:0"};
  ASSERT_OK(ctl_http_start(&cfg, &a, err, sizeof(err)));
  snprintf(listen, sizeof(listen), "127.0.0.1:%d", ctl_http_port(a));
  cfg.listen = listen;
  int saved = capture_stderr(path, sizeof(path));
  int rc = ctl_http_start(&cfg, &b, err, sizeof(err));
  restore_stderr(saved);
  assert_int_equal(rc, PW_EIO);
  assert_non_null(strstr(err, "in use"));
  assert_true(json_lines(path, "bind") >= 1);
  unlink(path);
  ctl_http_stop(&a);
}

/* A raw remote-write POST with the given Authorization header value. */
static int post_write(int port, const char *auth, const void *body,
                      size_t len) {
  char req[512];
  int fd = dial(NULL, port);
  int n = snprintf(req, sizeof(req), "POST /api/v1/write HTTP/1.1\r\n"
                   "Host: x\r\nContent-Encoding: snappy\r\n"
                   "Content-Type: application/x-protobuf\r\n"
                   "Authorization: %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n", auth, len);
  send_all(fd, req, (size_t)n);
  send_all(fd, body, len);
  int status = read_status(fd, 5000);
  close(fd);
  return status;
}

/* Issue #12 item 10: a sender with a wrong token is logged at warn with
 * its address, never the token, at most once a minute, and counted each
 * time. */
static void a_wrong_token_is_logged_and_counted(void **s) {
  (void)s;
  struct ctl_http *h = NULL;
  struct tel_rw *rw = NULL;
  char err[256], path[256];
  void *body;
  size_t len;
  ASSERT_OK(tel_rw_new(1 << 20, &rw));
  ASSERT_OK(pb_write_encode(NULL, 0, &body, &len));
  write_temp(path, sizeof(path), "");
  pw_log_stream = fopen(path, "w");
  assert_non_null(pw_log_stream);
  struct ctl_http_cfg cfg = {.listen = "127.0.0.1:0", .rw = rw,
                             .rw_token = "s3cret-token"};
  ASSERT_OK(ctl_http_start(&cfg, &h, err, sizeof(err)));
  int port = ctl_http_port(h);
  assert_int_equal(post_write(port, "Bearer wr0ng-token", body, len), 401);
  assert_int_equal(post_write(port, "Bearer wr0ng-token", body, len), 401);
  assert_int_equal(post_write(port, "Basic abc", body, len), 401);
  assert_int_equal(post_write(port, "Bearer s3cret-token", body, len), 204);
  ctl_http_stop(&h);
  fclose(pw_log_stream);
  pw_log_stream = NULL;
  struct tel_rw_stats tot;
  tel_rw_totals(rw, &tot);
  assert_int_equal(tot.unauthorized, 3);
  assert_int_equal(tot.requests, 1);
  assert_int_equal(json_lines(path, "\"warn\""), 1);
  assert_int_equal(json_lines(path, "127.0.0.1"), 1);
  assert_int_equal(json_lines(path, "wr0ng"), 0);
  assert_int_equal(json_lines(path, "s3cret"), 0);
  unlink(path);
  pw_free(body);
  tel_rw_free(&rw);
}

/* Issue #12 item 3 over HTTP: a crafted body over an element cap is 413
 * with the cap named, and counted as rejected. */
static void an_element_bomb_is_413(void **s) {
  (void)s;
  struct ctl_http *h = NULL;
  struct tel_rw *rw = NULL;
  char err[256];
  ASSERT_OK(tel_rw_new(64u << 20, &rw));
  struct ctl_http_cfg cfg = {.listen = "127.0.0.1:0", .rw = rw};
  ASSERT_OK(ctl_http_start(&cfg, &h, err, sizeof(err)));
  /* 100,001 empty series: 200 KB of protobuf, snappy-compressed. */
  size_t n = 2 * (PB_MAX_SERIES + 1);
  char *raw = pw_malloc(n);
  assert_non_null(raw);
  for(size_t i = 0; i < n; i += 2) {
    raw[i] = 0x0a;
    raw[i + 1] = 0;
  }
  size_t clen = snappy_max_compressed_length(n);
  char *c = pw_malloc(clen);
  assert_non_null(c);
  assert_int_equal(snappy_compress(raw, n, c, &clen), SNAPPY_OK);
  assert_int_equal(post_write(ctl_http_port(h), "x", c, clen), 413);
  ctl_http_stop(&h);
  struct tel_rw_stats tot;
  tel_rw_totals(rw, &tot);
  assert_int_equal(tot.rejected, 1);
  pw_free(raw);
  pw_free(c);
  tel_rw_free(&rw);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(healthz_answers_while_slow_clients_hold_connections),
    cmocka_unit_test(a_busy_handler_does_not_block_healthz),
    cmocka_unit_test(mhd_messages_stay_json_lines),
    cmocka_unit_test(a_wrong_token_is_logged_and_counted),
    cmocka_unit_test(an_element_bomb_is_413),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
