#include "ctl_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../actuators/act_dryrun.h"
#include "../actuators/act_k8s.h"
#include "../actuators/act_keda.h"
#include "../actuators/act_knative.h"
#include "../actuators/act_lambda.h"
#include "../common/pw_alloc.h"
#include "../common/pw_csv.h"
#include "../telemetry/tel_csv.h"
#include "../telemetry/tel_cw.h"
#include "../telemetry/tel_pg.h"
#include "../telemetry/tel_prom.h"
#include "ctl_demo.h"

static int need_aws(struct ctl_build_env *env, char *err, size_t errlen) {
  return *env->aws ? 0 : pw_aws_new(env->aws, err, errlen);
}

int ctl_build_replay_source(const struct cfg_target *c, int64_t start_ms,
                            struct tel_source **out, char *err,
                            size_t errlen) {
  struct pw_csv_column col = {0};
  int rc;
  if(c->source == CFG_SRC_DEMO) {
    size_t n = (size_t)(c->days * 86400000 / c->step_ms);
    double *v = pw_malloc((n ? n : 1) * sizeof(double));
    if(!v)
      return PW_ENOMEM;
    ctl_demo_generate(v, n, (int)(c->step_ms / 1000), (unsigned long)c->seed);
    rc = tel_csv_new(v, n, start_ms, c->step_ms, out);
    pw_free(v);
    return rc;
  }
  rc = pw_csv_read_column(c->file, c->column, 0, &col, err, errlen);
  if(rc == 0)
    rc = tel_csv_new(col.values, col.n, start_ms, c->step_ms, out);
  pw_csv_column_cleanup(&col);
  return rc;
}

/* A secret from the named environment variable or file; NULL when unset
 * or unreadable.  The caller wipes and frees it. */
static char *env_or_file(const char *env, const char *file) {
  if(env) {
    const char *v = getenv(env);
    return v ? pw_strdup(v) : NULL;
  }
  struct pw_buf b;
  pw_buf_init(&b, 64 * 1024);
  if(pw_buf_read_secret(&b, file, "postgresql conninfo", NULL)) {
    pw_buf_cleanup(&b);
    return NULL;
  }
  return b.p;
}

/* ---- the registry: one constructor per backend ---- */

typedef int (*source_fn)(const struct cfg_target *c,
                         struct ctl_build_env *env, int64_t start_ms,
                         int64_t now_ms, struct tel_source **out, char *err,
                         size_t errlen);
typedef int (*actuator_fn)(const struct cfg_target *c,
                           struct ctl_build_env *env, struct act **out,
                           char *err, size_t errlen);

static int src_prometheus(const struct cfg_target *c,
                          struct ctl_build_env *env, int64_t start_ms,
                          int64_t now_ms, struct tel_source **out, char *err,
                          size_t errlen) {
  (void)env, (void)start_ms, (void)now_ms;
  struct tel_prom_cfg p = {c->url, c->query, c->step_ms,
                           c->bearer_token_file, c->basic_user,
                           c->basic_password_file, c->ca_file, 0};
  return tel_prom_new(&p, out, err, errlen);
}

static int src_cloudwatch(const struct cfg_target *c,
                          struct ctl_build_env *env, int64_t start_ms,
                          int64_t now_ms, struct tel_source **out, char *err,
                          size_t errlen) {
  (void)start_ms, (void)now_ms;
  struct tel_cw_cfg w = {c->function, c->qualifier, c->metric, c->stat,
                         c->step_ms, 0, c->fill_zero, 0};
  int rc = need_aws(env, err, errlen);
  return rc ? rc : tel_cw_new(&w, *env->aws, out, err, errlen);
}

static int src_postgres(const struct cfg_target *c, struct ctl_build_env *env,
                        int64_t start_ms, int64_t now_ms,
                        struct tel_source **out, char *err, size_t errlen) {
  (void)env, (void)start_ms, (void)now_ms;
  char *conn = env_or_file(c->conninfo_env, c->conninfo_file);
  if(!conn) {
    snprintf(err, errlen, "postgres: %s %s is not set or not readable",
             c->conninfo_env ? "environment variable" : "file",
             c->conninfo_env ? c->conninfo_env : c->conninfo_file);
    return PW_EINVAL;
  }
  struct tel_pg_cfg p = {conn, c->query, c->step_ms, c->counter, 0};
  int rc = tel_pg_new(&p, out, err, errlen);
  memset(conn, 0, strlen(conn));
  pw_free(conn);
  return rc;
}

static int src_remote_write(const struct cfg_target *c,
                            struct ctl_build_env *env, int64_t start_ms,
                            int64_t now_ms, struct tel_source **out,
                            char *err, size_t errlen) {
  (void)start_ms;
  struct tel_rw_selector s = {c->metric, (const char *const *)c->labels,
                              c->nlabels, c->counter, c->step_ms};
  /* A push has no history to backfill: steps are kept from now on. */
  env->uses_rw = 1;
  return tel_rw_source(env->rw, &s, now_ms, out, err, errlen);
}

static int src_replay(const struct cfg_target *c, struct ctl_build_env *env,
                      int64_t start_ms, int64_t now_ms,
                      struct tel_source **out, char *err, size_t errlen) {
  (void)env, (void)now_ms;
  return ctl_build_replay_source(c, start_ms, out, err, errlen);
}

static int act_kubernetes(const struct cfg_target *c,
                          struct ctl_build_env *env, struct act **out,
                          char *err, size_t errlen) {
  (void)env;
  struct act_k8s_cfg k = {c->mode, c->kind, c->namespace_, c->object,
                          c->kubeconfig, NULL, 0, 0, 0};
  return act_k8s_new(&k, out, err, errlen);
}

static int act_lambda(const struct cfg_target *c, struct ctl_build_env *env,
                      struct act **out, char *err, size_t errlen) {
  struct act_lambda_cfg l = {c->function, c->qualifier, 0, 0, 0, 0, 0};
  int rc = need_aws(env, err, errlen);
  return rc ? rc : act_lambda_new(&l, *env->aws, out, err, errlen);
}

static int act_keda(const struct cfg_target *c, struct ctl_build_env *env,
                    struct act **out, char *err, size_t errlen) {
  (void)env;
  struct act_keda_cfg k = {c->namespace_, c->object, c->kubeconfig, NULL,
                           c->restore_min, 0, 0};
  return act_keda_new(&k, out, err, errlen);
}

static int act_knative(const struct cfg_target *c, struct ctl_build_env *env,
                       struct act **out, char *err, size_t errlen) {
  (void)env;
  struct act_knative_cfg k = {c->namespace_, c->object, c->kubeconfig, NULL,
                              c->restore_min, 0, 0};
  return act_knative_new(&k, out, err, errlen);
}

/* dryrun: {} has no platform behind it. */
static int act_none(const struct cfg_target *c, struct ctl_build_env *env,
                    struct act **out, char *err, size_t errlen) {
  (void)c, (void)env, (void)err, (void)errlen;
  *out = NULL;
  return 0;
}

static const struct {
  enum cfg_source kind;
  const char *name;
  source_fn make;
} sources[] = {
  {CFG_SRC_PROMETHEUS, "prometheus", src_prometheus},
  {CFG_SRC_CLOUDWATCH, "cloudwatch", src_cloudwatch},
  {CFG_SRC_POSTGRES, "postgres", src_postgres},
  {CFG_SRC_REMOTE_WRITE, "remote_write", src_remote_write},
  {CFG_SRC_CSV, "csv", src_replay},
  {CFG_SRC_DEMO, "demo", src_replay},
};

static const struct {
  enum cfg_actuator kind;
  const char *name;
  actuator_fn make;
} actuators[] = {
  {CFG_ACT_DRYRUN, "dryrun", act_none},
  {CFG_ACT_KUBERNETES, "kubernetes", act_kubernetes},
  {CFG_ACT_LAMBDA, "lambda", act_lambda},
  {CFG_ACT_KEDA, "keda", act_keda},
  {CFG_ACT_KNATIVE, "knative", act_knative},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *ctl_build_source_name(enum cfg_source s) {
  for(size_t i = 0; i < N(sources); i++)
    if(sources[i].kind == s)
      return sources[i].name;
  return "?";
}

const char *ctl_build_actuator_name(enum cfg_actuator a) {
  for(size_t i = 0; i < N(actuators); i++)
    if(actuators[i].kind == a)
      return actuators[i].name;
  return "?";
}

int ctl_build_source(const struct cfg_target *c, struct ctl_build_env *env,
                     int64_t start_ms, int64_t now_ms,
                     struct tel_source **out, char *err, size_t errlen) {
  for(size_t i = 0; i < N(sources); i++)
    if(sources[i].kind == c->source)
      return sources[i].make(c, env, start_ms, now_ms, out, err, errlen);
  snprintf(err, errlen, "no such source");
  return PW_EINVAL;
}

int ctl_build_actuator(const struct cfg_target *c, struct ctl_build_env *env,
                       struct act **out, char *err, size_t errlen) {
  struct act *inner = NULL;
  int rc = PW_EINVAL;
  *out = NULL;
  for(size_t i = 0; i < N(actuators); i++)
    if(actuators[i].kind == c->actuator)
      rc = actuators[i].make(c, env, &inner, err, errlen);
  if(rc)
    return rc;
  if(inner && !env->dry_run) {
    *out = inner;
    return 0;
  }
  /* A dry run reads what the platform has (when there is one) and plans
   * as the real actuator would, but never writes. */
  return act_dryrun_new(inner, out);
}

int ctl_build_unit(const struct cfg_target *c, struct ctl_build_env *env,
                   int64_t now_ms, double phase, int replay,
                   struct ctl_unit **out, char *err, size_t errlen) {
  int64_t history = replay ? 0 : c->history_ms;
  int64_t start = (now_ms - history) / c->step_ms * c->step_ms;
  struct tel_source *src = NULL;
  struct act *act = NULL;
  char inner[256] = "";
  int rc = ctl_build_source(c, env, start, now_ms, &src, inner,
                            sizeof(inner));
  if(rc == 0)
    rc = ctl_build_actuator(c, env, &act, inner, sizeof(inner));
  if(rc == 0)
    rc = ctl_unit_new(c, src, act, start, history, now_ms, phase, out, inner,
                      sizeof(inner));
  else
    tel_source_free(&src);
  if(rc) {
    snprintf(err, errlen, "target %s: %s", c->name,
             inner[0] ? inner : pw_strerror(rc));
    return rc;
  }
  (*out)->dry_run = c->actuator == CFG_ACT_DRYRUN || env->dry_run;
  (*out)->want_outlook = 1;
  return 0;
}
