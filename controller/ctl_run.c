#include "ctl_run.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"
#include "ctl_cli.h"
#include "ctl_daemon.h"
#include "ctl_http.h"
#include "ctl_lease.h"

static const char run_usage[] =
  "usage: prewarm run --config FILE [--dry-run] [--listen ADDR:PORT] "
  "[--once]\n"
  "\n"
  "Runs the control loop for every target in FILE: reads load, forecasts,\n"
  "decides and sets capacity; serves /metrics, /healthz, /readyz and\n"
  "/api/v1/targets (and the remote-write receiver when a target uses it).\n"
  "\n"
  "  --config FILE        the YAML configuration (see config/examples/)\n"
  "  --dry-run            change nothing: decide and record only\n"
  "  --listen ADDR:PORT   override the configured listen address\n"
  "  --once               one tick for every target, print the decisions\n"
  "                       as JSON lines, and exit\n"
  "SIGTERM or SIGINT stops after the actuation in flight.\n";

static volatile sig_atomic_t stopping;

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static int64_t wall_ms(void) {
  struct pw_clock c;
  pw_clock_wall(&c);
  return c.ops->now_ms(&c);
}

/* Loads and reports; 0 with *out, or CTL_EXIT_USAGE. */
static int load(const char *cmd, const char *path, struct cfg **out) {
  struct pw_buf errors;
  pw_buf_init(&errors, 1u << 20);
  int rc = cfg_load(path, out, &errors);
  if(rc) {
    fputs(pw_buf_str(&errors), stderr);
    if(!errors.len)
      fprintf(stderr, "prewarm %s: %s: %s\n", cmd, path, pw_strerror(rc));
  }
  pw_buf_cleanup(&errors);
  return rc ? CTL_EXIT_USAGE : 0;
}

int ctl_check_config_main(int argc, char **argv) {
  struct cfg *c = NULL;
  if(argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: prewarm check-config FILE\n");
    return CTL_EXIT_USAGE;
  }
  if(load("check-config", argv[1], &c))
    return CTL_EXIT_USAGE;
  static const char *const src[] = {"prometheus", "cloudwatch", "postgres",
                                    "remote_write", "csv", "demo"};
  static const char *const act[] = {"dryrun", "kubernetes", "lambda"};
  printf("%s: valid; %zu target%s, listen %s%s\n", argv[1], c->ntargets,
         c->ntargets == 1 ? "" : "s", c->listen,
         c->dry_run ? ", dry run" : "");
  for(size_t i = 0; i < c->ntargets; i++) {
    const struct cfg_target *t = &c->targets[i];
    printf("  %s: %s -> %s, step %llds, warm-up %llds, unit %g, "
           "min %ld, max %ld\n", t->name, src[t->source], act[t->actuator],
           (long long)(t->step_ms / 1000), (long long)(t->warmup_ms / 1000),
           t->unit_capacity, t->min, t->max);
  }
  cfg_free(&c);
  return CTL_EXIT_OK;
}

struct run_opts {
  const char *config, *listen;
  int dry_run, once;
};

static int parse(int argc, char **argv, struct run_opts *o) {
  static const struct option longs[] = {
    {"config", required_argument, NULL, 'c'},
    {"dry-run", no_argument, NULL, 'd'},
    {"listen", required_argument, NULL, 'l'},
    {"once", no_argument, NULL, '1'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
  int ch;
  optind = 1;
  opterr = 0;
  memset(o, 0, sizeof(*o));
  while((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch(ch) {
    case 'c': o->config = optarg; break;
    case 'd': o->dry_run = 1; break;
    case 'l': o->listen = optarg; break;
    case '1': o->once = 1; break;
    case 'h': fputs(run_usage, stdout); return -1;
    default:
      return ctl_cli_fail("run", "unknown or incomplete option %s (see "
                          "prewarm run --help)", argv[optind - 1]);
    }
  }
  if(optind < argc)
    return ctl_cli_fail("run", "unexpected argument %s", argv[optind]);
  if(!o->config)
    return ctl_cli_fail("run", "--config FILE is required (try "
                        "config/examples/local.yaml)");
  return 0;
}

/* --once: the decisions as JSON lines on stdout. */
static int run_once(struct ctl_daemon *d, int64_t now) {
  struct pw_buf b;
  const char *ct;
  int bad = ctl_daemon_tick(d, now);
  pw_buf_init(&b, 64u << 20);
  unsigned st = ctl_daemon_get(d, "/api/v1/targets", &b, &ct);
  if(st == 200)
    fputs(pw_buf_str(&b), stdout);
  pw_buf_cleanup(&b);
  ctl_daemon_flush(d);
  return bad ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int64_t tick_of(const struct cfg *c) {
  int64_t t = c->tick_ms;
  for(size_t i = 0; !t && i < c->ntargets; i++)
    if(!t || c->targets[i].step_ms < t)
      t = c->targets[i].step_ms;
  return t;
}

static int loop(struct ctl_daemon *d, const struct cfg *c) {
  int64_t tick = tick_of(c);
  int64_t w0 = wall_ms();
  double speed = c->speed > 0 ? c->speed : 1;
  pw_log(PW_LOG_INFO, "running %zu targets, a tick every %lld ms%s",
         c->ntargets, (long long)tick, speed > 1 ? " (demo speed)" : "");
  while(!stopping) {
    int64_t now = w0 + (int64_t)((double)(wall_ms() - w0) * speed);
    (void)ctl_daemon_tick(d, now);
    /* Sleep to the next tick in small steps, to stop promptly. */
    double until = pw_clock_mono_ms() + (double)tick / speed;
    while(!stopping && pw_clock_mono_ms() < until)
      pw_sleep_ms(50);
  }
  pw_log(PW_LOG_INFO, "stopping: flushing the store");
  ctl_daemon_flush(d);
  return CTL_EXIT_OK;
}

/* Leader election when configured: the identity from the named
 * environment variable (the pod's name), else the host name. */
static int start_lease(const struct cfg *c, struct ctl_lease **out,
                       char *err, size_t errlen) {
  char host[256] = "";
  *out = NULL;
  if(!c->le_name)
    return 0;
  const char *id = getenv(c->le_identity_env ? c->le_identity_env
                                             : "POD_NAME");
  if(!id || !*id) {
    if(gethostname(host, sizeof(host) - 1) != 0 || !host[0]) {
      snprintf(err, errlen, "leader_election: no identity (set POD_NAME)");
      return PW_EINVAL;
    }
    id = host;
  }
  struct ctl_lease_cfg lc = {c->le_namespace, c->le_name, id,
                             c->le_duration_ms, c->le_renew_ms,
                             c->le_retry_ms, c->le_kubeconfig, NULL};
  return ctl_lease_start(&lc, out, err, errlen);
}

int ctl_run_main(int argc, char **argv) {
  struct run_opts o;
  struct cfg *c = NULL;
  struct ctl_daemon *d = NULL;
  struct ctl_http *h = NULL;
  char err[512] = "";
  int rc = parse(argc, argv, &o);
  if(rc)
    return rc < 0 ? CTL_EXIT_OK : rc;
  if(load("run", o.config, &c))
    return CTL_EXIT_USAGE;
  enum pw_log_level lvl;
  if(!getenv("PREWARM_LOG_LEVEL") && pw_log_level_parse(c->log_level, &lvl) == 0)
    pw_log_threshold = lvl;
  int once = o.once;
  char listen[128];
  snprintf(listen, sizeof(listen), "%s", o.listen ? o.listen : c->listen);
  char *token = NULL;
  if(c->remote_write_token_file) {
    struct pw_buf tb;
    pw_buf_init(&tb, 4096);
    if(pw_buf_read_file(&tb, c->remote_write_token_file)) {
      pw_buf_cleanup(&tb);
      cfg_free(&c);
      return ctl_cli_fail("run", "remote_write.token_file: cannot read it");
    }
    pw_buf_rtrim(&tb);
    token = tb.p;
  }
  rc = ctl_daemon_new(c, o.dry_run, wall_ms(), &d, err, sizeof(err));
  if(rc) {
    free(token);
    return ctl_cli_fail("run", "%s", err);
  }
  if(once) {
    rc = run_once(d, wall_ms());
    ctl_daemon_free(&d);
    free(token);
    return rc;
  }
  struct ctl_http_cfg hc = {.listen = listen, .rw = ctl_daemon_rw(d),
                            .rw_token = token, .get = ctl_daemon_get,
                            .get_ud = d};
  if(ctl_http_start(&hc, &h, err, sizeof(err))) {
    ctl_daemon_free(&d);
    free(token);
    return ctl_cli_fail("run", "%s", err);
  }
  pw_log(PW_LOG_INFO, "listening on %s (port %d): /metrics /healthz "
         "/readyz /api/v1/targets /ui", listen, ctl_http_port(h));
  struct ctl_lease *lease = NULL;
  if(start_lease(ctl_daemon_cfg(d), &lease, err, sizeof(err))) {
    ctl_http_stop(&h);
    ctl_daemon_free(&d);
    free(token);
    return ctl_cli_fail("run", "%s", err);
  }
  ctl_daemon_set_lease(d, lease);
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  rc = loop(d, ctl_daemon_cfg(d));
  /* The actuation in flight has finished: give the lease up for the
   * other replica, then stop serving. */
  ctl_daemon_set_lease(d, NULL);
  ctl_lease_stop(&lease);
  ctl_http_stop(&h);
  ctl_daemon_free(&d);
  free(token);
  return rc;
}
