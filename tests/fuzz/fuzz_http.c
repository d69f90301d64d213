/*
 * libFuzzer harness: the daemon's GET handlers (ctl_daemon_get, what the
 * HTTP server calls for every request) on arbitrary URLs, against a
 * daemon of two demo targets that has ticked.  Every URL must get a
 * status (0 for "not mine", or 200/404/503) and a body that is whole:
 * JSON for /api, never a crash or a read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "../../common/pw_buf.h"
#include "../../common/pw_log.h"
#include "../../controller/ctl_daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_daemon *daemon_;

static void setup(void) {
  char path[] = "/tmp/prewarm-fuzz-http-XXXXXX";
  int fd = mkstemp(path);
  if(fd < 0)
    abort();
  static const char cfg[] =
    "listen: 127.0.0.1:0\n"
    "targets:\n"
    "- name: checkout\n  step: 60s\n  source: {demo: {days: 3}}\n"
    "  actuator: {dryrun: {}}\n  forecast: {history: 3d}\n"
    "  policy: {unit_capacity: 1000, warmup: 120s, max: 50}\n"
    "- name: a.b_c-1\n  step: 300s\n  source: {demo: {days: 2, seed: 3}}\n"
    "  actuator: {dryrun: {platform: lambda}}\n  forecast: {history: 2d}\n"
    "  policy: {unit_capacity: 1, warmup: 300s, max: 10}\n";
  if(write(fd, cfg, sizeof(cfg) - 1) != (ssize_t)(sizeof(cfg) - 1))
    abort();
  close(fd);
  struct cfg *c = NULL;
  struct pw_buf errors;
  char err[512];
  pw_buf_init(&errors, 1u << 16);
  if(cfg_load(path, &c, &errors))
    abort();
  unlink(path);
  pw_buf_cleanup(&errors);
  struct ctl_daemon_opts o = {.dry_run = 1, .workers = 1};
  const int64_t now = 1800000000000LL;
  if(ctl_daemon_new(c, &o, now, NULL, &daemon_, err, sizeof(err)))
    abort();
  (void)ctl_daemon_tick(daemon_, now, 1);
  (void)ctl_daemon_tick(daemon_, now + 300000, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if(!daemon_) {
    gsl_set_error_handler_off();
    pw_log_threshold = PW_LOG_ERROR;
    setup();
  }
  char url[512];
  if(size >= sizeof(url))
    size = sizeof(url) - 1;
  memcpy(url, data, size);
  url[size] = '\0';  /* MHD hands handlers a NUL-terminated path */
  struct pw_buf body;
  const char *ct = NULL;
  pw_buf_init(&body, 64u << 20);
  unsigned st = ctl_daemon_get(daemon_, url, &body, &ct);
  if(st != 0 && st != 200 && st != 404 && st != 503)
    __builtin_trap();
  if(st == 200 && strncmp(url, "/api/", 5) == 0) {
    /* A JSON object, whole. */
    if(body.len < 2 || body.p[0] != '{' ||
       body.p[body.len - (body.p[body.len - 1] == '\n' ? 2 : 1)] != '}')
      __builtin_trap();
  }
  pw_buf_cleanup(&body);
  return 0;
}
