#include "ctl_run.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"
#include "ctl_build.h"
#include "ctl_cli.h"
#include "ctl_daemon.h"
#include "ctl_http.h"
#include "ctl_lease.h"

static const char run_usage[] =
  "usage: prewarm run --config FILE [--dry-run] [--listen ADDR:PORT] "
  "[--once | --replay]\n"
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
  "  --replay             run the loop on a simulated clock over the\n"
  "                       targets' csv or demo histories, from their first\n"
  "                       row (nothing before it), one tick a step, as\n"
  "                       fast as it goes, then exit: the decisions go to\n"
  "                       the decision log (prewarm log show), the same\n"
  "                       as prewarm plan's for the same history and policy\n"
  "SIGTERM or SIGINT stops after the actuation in flight.\n";

/* Set by the signal handlers, read by the loop and the workers: lock-free
 * atomics, which are both async-signal-safe and free of data races. */
static atomic_int stopping, reloading;

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
  pw_http_stop();  /* reads in flight are abandoned, no retry starts */
}

static void on_hup(int sig) {
  (void)sig;
  reloading = 1;
}

/* The running daemon, swapped whole by a reload; the HTTP server reaches
 * it through here. */
struct holder {
  pthread_rwlock_t mu;     /* guards d against a swap: the server's
                            * threads read under it at once, a reload's
                            * swap (memory only) writes */
  struct ctl_daemon *d;
  const char *path;
  int dry_run;
  struct tel_rw *rw;
  struct ctl_lease *lease;
  long reloads_ok, reloads_refused;
};

static unsigned holder_get(void *ud, const char *url, struct pw_buf *body,
                           const char **content_type) {
  struct holder *h = ud;
  pthread_rwlock_rdlock(&h->mu);
  unsigned st = ctl_daemon_get(h->d, url, body, content_type);
  pthread_rwlock_unlock(&h->mu);
  return st;
}

static int holder_rw_on(void *ud) {
  struct holder *h = ud;
  pthread_rwlock_rdlock(&h->mu);
  int on = ctl_daemon_uses_rw(h->d);
  pthread_rwlock_unlock(&h->mu);
  return on;
}

static int64_t wall_ms(void) {
  struct pw_clock c;
  pw_clock_wall(&c);
  return c.ops->now_ms(&c);
}

/* Wipes a secret before freeing it. */
static void free_secret(char *s) {
  if(s) {
    memset(s, 0, strlen(s));
    free(s);
  }
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
  printf("%s: valid; %zu target%s, listen %s%s\n", argv[1], c->ntargets,
         c->ntargets == 1 ? "" : "s", c->listen,
         c->dry_run ? ", dry run" : "");
  for(size_t i = 0; i < c->ntargets; i++) {
    const struct cfg_target *t = &c->targets[i];
    printf("  %s: %s -> %s, step %llds, warm-up %llds, unit %g, "
           "min %ld, max %ld\n", t->name, ctl_build_source_name(t->source),
           ctl_build_actuator_name(t->actuator),
           (long long)(t->step_ms / 1000), (long long)(t->warmup_ms / 1000),
           t->unit_capacity, t->min, t->max);
  }
  cfg_free(&c);
  return CTL_EXIT_OK;
}

struct run_opts {
  const char *config, *listen;
  int dry_run, once, replay;
};

static int parse(int argc, char **argv, struct run_opts *o) {
  static const struct option longs[] = {
    {"config", required_argument, NULL, 'c'},
    {"dry-run", no_argument, NULL, 'd'},
    {"listen", required_argument, NULL, 'l'},
    {"once", no_argument, NULL, '1'},
    {"replay", no_argument, NULL, 'r'},
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
    case 'r': o->replay = 1; break;
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
  if(o->once && o->replay)
    return ctl_cli_fail("run", "--once and --replay cannot be combined");
  return 0;
}

/* --once: the decisions as JSON lines on stdout. */
static int run_once(struct ctl_daemon *d, int64_t now) {
  struct pw_buf b;
  const char *ct;
  int bad = ctl_daemon_tick(d, now, 1);
  pw_buf_init(&b, 64u << 20);
  unsigned st = ctl_daemon_get(d, "/api/v1/targets", &b, &ct);
  if(st == 200)
    fputs(pw_buf_str(&b), stdout);
  pw_buf_cleanup(&b);
  char err[512];
  if(ctl_daemon_flush(d, err, sizeof(err))) {
    pw_logf(PW_LOG_ERROR, PW_LF(PW_LF_STR("error", err)),
            "store: rows not written at exit");
    return CTL_EXIT_FAIL;
  }
  return bad ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int same_str(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* What a reload does not apply, said once per reload. */
static void warn_start_only(const struct cfg *old, const struct cfg *c) {
  const char *what[4];
  int n = 0;
  if(!same_str(old->listen, c->listen))
    what[n++] = "listen";
  if(!(old->speed <= c->speed && old->speed >= c->speed))
    what[n++] = "speed";
  if(!same_str(old->le_name, c->le_name) ||
     !same_str(old->le_namespace, c->le_namespace) ||
     !same_str(old->le_identity_env, c->le_identity_env) ||
     !same_str(old->le_kubeconfig, c->le_kubeconfig) ||
     old->le_duration_ms != c->le_duration_ms ||
     old->le_renew_ms != c->le_renew_ms || old->le_retry_ms != c->le_retry_ms)
    what[n++] = "leader_election";
  if(!same_str(old->remote_write_token_file, c->remote_write_token_file))
    what[n++] = "remote_write";
  for(int i = 0; i < n; i++)
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("key", what[i])),
            "reload: this setting changed and applies at the next start "
            "only");
}

/*
 * SIGHUP: the file is read and the new or changed targets are built; only
 * then is the running daemon swapped for the new one, which takes the
 * unchanged targets over with their state.  A bad file, or one whose
 * targets cannot be built, is refused whole: the old configuration keeps
 * running, and the refusal is logged and counted.  (Leader election,
 * the listen address, the speed and the remote-write token are read at
 * start only; a change to them is logged.)
 */
static void reload(struct holder *h, int64_t now) {
  struct pw_buf errors;
  struct cfg *c = NULL;
  struct ctl_daemon *nd = NULL;
  char err[512] = "";
  size_t kept = 0;
  pw_buf_init(&errors, 1u << 20);
  struct ctl_daemon_opts o = {.dry_run = h->dry_run};
  int rc = cfg_load(h->path, &c, &errors);
  if(rc == 0)
    rc = ctl_daemon_reload(h->d, c, &o, now, h->rw, &nd, err, sizeof(err));
  if(rc == 0) {
    ctl_daemon_set_lease(nd, h->lease);
    ctl_daemon_set_stop(nd, &stopping);
    /* The old loop stops first (its steps in flight finish; it goes on
     * serving its snapshots); the move and the swap are then memory
     * only, under the holder's lock, which the server takes to read. */
    ctl_daemon_drain(h->d);
    pthread_rwlock_wrlock(&h->mu);
    struct ctl_daemon *old = h->d;
    rc = ctl_daemon_adopt(nd, old, &kept, err, sizeof(err));
    if(rc == 0)
      h->d = nd;
    pthread_rwlock_unlock(&h->mu);
    if(rc == 0) {
      h->reloads_ok++;
      warn_start_only(ctl_daemon_cfg(old), ctl_daemon_cfg(nd));
      ctl_daemon_free(&old);
      enum pw_log_level lvl;
      if(!getenv("PREWARM_LOG_LEVEL") &&
         pw_log_level_parse(ctl_daemon_cfg(nd)->log_level, &lvl) == 0)
        pw_log_threshold = lvl;
      pw_logf(PW_LOG_INFO,
              PW_LF(PW_LF_STR("path", h->path),
                    PW_LF_NUM("targets",
                              (double)ctl_daemon_cfg(nd)->ntargets),
                    PW_LF_NUM("kept", (double)kept)),
              "configuration reloaded");
    } else {
      /* The new loop's threads could not start: the old daemon is whole
       * (adopt moves nothing then) and goes on. */
      h->reloads_refused++;
      pw_logf(PW_LOG_ERROR, PW_LF(PW_LF_STR("error", err)),
              "reload refused: cannot start the new loop; the running "
              "configuration stays");
      ctl_daemon_free(&nd);
    }
  } else {
    h->reloads_refused++;
    pw_logf(PW_LOG_ERROR,
            PW_LF(PW_LF_STR("path", h->path),
                  PW_LF_STR("error", errors.len ? pw_buf_str(&errors) : err)),
            "reload refused, the running configuration stays");
  }
  ctl_daemon_set_reloads(h->d, h->reloads_ok, h->reloads_refused);
  pw_buf_cleanup(&errors);
}

/*
 * The loop thread: a tick every tick_ms on the (scaled) wall clock.  It
 * only hands targets to the workers, so it is never held up by a slow
 * source, actuator or store; between ticks it polls for signals every
 * 50 ms.
 */
static int loop(struct holder *h) {
  const struct cfg *c = ctl_daemon_cfg(h->d);
  struct pw_clock clk;
  double speed = c->speed > 0 ? c->speed : 1;
  pw_clock_scaled(&clk, speed);
  pw_logf(PW_LOG_INFO,
          PW_LF(PW_LF_NUM("targets", (double)c->ntargets),
                PW_LF_NUM("tick_ms", (double)ctl_daemon_tick_ms(c)),
                PW_LF_NUM("speed", speed)),
          "running");
  while(!stopping) {
    int64_t now = clk.ops->now_ms(&clk);
    if(reloading) {
      reloading = 0;
      reload(h, now);
      continue;
    }
    (void)ctl_daemon_tick(h->d, now, 0);
    int64_t until = now + ctl_daemon_tick_ms(ctl_daemon_cfg(h->d));
    while(!stopping && !reloading && clk.ops->now_ms(&clk) < until) {
      int64_t step = (int64_t)(50 * speed);
      int64_t t = clk.ops->now_ms(&clk) + step;
      clk.ops->sleep_until(&clk, t < until ? t : until);
    }
  }
  pw_log(PW_LOG_INFO, "stopping: waiting for the actuations in flight");
  ctl_daemon_drain(h->d);
  pw_log(PW_LOG_INFO, "stopping: flushing the store");
  char err[512];
  if(ctl_daemon_flush(h->d, err, sizeof(err)))
    pw_logf(PW_LOG_ERROR, PW_LF(PW_LF_STR("error", err)),
            "store: rows not written at exit");
  return CTL_EXIT_OK;
}

/*
 * --replay: the targets' histories on a simulated clock from the epoch,
 * one tick a step (the smallest), every target stepped in order, until
 * the longest history is over.
 */
static int run_replay(struct ctl_daemon *d) {
  int64_t end = ctl_daemon_replay_end(d);
  if(end < 0)
    return ctl_cli_fail("run", "--replay needs every target's source to "
                        "be csv or demo");
  struct pw_clock clk;
  pw_clock_sim(&clk, 0);
  int64_t tick = ctl_daemon_tick_ms(ctl_daemon_cfg(d)), steps = 0;
  int bad = 0;
  while(!stopping && clk.ops->now_ms(&clk) < end) {
    clk.ops->sleep_until(&clk, clk.ops->now_ms(&clk) + tick);
    bad += ctl_daemon_tick(d, clk.ops->now_ms(&clk), 1) != 0;
    steps++;
  }
  char err[512];
  if(ctl_daemon_flush(d, err, sizeof(err))) {
    pw_logf(PW_LOG_ERROR, PW_LF(PW_LF_STR("error", err)),
            "store: rows not written at exit");
    bad++;
  }
  pw_logf(PW_LOG_INFO, PW_LF(PW_LF_NUM("ticks", (double)steps)),
          "replay done");
  return bad ? CTL_EXIT_FAIL : CTL_EXIT_OK;
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
  if(!getenv("PREWARM_LOG_LEVEL") &&
     pw_log_level_parse(c->log_level, &lvl) == 0)
    pw_log_threshold = lvl;
  int once = o.once;
  char listen[128];
  snprintf(listen, sizeof(listen), "%s", o.listen ? o.listen : c->listen);
  char *token = NULL;
  if(c->remote_write_token_file) {
    struct pw_buf tb;
    pw_buf_init(&tb, 4096);
    if(pw_buf_read_secret(&tb, c->remote_write_token_file,
                          "remote-write token", NULL)) {
      int e = errno;
      pw_buf_cleanup(&tb);
      cfg_free(&c);
      return ctl_cli_fail("run", "remote_write.token_file: cannot read "
                          "it: %s", strerror(e));
    }
    token = tb.p;
  }
  if(!once && !o.replay) {
    /* From here on: a SIGHUP while the targets are built is a reload
     * once they are (not the default action, which ends the process),
     * and a SIGTERM stops before the first tick. */
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    signal(SIGHUP, on_hup);
  }
  struct tel_rw *rw = NULL;
  if(tel_rw_new(64u << 20, &rw)) {
    cfg_free(&c);
    free_secret(token);
    return CTL_EXIT_FAIL;
  }
  struct ctl_daemon_opts dopts = {.dry_run = o.dry_run, .replay = o.replay};
  /* --once decides at the time it was built for: a minute that turns
   * while the targets are built must not add a row to one run and not to
   * another (the same history gives the same decision). */
  int64_t t0 = o.replay ? 0 : wall_ms();
  rc = ctl_daemon_new(c, &dopts, t0, rw, &d, err,
                      sizeof(err));
  if(rc) {
    tel_rw_free(&rw);
    free_secret(token);
    return ctl_cli_fail("run", "%s", err);
  }
  if(once || o.replay) {
    rc = once ? run_once(d, t0) : run_replay(d);
    ctl_daemon_free(&d);
    tel_rw_free(&rw);
    free_secret(token);
    return rc;
  }
  struct holder hd = {.d = d, .path = o.config, .dry_run = o.dry_run,
                      .rw = rw};
  pthread_rwlock_init(&hd.mu, NULL);
  struct ctl_http_cfg hc = {.listen = listen, .rw = rw, .rw_token = token,
                            .get = holder_get, .rw_on = holder_rw_on,
                            .get_ud = &hd};
  if(ctl_http_start(&hc, &h, err, sizeof(err))) {
    ctl_daemon_free(&d);
    tel_rw_free(&rw);
    free_secret(token);
    return ctl_cli_fail("run", "%s", err);
  }
  pw_logf(PW_LOG_INFO,
          PW_LF(PW_LF_STR("listen", listen),
                PW_LF_NUM("port", ctl_http_port(h))),
          "listening: /metrics /healthz /readyz /api/v1/targets /ui");
  if(start_lease(ctl_daemon_cfg(d), &hd.lease, err, sizeof(err))) {
    ctl_http_stop(&h);
    ctl_daemon_free(&d);
    tel_rw_free(&rw);
    free_secret(token);
    return ctl_cli_fail("run", "%s", err);
  }
  ctl_daemon_set_lease(d, hd.lease);
  ctl_daemon_set_stop(d, &stopping);
  rc = loop(&hd);
  /* The actuations in flight have finished: stop serving, then give the
   * lease up for the other replica. */
  ctl_http_stop(&h);
  ctl_daemon_set_lease(hd.d, NULL);
  ctl_lease_stop(&hd.lease);
  ctl_daemon_free(&hd.d);
  tel_rw_free(&rw);
  pthread_rwlock_destroy(&hd.mu);
  free_secret(token);
  pw_log(PW_LOG_INFO, "stopped");
  return rc;
}
