/*
 * prewarm's configuration: one YAML file to one validated struct cfg.
 *
 * Every key of every section is checked against a table (name, type,
 * range, required); one error rejects the whole file, and each error is
 * reported as "FILE:LINE:COLUMN: key: problem" (unknown keys with a
 * did-you-mean).  Secrets are never inline: the file names the
 * environment variable or file that holds them.  Past this module the
 * code trusts the struct.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../common/pw_buf.h"
#include "../common/pw_err.h"

enum cfg_source { CFG_SRC_PROMETHEUS, CFG_SRC_CLOUDWATCH, CFG_SRC_POSTGRES,
                  CFG_SRC_REMOTE_WRITE, CFG_SRC_CSV, CFG_SRC_DEMO };
enum cfg_actuator { CFG_ACT_DRYRUN, CFG_ACT_KUBERNETES, CFG_ACT_LAMBDA,
                    CFG_ACT_KEDA, CFG_ACT_KNATIVE };

struct cfg_schedule {
  int64_t start_ms, end_ms;
  long min;
};

struct cfg_target {
  char *name;
  int64_t step_ms;
  int64_t lag_ms;               /* how long a step takes to be final */
  enum cfg_source source;
  /* prometheus */
  char *url, *query, *bearer_token_file, *basic_user, *basic_password_file,
    *ca_file;
  /* cloudwatch (function, qualifier shared with lambda below) */
  char *metric, *stat;
  int fill_zero;
  /* postgres: the connection string from an env var or a file */
  char *conninfo_env, *conninfo_file;
  int counter;                  /* postgres, remote_write */
  /* remote_write */
  char **labels;                /* "name=value" */
  size_t nlabels;
  /* csv (replayed from now - history; row i is one step) */
  char *file, *column;
  /* demo: prewarm's own synthetic traffic, replayed as csv is */
  long days, seed;
  /* actuator */
  enum cfg_actuator actuator;
  char *mode, *kind, *namespace_, *object, *kubeconfig;  /* kubernetes */
  char *function, *qualifier;                              /* lambda, cw */
  char *dry_platform;           /* dryrun: "kubernetes" (NULL) or "lambda" */
  long restore_min;             /* keda, knative: the floor given back;
                                   -1: the user's own (the default) */
  /* kubernetes: overflow: {lambda: {function, memory_mb, duration_ms}},
   * a function taking the load above the ready pods.  Only `prewarm plan`
   * uses it (a hybrid plan); the daemon actuates the pods alone.
   * overflow_duration_ms 0: none. */
  char *overflow_function;
  double overflow_memory_mb;    /* 0: plan's default (1024) */
  double overflow_duration_ms;
  /* forecast */
  int64_t history_ms;
  int period;                   /* steps, 0 = auto */
  char *model;                  /* auto, snaive, hw, hw-damped, hw-mul */
  int64_t refit_ms;
  /* policy */
  double unit_capacity;
  double quantile;              /* 0: the platform's default */
  double headroom, floor_utilization;
  double momentum;              /* the floor's extension along a ramp */
  double duration_ms;           /* lambda: mean invocation duration */
  int64_t warmup_ms, stabilization_ms;
  long min, max;
  double budget_instance_hours;
  double surge_ratio, surge_factor;  /* the surge guard; ratio 0: the
                                      * calibrated one's own */
  int64_t surge_hold_ms;
  double surge_pay;       /* > 0: the guard acts only where it has paid
                           * (ctl_policy's surge_pay); 0: on every surge
                           * (with no ratio: no guard); -1 (not given):
                           * 0 with a ratio, else CTL_SURGE_PAY */
  struct cfg_schedule *schedules;
  size_t nschedules;
  /* slo: an objective the quantile and headroom are moved to meet (both
   * 0: none; at most one is set) */
  double slo_unserved, slo_cold_start;
  int64_t slo_window_ms, slo_keepalive_ms;
  double slo_quantile_min, slo_quantile_max;  /* 0: the defaults */
  double slo_headroom_max;                    /* < 0: the default */
};

struct cfg {
  char *path;
  char *listen;
  int64_t tick_ms;              /* 0: each target's step */
  int dry_run;
  char *log_level;
  double speed;                 /* time runs this many times faster (demo) */
  long workers;                 /* threads stepping targets; 0: default */
  char *store_conninfo_env;     /* store: the connection string's env var */
  char *remote_write_token_file;
  /* the decision log (NULL: none) */
  char *dlog_path;
  long dlog_max_bytes, dlog_keep;
  /* leader election (le_name NULL: none) */
  char *le_name, *le_namespace, *le_identity_env, *le_kubeconfig;
  int64_t le_duration_ms, le_renew_ms, le_retry_ms;
  /* sharding (shards 0: none): a target belongs to shard
   * cfg_shard_of(name, shards), owned through the Lease
   * "<sh_prefix>-<shard>" (ctl_shard.h) */
  long shards;
  char *sh_prefix, *sh_namespace, *sh_identity_env, *sh_kubeconfig;
  int64_t sh_duration_ms, sh_renew_ms, sh_retry_ms;
  struct cfg_target *targets;
  size_t ntargets;
};

/*
 * Reads and validates path.  Returns 0 and *out, or PW_EINVAL with every
 * problem appended to errors as "FILE:LINE:COLUMN: key: problem\n" lines
 * (PW_EIO when the file cannot be read, PW_ENOMEM).  Free with cfg_free().
 */
int cfg_load(const char *path, struct cfg **out, struct pw_buf *errors)
  PW_WUR;

/*
 * cfg_load on text in memory (len bytes, no NUL needed), named `name`
 * in the errors and in cfg->path; the same checks and results, but no
 * PW_EIO.  For tests and the fuzzer.
 */
int cfg_load_text(const char *name, const char *text, size_t len,
                  struct cfg **out, struct pw_buf *errors) PW_WUR;

void cfg_free(struct cfg **cp);

/* Whether two targets are configured alike in every key (a reload keeps
 * such a target's state: its history, model and counters). */
int cfg_target_equal(const struct cfg_target *a, const struct cfg_target *b);

/* Whether the target's platform is Lambda (a lambda actuator, or a
 * dry run that says so): the policy's platform rules follow it. */
int cfg_target_lambda(const struct cfg_target *t);

/* A target with every default the file format gives (csv source, dry-run
 * actuator, nothing required set): for callers that build a target
 * without a file (prewarm plan --trace, tests, benchmarks). */
void cfg_target_defaults(struct cfg_target *t);

/*
 * Parses a duration: decimal digits, an optional fraction (".5"), then
 * ms, s, m, h or d, or nothing for seconds ("90s", "1.5m", "250ms",
 * "90").  Returns 0 and *out in milliseconds, or PW_EINVAL (hex, signs,
 * exponents, spaces, inf/nan, or above 9e15 ms).  Thread-safe.
 */
int cfg_duration_ms(const char *s, int64_t *out) PW_WUR;

/*
 * Parses a listen address: "HOST:PORT" with an IPv4 literal (or an empty
 * host for every address), or "[V6]:PORT"; the port is 0 to 65535 in
 * decimal digits.  Returns 0 with *ss filled (AF_INET or AF_INET6, the
 * port in network order) and *v6 set for IPv6, or PW_EINVAL.  The one
 * rule for both cfg_load and the HTTP server (ctl_http), so that
 * check-config accepts exactly what run can bind.  Thread-safe.
 */
int cfg_listen_parse(const char *s, struct sockaddr_storage *ss, int *v6)
  PW_WUR;

/*
 * The shard of a target: FNV-1a (64-bit) of its name's bytes, modulo
 * shards (> 0).  Documented in README.md so that an operator can predict
 * it; never change it (every replica must agree, across versions too).
 */
long cfg_shard_of(const char *name, long shards);

#endif
