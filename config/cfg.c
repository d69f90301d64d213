#include "cfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_time.h"
#include "../common/pw_yaml.h"

/* About 300 bytes a target: room for some 50,000 targets.  (The YAML
 * layer also bounds the nesting at PW_YAML_MAX_DEPTH and the nodes at
 * PW_YAML_MAX_NODES.) */
#define MAX_FILE (16u << 20)

/* The problems written out; past this they are only counted, so that a
 * file of 200,000 bad keys costs no more than the count. */
#define MAX_SHOWN 100

/* F_SECTION: a nested map or list, read by its own code. */
enum ftype { F_STR, F_BOOL, F_LONG, F_NUM, F_DUR, F_ENUM, F_SECTION };

struct field {
  const char *key;
  enum ftype type;
  size_t off;
  double min, max;
  int required;
  const char *const *choices;  /* F_ENUM */
};

struct ctx {
  const char *path;
  struct pw_buf *errors;
  int nerr;
  int oom;
  size_t target;  /* the index of the target being read */
};

#define T_OFF(f) offsetof(struct cfg_target, f)
#define G_OFF(f) offsetof(struct cfg, f)
#define BIG 1e15

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const models[] = {"auto", "snaive", "hw", "hw-damped",
                                     "hw-mul", "ses", "holt-damped", NULL};
static const char *const modes[] = {"replicas", "hpa-min-replicas", NULL};
static const char *const kinds[] = {"deployment", "statefulset", NULL};

static const struct field global_fields[] = {
  {"listen", F_STR, G_OFF(listen), 0, 0, 0, NULL},
  {"tick", F_DUR, G_OFF(tick_ms), 1000, 86400000, 0, NULL},
  {"dry_run", F_BOOL, G_OFF(dry_run), 0, 0, 0, NULL},
  {"log_level", F_ENUM, G_OFF(log_level), 0, 0, 0, levels},
  {"speed", F_NUM, G_OFF(speed), 1, 100000, 0, NULL},
  {"workers", F_LONG, G_OFF(workers), 1, 256, 0, NULL},
  {"store", F_SECTION, 0, 0, 0, 0, NULL},         /* a section: see below */
  {"remote_write", F_SECTION, 0, 0, 0, 0, NULL},  /* a section */
  {"leader_election", F_SECTION, 0, 0, 0, 0, NULL},
  {"sharding", F_SECTION, 0, 0, 0, 0, NULL},
  {"decision_log", F_SECTION, 0, 0, 0, 0, NULL},
  {"targets", F_SECTION, 0, 0, 0, 1, NULL},       /* a section */
};

static const struct field target_fields[] = {
  {"name", F_STR, T_OFF(name), 0, 0, 1, NULL},
  {"step", F_DUR, T_OFF(step_ms), 1000, 86400000, 1, NULL},
  {"lag", F_DUR, T_OFF(lag_ms), 0, 86400000, 0, NULL},
  {"source", F_SECTION, 0, 0, 0, 1, NULL},
  {"actuator", F_SECTION, 0, 0, 0, 1, NULL},
  {"forecast", F_SECTION, 0, 0, 0, 0, NULL},
  {"policy", F_SECTION, 0, 0, 0, 1, NULL},
  {"slo", F_SECTION, 0, 0, 0, 0, NULL},
};

static const struct field prom_fields[] = {
  {"url", F_STR, T_OFF(url), 0, 0, 1, NULL},
  {"query", F_STR, T_OFF(query), 0, 0, 1, NULL},
  {"bearer_token_file", F_STR, T_OFF(bearer_token_file), 0, 0, 0, NULL},
  {"basic_user", F_STR, T_OFF(basic_user), 0, 0, 0, NULL},
  {"basic_password_file", F_STR, T_OFF(basic_password_file), 0, 0, 0, NULL},
  {"ca_file", F_STR, T_OFF(ca_file), 0, 0, 0, NULL},
};

static const struct field cw_fields[] = {
  {"function", F_STR, T_OFF(function), 0, 0, 1, NULL},
  {"qualifier", F_STR, T_OFF(qualifier), 0, 0, 0, NULL},
  {"metric", F_STR, T_OFF(metric), 0, 0, 1, NULL},
  {"stat", F_STR, T_OFF(stat), 0, 0, 0, NULL},
  {"fill_zero", F_BOOL, T_OFF(fill_zero), 0, 0, 0, NULL},
};

static const struct field pg_fields[] = {
  {"conninfo_env", F_STR, T_OFF(conninfo_env), 0, 0, 0, NULL},
  {"conninfo_file", F_STR, T_OFF(conninfo_file), 0, 0, 0, NULL},
  {"query", F_STR, T_OFF(query), 0, 0, 1, NULL},
  {"counter", F_BOOL, T_OFF(counter), 0, 0, 0, NULL},
};

static const struct field rw_fields[] = {
  {"metric", F_STR, T_OFF(metric), 0, 0, 1, NULL},
  {"labels", F_SECTION, 0, 0, 0, 0, NULL},  /* a map: see below */
  {"counter", F_BOOL, T_OFF(counter), 0, 0, 0, NULL},
};

static const struct field csv_fields[] = {
  {"file", F_STR, T_OFF(file), 0, 0, 1, NULL},
  {"column", F_STR, T_OFF(column), 0, 0, 0, NULL},
};

static const struct field demo_fields[] = {
  {"days", F_LONG, T_OFF(days), 1, 365, 0, NULL},
  {"seed", F_LONG, T_OFF(seed), 0, 1e9, 0, NULL},
};

static const struct field k8s_fields[] = {
  {"mode", F_ENUM, T_OFF(mode), 0, 0, 1, modes},
  {"kind", F_ENUM, T_OFF(kind), 0, 0, 0, kinds},
  {"namespace", F_STR, T_OFF(namespace_), 0, 0, 0, NULL},
  {"name", F_STR, T_OFF(object), 0, 0, 1, NULL},
  {"kubeconfig", F_STR, T_OFF(kubeconfig), 0, 0, 0, NULL},
  {"overflow", F_SECTION, 0, 0, 0, 0, NULL},
};

/* kubernetes: overflow: {lambda: ...}, the function of a hybrid plan.
 * Durations and memory within Lambda's limits (15 min, 128..10240 MB). */
static const struct field overflow_fields[] = {
  {"function", F_STR, T_OFF(overflow_function), 0, 0, 1, NULL},
  {"memory_mb", F_NUM, T_OFF(overflow_memory_mb), 128, 10240, 0, NULL},
  {"duration_ms", F_NUM, T_OFF(overflow_duration_ms), 1, 900000, 1, NULL},
};

/* keda (a ScaledObject) and knative (a Knative Service): namespace, name
 * and kubeconfig as for kubernetes; restore_min is the floor given back
 * after a burst (default: the user's own value on the object). */
static const struct field keda_fields[] = {
  {"namespace", F_STR, T_OFF(namespace_), 0, 0, 0, NULL},
  {"name", F_STR, T_OFF(object), 0, 0, 1, NULL},
  {"kubeconfig", F_STR, T_OFF(kubeconfig), 0, 0, 0, NULL},
  {"restore_min", F_LONG, T_OFF(restore_min), 0, 1e9, 0, NULL},
};

/* dryrun: {platform: lambda} decides as for a Lambda function (the
 * platform's policy rules and default quantile) without one. */
static const char *const platforms[] = {"kubernetes", "lambda", NULL};
static const struct field dryrun_fields[] = {
  {"platform", F_ENUM, T_OFF(dry_platform), 0, 0, 0, platforms},
};

static const struct field lambda_fields[] = {
  {"function", F_STR, T_OFF(function), 0, 0, 1, NULL},
  {"qualifier", F_STR, T_OFF(qualifier), 0, 0, 1, NULL},
};

static const struct field forecast_fields[] = {
  {"history", F_DUR, T_OFF(history_ms), 3600000, 90 * 86400000.0, 0, NULL},
  {"period", F_SECTION, 0, 0, 0, 0, NULL},  /* auto or steps: below */
  {"model", F_ENUM, T_OFF(model), 0, 0, 0, models},
  {"refit", F_DUR, T_OFF(refit_ms), 60000, 7 * 86400000.0, 0, NULL},
};

static const struct field policy_fields[] = {
  {"unit_capacity", F_NUM, T_OFF(unit_capacity), 1e-9, BIG, 1, NULL},
  {"warmup", F_DUR, T_OFF(warmup_ms), 0, 86400000, 1, NULL},
  {"quantile", F_NUM, T_OFF(quantile), 0.5, 0.999, 0, NULL},
  {"headroom", F_NUM, T_OFF(headroom), 0, 10, 0, NULL},
  {"momentum", F_NUM, T_OFF(momentum), 0, 10, 0, NULL},
  {"floor_utilization", F_NUM, T_OFF(floor_utilization), 0, 1, 0, NULL},
  {"duration_ms", F_NUM, T_OFF(duration_ms), 0, 900000, 0, NULL},
  {"min", F_LONG, T_OFF(min), 0, 1e9, 0, NULL},
  {"max", F_LONG, T_OFF(max), 1, 1e9, 1, NULL},
  {"budget_instance_hours", F_NUM, T_OFF(budget_instance_hours), 0, BIG, 0,
   NULL},
  {"stabilization", F_DUR, T_OFF(stabilization_ms), 0, 86400000, 0, NULL},
  {"surge_ratio", F_NUM, T_OFF(surge_ratio), 0, 100, 0, NULL},
  {"surge_factor", F_NUM, T_OFF(surge_factor), 1, 100, 0, NULL},
  {"surge_pay", F_NUM, T_OFF(surge_pay), 0, 100, 0, NULL},
  {"surge_hold", F_DUR, T_OFF(surge_hold_ms), 1000, 7 * 86400000.0, 0,
   NULL},
  {"schedule", F_SECTION, 0, 0, 0, 0, NULL},  /* a list: see below */
};

/* slo: {unserved: F} or {cold_start: F}, with the window measured and
 * the bounds the quantile and headroom move within. */
static const struct field slo_fields[] = {
  {"unserved", F_NUM, T_OFF(slo_unserved), 1e-6, 0.5, 0, NULL},
  {"cold_start", F_NUM, T_OFF(slo_cold_start), 1e-6, 0.5, 0, NULL},
  {"window", F_DUR, T_OFF(slo_window_ms), 60000, 30 * 86400000.0, 0, NULL},
  {"keepalive", F_DUR, T_OFF(slo_keepalive_ms), 0, 86400000, 0, NULL},
  {"quantile_min", F_NUM, T_OFF(slo_quantile_min), 0.5, 0.999, 0, NULL},
  {"quantile_max", F_NUM, T_OFF(slo_quantile_max), 0.5, 0.999, 0, NULL},
  {"headroom_max", F_NUM, T_OFF(slo_headroom_max), 0, 10, 0, NULL},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A key for an error message: as written, unless it looks like a URL
 * with userinfo or a conninfo (a value typed where a key goes), or is
 * too long or unprintable to be a key. */
static const char *key_shown(const char *key) {
  int hide = strlen(key) > 63 || strchr(key, '@') || strchr(key, '=') ||
             strstr(key, "://");
  for(const char *p = key; !hide && *p; p++)
    hide = (unsigned char)*p < ' ';
  return hide ? "(this key)" : key;
}

static void emit(struct ctx *c, const struct pw_yaml *at, const char *key,
                 const char *fmt, ...) PW_PRINTF(4, 5);
static void emit(struct ctx *c, const struct pw_yaml *at, const char *key,
                 const char *fmt, ...) {
  char msg[400];
  va_list ap;
  if(c->nerr++ >= MAX_SHOWN)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if(pw_buf_printf(c->errors, "%s:%zu:%zu: %s: %s\n", c->path,
                   at && at->line ? at->line : 1,
                   at && at->line ? at->col : 1, key_shown(key), msg))
    c->oom = 1;
}

/* Edit distance, for did-you-mean. */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), row[64];
  if(la >= 63 || lb >= 63)
    return 99;
  for(size_t j = 0; j <= lb; j++)
    row[j] = j;
  for(size_t i = 1; i <= la; i++) {
    size_t prev = row[0];
    row[0] = i;
    for(size_t j = 1; j <= lb; j++) {
      size_t cur = row[j];
      size_t best = prev + (a[i - 1] != b[j - 1]);
      if(row[j] + 1 < best)
        best = row[j] + 1;
      if(row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[lb];
}

/* An error about a key itself: reported where the key is. */
static void emit_key(struct ctx *c, const struct pw_yaml *kid,
                     const char *msg) {
  if(c->nerr++ >= MAX_SHOWN)
    return;
  if(pw_buf_printf(c->errors, "%s:%zu:%zu: %s: %s\n", c->path,
                   kid->key_line ? kid->key_line : kid->line,
                   kid->key_line ? kid->key_col : kid->col,
                   key_shown(kid->key), msg))
    c->oom = 1;
}

/*
 * A value for an error message: quoted, or "this value" when it might
 * hold a secret (URL userinfo, a conninfo's password, a token) put under
 * the wrong key, or when it is long.  buf holds n bytes.
 */
static const char *shown(const char *v, char *buf, size_t n) {
  static const char *const risky[] = {"@", "://", "=", "password", "secret",
                                      "token", "key"};
  int hide = strlen(v) > 40;
  for(size_t i = 0; !hide && i < sizeof(risky) / sizeof(risky[0]); i++)
    for(const char *p = v; !hide && *p; p++)
      hide = strncasecmp(p, risky[i], strlen(risky[i])) == 0;
  for(const char *p = v; !hide && *p; p++)
    hide = (unsigned char)*p < ' ';
  if(hide)
    snprintf(buf, n, "this value");
  else
    snprintf(buf, n, "\"%s\"", v);
  return buf;
}

struct keyref {
  const char *key;
  size_t i;           /* the position in the map or list */
};

static int keyref_cmp(const void *a, const void *b) {
  const struct keyref *x = a, *y = b;
  int d = strcmp(x->key, y->key);
  return d ? d : (x->i > y->i) - (x->i < y->i);
}

/*
 * Which of n keys repeat an earlier one (NULL keys never do): sorts r
 * (whose i must be 0..n-1) and returns a new array of n flags, set at
 * the position of each repeat, for the caller to free; NULL when out of
 * memory.  n log n, where comparing each pair was quadratic.
 */
static unsigned char *repeats(struct keyref *r, size_t n) {
  unsigned char *dup = pw_calloc(n ? n : 1, 1);
  if(!dup)
    return NULL;
  size_t m = 0;
  for(size_t i = 0; i < n; i++)
    if(r[i].key)
      r[m++] = r[i];
  qsort(r, m, sizeof(*r), keyref_cmp);
  for(size_t i = 1; i < m; i++)
    if(strcmp(r[i].key, r[i - 1].key) == 0)
      dup[r[i].i] = 1;
  return dup;
}

/* Reports each key of map m given a second time, in the file's order. */
static void map_repeats(struct ctx *c, const struct pw_yaml *m) {
  if(m->nkids < 2)
    return;
  struct keyref *r = pw_malloc(m->nkids * sizeof(*r));
  unsigned char *dup = NULL;
  if(r) {
    for(size_t i = 0; i < m->nkids; i++)
      r[i] = (struct keyref){m->kids[i]->key, i};
    dup = repeats(r, m->nkids);
  }
  if(!dup)
    c->oom = 1;
  for(size_t i = 0; dup && i < m->nkids; i++)
    if(dup[i])
      emit_key(c, m->kids[i], "given twice");
  pw_free(dup);
  pw_free(r);
}

static void unknown(struct ctx *c, const struct pw_yaml *kid,
                    const struct field *f, size_t n) {
  if(c->nerr >= MAX_SHOWN) {  /* counted only: skip the did-you-mean */
    c->nerr++;
    return;
  }
  static const char *const secrets[] = {"token", "password", "conninfo",
                                        "secret", "bearer_token",
                                        "basic_password", "access_key"};
  for(size_t i = 0; i < N(secrets); i++)
    if(strcmp(kid->key, secrets[i]) == 0) {
      char msg[200];
      snprintf(msg, sizeof(msg), "secrets are never inline; name the file "
               "or environment variable that holds it (e.g. %s_file)",
               kid->key);
      emit_key(c, kid, msg);
      return;
    }
  const char *best = NULL;
  size_t bd = 3;
  for(size_t i = 0; i < n; i++) {
    size_t d = distance(kid->key, f[i].key);
    if(d < bd) {
      bd = d;
      best = f[i].key;
    }
  }
  char msg[200];
  if(best)
    snprintf(msg, sizeof(msg), "unknown key; did you mean \"%s\"?", best);
  else
    snprintf(msg, sizeof(msg), "unknown key");
  emit_key(c, kid, msg);
}

int cfg_duration_ms(const char *s, int64_t *out) {
  /* Decimal only: strtod alone took "0x3cs" for 60 s, and "1e3", "inf",
   * " 5" and "+5" as well. */
  size_t i = strspn(s, "0123456789");
  if(i == 0 || i > 15)
    return PW_EINVAL;
  if(s[i] == '.') {
    size_t f = strspn(s + i + 1, "0123456789");
    if(f == 0 || f > 9)
      return PW_EINVAL;
    i += 1 + f;
  }
  const char *end = s + i;
  double v = strtod(s, NULL);
  double mul;
  if(strcmp(end, "ms") == 0)
    mul = 1;
  else if(strcmp(end, "s") == 0 || !*end)
    mul = 1000;
  else if(strcmp(end, "m") == 0)
    mul = 60000;
  else if(strcmp(end, "h") == 0)
    mul = 3600000;
  else if(strcmp(end, "d") == 0)
    mul = 86400000;
  else
    return PW_EINVAL;
  if(!isfinite(v) || v * mul > 9e15)
    return PW_EINVAL;
  *out = (int64_t)llround(v * mul);
  return 0;
}

static int set_str(struct ctx *c, char **dst, const char *v) {
  pw_free(*dst);
  *dst = pw_strdup(v);
  if(!*dst)
    c->oom = 1;
  return *dst ? 0 : PW_ENOMEM;
}

static void set_value(struct ctx *c, const struct pw_yaml *kid,
                      const struct field *f, void *base) {
  char *p = (char *)base + f->off;
  const char *v = kid->value;
  char *end, q[64];
  double x = 0;
  if(kid->type != PW_YAML_SCALAR) {
    emit(c, kid, f->key, "must be a single value, not a %s",
         kid->type == PW_YAML_MAP ? "map" : "list");
    return;
  }
  switch(f->type) {
  case F_STR:
    if(!*v)
      emit(c, kid, f->key, "must not be empty");
    else
      (void)set_str(c, (char **)(void *)p, v);
    return;
  case F_ENUM:
    for(size_t i = 0; f->choices[i]; i++)
      if(strcmp(v, f->choices[i]) == 0) {
        (void)set_str(c, (char **)(void *)p, v);
        return;
      }
    emit(c, kid, f->key, "%s is not one of the choices (%s%s%s%s)",
         shown(v, q, sizeof(q)),
         f->choices[0], f->choices[1] ? ", " : "",
         f->choices[1] ? f->choices[1] : "", f->choices[2] ? ", ..." : "");
    return;
  case F_BOOL:
    if(strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
      *(int *)(void *)p = strcmp(v, "true") == 0;
    else
      emit(c, kid, f->key, "must be true or false");
    return;
  case F_DUR: {
    int64_t ms;
    if(cfg_duration_ms(v, &ms)) {
      emit(c, kid, f->key, "%s is not a duration (digits, maybe a "
           "fraction, then ms, s, m, h or d: 90s, 1.5m, 2h, 14d)",
           shown(v, q, sizeof(q)));
      return;
    }
    x = (double)ms;
    if(x < f->min || x > f->max) {
      emit(c, kid, f->key, "out of range (%gs to %gs)", f->min / 1000,
           f->max / 1000);
      return;
    }
    *(int64_t *)(void *)p = ms;
    return;
  }
  case F_SECTION:
    return;  /* read by its own code */
  case F_LONG:
  case F_NUM:
    errno = 0;
    x = strtod(v, &end);
    if(end == v || *end || errno || !isfinite(x) || kid->quoted ||
       (f->type == F_LONG && x - floor(x) > 0)) {
      emit(c, kid, f->key, "%s is not %s", shown(v, q, sizeof(q)),
           f->type == F_LONG ? "a whole number" : "a number");
      return;
    }
    if(x < f->min || x > f->max) {
      emit(c, kid, f->key, "%s is out of range (%g to %g)", v, f->min,
           f->max);  /* v is a number: nothing secret */
      return;
    }
    if(f->type == F_NUM)
      *(double *)(void *)p = x;
    else
      *(long *)(void *)p = (long)x;
    return;
  }
}

/* Applies a map's scalar keys through a table; sections (off 0 and not
 * handled here) are left to the caller.  Missing required keys are
 * reported at the map. */
static void apply(struct ctx *c, const struct pw_yaml *m, const char *name,
                  const struct field *f, size_t n, void *base) {
  if(!m || m->type != PW_YAML_MAP) {
    emit(c, m, name, "must be a map of keys");
    return;
  }
  for(size_t i = 0; i < m->nkids; i++) {
    const struct pw_yaml *kid = m->kids[i];
    size_t k;
    for(k = 0; k < n && strcmp(f[k].key, kid->key) != 0; k++)
      ;
    if(k == n)
      unknown(c, kid, f, n);
    else if(f[k].type != F_SECTION)
      set_value(c, kid, &f[k], base);
  }
  map_repeats(c, m);
  for(size_t k = 0; k < n; k++)
    if(f[k].required && !pw_yaml_get(m, f[k].key))
      emit(c, m, f[k].key, "required in %s", name);
}

/* Exactly one of the named sub-sections; returns its index or -1. */
static int one_of(struct ctx *c, const struct pw_yaml *m, const char *name,
                  const char *const *names, size_t n) {
  struct field f[8];
  int found = -1;
  for(size_t i = 0; i < n; i++)
    f[i] = (struct field){names[i], F_SECTION, 0, 0, 0, 0, NULL};
  if(!m || m->type != PW_YAML_MAP || m->nkids != 1) {
    char list[200] = "";
    for(size_t i = 0; i < n; i++)
      snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
               i ? ", " : "", names[i]);
    emit(c, m, name, "must hold exactly one of: %s", list);
    return -1;
  }
  for(size_t i = 0; i < n; i++)
    if(strcmp(m->kids[0]->key, names[i]) == 0)
      found = (int)i;
  if(found < 0)
    unknown(c, m->kids[0], f, n);
  return found;
}

static void read_labels(struct ctx *c, const struct pw_yaml *m,
                        struct cfg_target *t) {
  if(!m)
    return;
  if(m->type != PW_YAML_MAP) {
    emit(c, m, "labels", "must be a map of label names to values");
    return;
  }
  t->labels = pw_calloc(m->nkids ? m->nkids : 1, sizeof(char *));
  if(!t->labels) {
    c->oom = 1;
    return;
  }
  map_repeats(c, m);
  for(size_t i = 0; i < m->nkids; i++) {
    const struct pw_yaml *kv = m->kids[i];
    if(kv->type != PW_YAML_SCALAR) {
      emit(c, kv, kv->key, "a label value must be a single value");
      continue;
    }
    size_t len = strlen(kv->key) + strlen(kv->value) + 2;
    char *s = pw_malloc(len);
    if(!s) {
      c->oom = 1;
      return;
    }
    snprintf(s, len, "%s=%s", kv->key, kv->value);
    t->labels[t->nlabels++] = s;
  }
}

/* Whether url has userinfo ("user:password@" before the host). */
static int has_userinfo(const char *url) {
  const char *a = strstr(url, "://");
  a = a ? a + 3 : url;
  size_t n = strcspn(a, "/?#");
  return memchr(a, '@', n) != NULL;
}

static void check_source(struct ctx *c, const struct pw_yaml *s,
                         struct cfg_target *t) {
  if(t->source == CFG_SRC_PROMETHEUS && t->url &&
     strncmp(t->url, "http://", 7) != 0 && strncmp(t->url, "https://", 8))
    emit(c, pw_yaml_get(s, "url"), "url", "must be an http:// or https:// "
         "URL");
  /* The URL is shown by /api and in logs: a password in it would be
   * too.  The message names the place, never the URL. */
  if(t->source == CFG_SRC_PROMETHEUS && t->url && has_userinfo(t->url)) {
    char key[64];
    snprintf(key, sizeof(key), "targets[%zu].source.prometheus.url",
             c->target);
    emit(c, pw_yaml_get(s, "url"), key, "credentials in the URL are not "
         "allowed; use basic_user and basic_password_file (or "
         "bearer_token_file)");
  }
  if(t->source == CFG_SRC_PROMETHEUS && !t->basic_user !=
                                          !t->basic_password_file)
    emit(c, s, "basic_user", "basic_user and basic_password_file go "
         "together");
  if(t->source == CFG_SRC_POSTGRES && !t->conninfo_env == !t->conninfo_file)
    emit(c, s, "conninfo_env", "give one of conninfo_env or conninfo_file");
  if(t->source == CFG_SRC_POSTGRES && t->query &&
     (!strstr(t->query, "$1") || !strstr(t->query, "$2")))
    emit(c, pw_yaml_get(s, "query"), "query", "must use $1 (from) and $2 "
         "(to), in Unix seconds");
}

static void read_source(struct ctx *c, const struct pw_yaml *m,
                        struct cfg_target *t) {
  static const char *const names[] = {"prometheus", "cloudwatch", "postgres",
                                      "remote_write", "csv", "demo"};
  static const struct field *const tables[] = {
    prom_fields, cw_fields, pg_fields, rw_fields, csv_fields, demo_fields};
  static const size_t sizes[] = {N(prom_fields), N(cw_fields), N(pg_fields),
                                 N(rw_fields), N(csv_fields),
                                 N(demo_fields)};
  int k = one_of(c, m, "source", names, N(names));
  if(k < 0)
    return;
  const struct pw_yaml *s = m->kids[0];
  t->source = (enum cfg_source)k;
  apply(c, s, names[k], tables[k], sizes[k], t);
  if(t->source == CFG_SRC_REMOTE_WRITE)
    read_labels(c, pw_yaml_get(s, "labels"), t);
  check_source(c, s, t);
}

/* kubernetes: overflow: {lambda: {...}}: exactly one function. */
static void read_overflow(struct ctx *c, const struct pw_yaml *m,
                          struct cfg_target *t) {
  static const char *const names[] = {"lambda"};
  if(!m)
    return;
  if(one_of(c, m, "overflow", names, N(names)) < 0)
    return;
  apply(c, m->kids[0], "overflow.lambda", overflow_fields,
        N(overflow_fields), t);
}

static void read_actuator(struct ctx *c, const struct pw_yaml *m,
                          struct cfg_target *t) {
  static const char *const names[] = {"dryrun", "kubernetes", "lambda",
                                      "keda", "knative"};
  int k = one_of(c, m, "actuator", names, N(names));
  if(k < 0)
    return;
  const struct pw_yaml *s = m->kids[0];
  t->actuator = (enum cfg_actuator)k;
  if(t->actuator == CFG_ACT_KUBERNETES) {
    apply(c, s, "kubernetes", k8s_fields, N(k8s_fields), t);
    if(s && s->type == PW_YAML_MAP)
      read_overflow(c, pw_yaml_get(s, "overflow"), t);
  }
  else if(t->actuator == CFG_ACT_LAMBDA)
    apply(c, s, "lambda", lambda_fields, N(lambda_fields), t);
  else if(t->actuator == CFG_ACT_KEDA || t->actuator == CFG_ACT_KNATIVE)
    apply(c, s, names[k], keda_fields, N(keda_fields), t);
  else
    apply(c, s, "dryrun", dryrun_fields, N(dryrun_fields), t);
  if(t->actuator == CFG_ACT_LAMBDA && t->qualifier &&
     strcmp(t->qualifier, "$LATEST") == 0)
    emit(c, pw_yaml_get(s, "qualifier"), "qualifier", "AWS refuses "
         "provisioned concurrency on $LATEST; use a version or an alias");
}

static void read_schedule(struct ctx *c, const struct pw_yaml *l,
                          struct cfg_target *t) {
  if(!l)
    return;
  if(l->type != PW_YAML_SEQ) {
    emit(c, l, "schedule", "must be a list of {start, end, min}");
    return;
  }
  t->schedules = pw_calloc(l->nkids ? l->nkids : 1, sizeof(*t->schedules));
  if(!t->schedules) {
    c->oom = 1;
    return;
  }
  for(size_t i = 0; i < l->nkids; i++) {
    const struct pw_yaml *e = l->kids[i];
    const char *a = pw_yaml_str(e, "start"), *b = pw_yaml_str(e, "end");
    const char *mn = pw_yaml_str(e, "min");
    struct cfg_schedule s = {0, 0, 0};
    char *end = NULL;
    if(!a || !b || !mn || e->nkids != 3 || pw_time_parse(a, &s.start_ms) ||
       pw_time_parse(b, &s.end_ms) || s.end_ms <= s.start_ms ||
       (s.min = strtol(mn, &end, 10)) < 0 || *end) {
      emit(c, e, "schedule", "each entry is {start: TIME, end: TIME, min: "
           "N} with start before end (times as 2026-11-27T08:00:00Z)");
      continue;
    }
    if(t->max > 0 && s.min > t->max) {
      emit(c, pw_yaml_get(e, "min"), "schedule", "min %ld is above the "
           "target's max (%ld)", s.min, t->max);
      continue;
    }
    t->schedules[t->nschedules++] = s;
  }
}

static void read_period(struct ctx *c, const struct pw_yaml *p,
                        struct cfg_target *t) {
  char *end;
  if(!p || (p->type == PW_YAML_SCALAR && strcmp(p->value, "auto") == 0))
    return;
  long v = p->type == PW_YAML_SCALAR ? strtol(p->value, &end, 10) : -1;
  if(p->type != PW_YAML_SCALAR || *end || v < 2 || v > 100000)
    emit(c, p, "period", "auto, or the season in steps (2 to 100000)");
  else
    t->period = (int)v;
}

static int valid_name(const char *s) {
  size_t n = strlen(s);
  return n > 0 && n <= 63 &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

int cfg_target_lambda(const struct cfg_target *t) {
  return t->actuator == CFG_ACT_LAMBDA ||
         (t->actuator == CFG_ACT_DRYRUN && t->dry_platform &&
          strcmp(t->dry_platform, "lambda") == 0);
}

void cfg_target_defaults(struct cfg_target *t) {
  memset(t, 0, sizeof(*t));
  t->history_ms = 14 * 86400000LL;
  t->refit_ms = 3600000;
  t->quantile = 0;  /* the platform's default: ctl_settings_quantile() */
  t->momentum = 1;
  t->floor_utilization = 0.9;
  t->stabilization_ms = 300000;
  t->surge_factor = 4;
  t->surge_hold_ms = 3600000;
  t->surge_pay = -1;  /* the default: ctl_settings' CTL_SURGE_PAY */
  t->slo_window_ms = 86400000;
  t->slo_keepalive_ms = 600000;
  t->slo_headroom_max = -1;
  t->source = CFG_SRC_CSV;
  t->actuator = CFG_ACT_DRYRUN;
  t->days = 21;
  t->seed = 1;
  t->restore_min = -1;
}

/* slo: one objective, the platform's own, and bounds that make sense. */
static void read_slo(struct ctx *c, const struct pw_yaml *slo,
                     struct cfg_target *t) {
  apply(c, slo, "slo", slo_fields, N(slo_fields), t);
  if(slo->type != PW_YAML_MAP)
    return;
  int lambda = cfg_target_lambda(t);
  if((t->slo_unserved > 0) == (t->slo_cold_start > 0))
    emit(c, slo, "slo", "needs one objective: unserved (Kubernetes: the "
         "share of load above ready capacity) or cold_start (Lambda: the "
         "share of invocations that start cold)");
  else if(t->slo_cold_start > 0 && !lambda)
    emit(c, pw_yaml_get(slo, "cold_start"), "cold_start", "is a Lambda "
         "objective; a Kubernetes target declares unserved");
  else if(t->slo_unserved > 0 && lambda)
    emit(c, pw_yaml_get(slo, "unserved"), "unserved", "is a Kubernetes "
         "objective; a Lambda target declares cold_start");
  if(t->slo_quantile_min > 0 && t->slo_quantile_max > 0 &&
     t->slo_quantile_min > t->slo_quantile_max)
    emit(c, pw_yaml_get(slo, "quantile_min"), "quantile_min", "is above "
         "quantile_max (%g > %g)", t->slo_quantile_min, t->slo_quantile_max);
  if(t->step_ms && t->slo_window_ms < 4 * t->step_ms)
    emit(c, pw_yaml_get(slo, "window") ? pw_yaml_get(slo, "window") : slo,
         "window", "must cover at least 4 steps");
}

static void read_target(struct ctx *c, const struct pw_yaml *m,
                        struct cfg_target *t) {
  cfg_target_defaults(t);
  apply(c, m, "a target", target_fields, N(target_fields), t);
  if(m->type != PW_YAML_MAP)
    return;
  if(t->name && !valid_name(t->name))
    emit(c, pw_yaml_get(m, "name"), "name", "1 to 63 of a-z 0-9 - _ .");
  if(pw_yaml_get(m, "source"))
    read_source(c, pw_yaml_get(m, "source"), t);
  if(pw_yaml_get(m, "actuator"))
    read_actuator(c, pw_yaml_get(m, "actuator"), t);
  const struct pw_yaml *fc = pw_yaml_get(m, "forecast");
  if(fc) {
    apply(c, fc, "forecast", forecast_fields, N(forecast_fields), t);
    read_period(c, pw_yaml_get(fc, "period"), t);
  }
  const struct pw_yaml *pol = pw_yaml_get(m, "policy");
  if(pol) {
    apply(c, pol, "policy", policy_fields, N(policy_fields), t);
    read_schedule(c, pw_yaml_get(pol, "schedule"), t);
    if(t->min > t->max)
      emit(c, pw_yaml_get(pol, "min"), "min", "is above max (%ld > %ld)",
           t->min, t->max);
    if(t->surge_ratio > 0 && t->surge_ratio <= 1)
      emit(c, pw_yaml_get(pol, "surge_ratio"), "surge_ratio",
           "must be 0 (the calibrated guard's own) or above 1");
  }
  const struct pw_yaml *slo = pw_yaml_get(m, "slo");
  if(slo)
    read_slo(c, slo, t);
  if(t->step_ms && t->source == CFG_SRC_CLOUDWATCH && t->step_ms % 60000)
    emit(c, pw_yaml_get(m, "step"), "step", "must be a multiple of 60s for "
         "CloudWatch's Lambda metrics");
  if(t->step_ms && t->history_ms < 4 * t->step_ms)
    emit(c, fc ? pw_yaml_get(fc, "history") : m, "history", "must cover at "
         "least 4 steps");
}

static void read_targets(struct ctx *c, const struct pw_yaml *l,
                         struct cfg *g) {
  if(!l)
    return;
  if(l->type != PW_YAML_SEQ || l->nkids == 0) {
    emit(c, l, "targets", "must be a list of at least one target");
    return;
  }
  g->targets = pw_calloc(l->nkids, sizeof(*g->targets));
  if(!g->targets) {
    c->oom = 1;
    return;
  }
  g->ntargets = l->nkids;
  for(size_t i = 0; i < l->nkids; i++) {
    c->target = i;
    read_target(c, l->kids[i], &g->targets[i]);
  }
  struct keyref *r = pw_malloc(l->nkids * sizeof(*r));
  unsigned char *dup = NULL;
  if(r) {
    for(size_t i = 0; i < l->nkids; i++)
      r[i] = (struct keyref){g->targets[i].name, i};
    dup = repeats(r, l->nkids);
  }
  if(!dup)
    c->oom = 1;
  for(size_t i = 0; dup && i < l->nkids; i++) {
    char q[64];
    if(dup[i])
      emit(c, pw_yaml_get(l->kids[i], "name"), "name", "duplicate target "
           "%s", shown(g->targets[i].name, q, sizeof(q)));
  }
  pw_free(dup);
  pw_free(r);
}

/* sharding: {shards, lease_prefix, ...}; the timings as leader
 * election's, and the two are exclusive (each shard's Lease is a leader
 * election of its own). */
static void read_sharding(struct ctx *c, const struct pw_yaml *root,
                          struct cfg *g) {
  static const struct field sh_fields[] = {
    {"shards", F_LONG, G_OFF(shards), 1, 4096, 1, NULL},
    {"lease_prefix", F_STR, G_OFF(sh_prefix), 0, 0, 1, NULL},
    {"namespace", F_STR, G_OFF(sh_namespace), 0, 0, 0, NULL},
    {"identity_env", F_STR, G_OFF(sh_identity_env), 0, 0, 0, NULL},
    {"kubeconfig", F_STR, G_OFF(sh_kubeconfig), 0, 0, 0, NULL},
    {"lease_duration", F_DUR, G_OFF(sh_duration_ms), 2000, 3600000, 0, NULL},
    {"renew_deadline", F_DUR, G_OFF(sh_renew_ms), 1000, 3600000, 0, NULL},
    {"retry_period", F_DUR, G_OFF(sh_retry_ms), 100, 3600000, 0, NULL}};
  const struct pw_yaml *sh = pw_yaml_get(root, "sharding");
  g->sh_duration_ms = 15000;
  g->sh_renew_ms = 10000;
  g->sh_retry_ms = 2000;
  if(!sh)
    return;
  apply(c, sh, "sharding", sh_fields, N(sh_fields), g);
  if(!(g->sh_duration_ms > g->sh_renew_ms &&
       g->sh_renew_ms * 10 > g->sh_retry_ms * 12) ||
     g->sh_duration_ms % 1000)
    emit(c, sh, "sharding", "needs lease_duration > renew_deadline > 1.2 x "
         "retry_period (client-go's rule), the duration in whole seconds");
  /* "<prefix>-<shard>" and "<prefix>-member-<identity>" are Lease names:
   * DNS-1123 subdomains of at most 253 characters. */
  const char *p = g->sh_prefix;
  size_t n = p ? strlen(p) : 0;
  int ok = n > 0 && n <= 180 && p[0] != '-' && p[0] != '.' &&
           p[n - 1] != '-' && p[n - 1] != '.';
  for(size_t i = 0; ok && i < n; i++)
    ok = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
         p[i] == '-' || p[i] == '.';
  if(p && !ok)
    emit(c, pw_yaml_get(sh, "lease_prefix"), "sharding.lease_prefix",
         "must be lower-case letters, digits, '-' and '.', start and end "
         "with a letter or digit, at most 180 characters (a Lease name)");
  if(pw_yaml_get(root, "leader_election"))
    emit(c, sh, "sharding", "cannot be combined with leader_election: each "
         "shard's Lease elects its own owner");
}

long cfg_shard_of(const char *name, long shards) {
  uint64_t h = 14695981039346656037u;
  for(const unsigned char *s = (const unsigned char *)name; *s; s++) {
    h ^= *s;
    h *= 1099511628211u;
  }
  return (long)(h % (uint64_t)shards);
}

static void read_global(struct ctx *c, const struct pw_yaml *root,
                        struct cfg *g) {
  static const struct field store_fields[] = {
    {"conninfo_env", F_STR, G_OFF(store_conninfo_env), 0, 0, 1, NULL}};
  static const struct field rw_global[] = {
    {"token_file", F_STR, G_OFF(remote_write_token_file), 0, 0, 0, NULL}};
  static const struct field le_fields[] = {
    {"name", F_STR, G_OFF(le_name), 0, 0, 1, NULL},
    {"namespace", F_STR, G_OFF(le_namespace), 0, 0, 0, NULL},
    {"identity_env", F_STR, G_OFF(le_identity_env), 0, 0, 0, NULL},
    {"kubeconfig", F_STR, G_OFF(le_kubeconfig), 0, 0, 0, NULL},
    {"lease_duration", F_DUR, G_OFF(le_duration_ms), 2000, 3600000, 0, NULL},
    {"renew_deadline", F_DUR, G_OFF(le_renew_ms), 1000, 3600000, 0, NULL},
    {"retry_period", F_DUR, G_OFF(le_retry_ms), 100, 3600000, 0, NULL}};
  static const struct field dlog_fields[] = {
    {"path", F_STR, G_OFF(dlog_path), 0, 0, 1, NULL},
    {"max_bytes", F_LONG, G_OFF(dlog_max_bytes), 1024, 1e12, 0, NULL},
    {"keep", F_LONG, G_OFF(dlog_keep), 1, 100, 0, NULL}};
  g->speed = 1;
  g->le_duration_ms = 15000;
  g->le_renew_ms = 10000;
  g->le_retry_ms = 2000;
  apply(c, root, "the file", global_fields, N(global_fields), g);
  if(root->type != PW_YAML_MAP)
    return;
  if(pw_yaml_get(root, "store"))
    apply(c, pw_yaml_get(root, "store"), "store", store_fields, 1, g);
  if(pw_yaml_get(root, "remote_write"))
    apply(c, pw_yaml_get(root, "remote_write"), "remote_write", rw_global, 1,
          g);
  if(pw_yaml_get(root, "decision_log"))
    apply(c, pw_yaml_get(root, "decision_log"), "decision_log", dlog_fields,
          N(dlog_fields), g);
  const struct pw_yaml *le = pw_yaml_get(root, "leader_election");
  if(le) {
    apply(c, le, "leader_election", le_fields, N(le_fields), g);
    if(!(g->le_duration_ms > g->le_renew_ms &&
         g->le_renew_ms * 10 > g->le_retry_ms * 12) ||
       g->le_duration_ms % 1000)
      emit(c, le, "leader_election", "needs lease_duration > "
           "renew_deadline > 1.2 x retry_period (client-go's rule), the "
           "duration in whole seconds");
  }
  read_sharding(c, root, g);
  struct sockaddr_storage ss;
  int v6;
  if(g->listen && cfg_listen_parse(g->listen, &ss, &v6))
    emit(c, pw_yaml_get(root, "listen"), "listen", "must be HOST:PORT or "
         "[IPV6]:PORT, the host an IP address (or empty for all), the port "
         "0 to 65535");
  read_targets(c, pw_yaml_get(root, "targets"), g);
  if(!g->listen && set_str(c, &g->listen, "127.0.0.1:9464"))
    return;
  if(!g->log_level)
    (void)set_str(c, &g->log_level, "info");
}

/* Validates the tree root (which it frees) read from path. */
static int load_tree(const char *path, struct pw_yaml *root, struct cfg **out,
                     struct pw_buf *errors) {
  struct ctx c = {.path = path, .errors = errors};
  if(root->type == PW_YAML_MAP && root->nkids == 0 && root->line == 0) {
    /* No document at all: there is no line to name. */
    pw_yaml_free(&root);
    return pw_buf_printf(errors, "%s: the file is empty\n", path)
           ? PW_ENOMEM : PW_EINVAL;
  }
  struct cfg *g = pw_calloc(1, sizeof(*g));
  if(!g || !(g->path = pw_strdup(path))) {
    pw_free(g);
    pw_yaml_free(&root);
    return PW_ENOMEM;
  }
  read_global(&c, root, g);
  pw_yaml_free(&root);
  if(c.nerr > MAX_SHOWN &&
     pw_buf_printf(errors, "%s: %d more problems not shown\n", path,
                   c.nerr - MAX_SHOWN))
    c.oom = 1;
  if(c.oom || c.nerr) {
    cfg_free(&g);
    return c.oom ? PW_ENOMEM : PW_EINVAL;
  }
  *out = g;
  return 0;
}

int cfg_load(const char *path, struct cfg **out, struct pw_buf *errors) {
  struct pw_yaml *root = NULL;
  char err[300];
  *out = NULL;
  int rc = pw_yaml_load(path, MAX_FILE, &root, err, sizeof(err));
  if(rc) {
    if(pw_buf_printf(errors, "%s\n", err))
      return PW_ENOMEM;
    return rc == PW_EPARSE ? PW_EINVAL : rc;
  }
  return load_tree(path, root, out, errors);
}

int cfg_load_text(const char *name, const char *text, size_t len,
                  struct cfg **out, struct pw_buf *errors) {
  struct pw_yaml *root = NULL;
  char err[300];
  *out = NULL;
  if(len > MAX_FILE)
    return pw_buf_printf(errors, "%s: larger than %u bytes\n", name,
                         MAX_FILE) ? PW_ENOMEM : PW_ETOOBIG;
  int rc = pw_yaml_parse(text, len, &root, err, sizeof(err));
  if(rc) {
    if(pw_buf_printf(errors, "%s:%s\n", name, err))
      return PW_ENOMEM;
    return rc == PW_EPARSE ? PW_EINVAL : rc;
  }
  return load_tree(name, root, out, errors);
}

static void free_target(struct cfg_target *t) {
  char **strs[] = {&t->name, &t->url, &t->query, &t->bearer_token_file,
                   &t->basic_user, &t->basic_password_file, &t->ca_file,
                   &t->metric, &t->stat, &t->conninfo_env, &t->conninfo_file,
                   &t->file, &t->column, &t->mode, &t->kind, &t->namespace_,
                   &t->object, &t->kubeconfig, &t->function, &t->qualifier,
                   &t->dry_platform, &t->overflow_function,
                   &t->model};
  for(size_t i = 0; i < N(strs); i++)
    pw_free(*strs[i]);
  for(size_t i = 0; i < t->nlabels; i++)
    pw_free(t->labels[i]);
  pw_free(t->labels);
  pw_free(t->schedules);
}

/* Whether field f of two targets holds the same value. */
static int field_equal(const struct field *f, const struct cfg_target *a,
                       const struct cfg_target *b) {
  const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
  switch(f->type) {
  case F_STR:
  case F_ENUM: {
    const char *x = *(char *const *)(const void *)pa;
    const char *y = *(char *const *)(const void *)pb;
    return x == y || (x && y && strcmp(x, y) == 0);
  }
  case F_BOOL: return memcmp(pa, pb, sizeof(int)) == 0;
  case F_LONG: return memcmp(pa, pb, sizeof(long)) == 0;
  case F_NUM: return memcmp(pa, pb, sizeof(double)) == 0;
  case F_DUR: return memcmp(pa, pb, sizeof(int64_t)) == 0;
  case F_SECTION: return 1;  /* compared below, by hand */
  }
  return 0;
}

int cfg_target_equal(const struct cfg_target *a, const struct cfg_target *b) {
  static const struct {
    const struct field *f;
    size_t n;
  } tables[] = {
    {target_fields, N(target_fields)}, {prom_fields, N(prom_fields)},
    {cw_fields, N(cw_fields)}, {pg_fields, N(pg_fields)},
    {rw_fields, N(rw_fields)}, {csv_fields, N(csv_fields)},
    {demo_fields, N(demo_fields)}, {k8s_fields, N(k8s_fields)},
    {lambda_fields, N(lambda_fields)}, {dryrun_fields, N(dryrun_fields)},
    {keda_fields, N(keda_fields)},
    {overflow_fields, N(overflow_fields)},
    {forecast_fields, N(forecast_fields)},
    {policy_fields, N(policy_fields)}, {slo_fields, N(slo_fields)}};
  for(size_t t = 0; t < N(tables); t++)
    for(size_t k = 0; k < tables[t].n; k++)
      if(!field_equal(&tables[t].f[k], a, b))
        return 0;
  if(a->source != b->source || a->actuator != b->actuator ||
     a->period != b->period || a->nlabels != b->nlabels ||
     a->nschedules != b->nschedules)
    return 0;
  for(size_t i = 0; i < a->nlabels; i++)
    if(strcmp(a->labels[i], b->labels[i]) != 0)
      return 0;
  for(size_t i = 0; i < a->nschedules; i++)
    if(a->schedules[i].start_ms != b->schedules[i].start_ms ||
       a->schedules[i].end_ms != b->schedules[i].end_ms ||
       a->schedules[i].min != b->schedules[i].min)
      return 0;
  return 1;
}

void cfg_free(struct cfg **cp) {
  struct cfg *g = *cp;
  if(!g)
    return;
  for(size_t i = 0; i < g->ntargets; i++)
    free_target(&g->targets[i]);
  pw_free(g->targets);
  pw_free(g->path);
  pw_free(g->listen);
  pw_free(g->log_level);
  pw_free(g->store_conninfo_env);
  pw_free(g->remote_write_token_file);
  pw_free(g->dlog_path);
  pw_free(g->le_name);
  pw_free(g->le_namespace);
  pw_free(g->le_identity_env);
  pw_free(g->le_kubeconfig);
  pw_free(g->sh_prefix);
  pw_free(g->sh_namespace);
  pw_free(g->sh_identity_env);
  pw_free(g->sh_kubeconfig);
  pw_free(g);
  *cp = NULL;
}

int cfg_listen_parse(const char *s, struct sockaddr_storage *ss, int *v6) {
  char host[64];
  const char *colon;
  memset(ss, 0, sizeof(*ss));
  *v6 = 0;
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
  /* Digits only: strtol would take " 5", "+5" and "-0". */
  size_t nd = strspn(colon + 1, "0123456789");
  if(nd == 0 || nd > 5 || colon[1 + nd])
    return PW_EINVAL;
  long port = strtol(colon + 1, NULL, 10);
  if(port > 65535)
    return PW_EINVAL;
  *v6 = s[0] == '[' || strchr(host, ':') != NULL;
  if(*v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : PW_EINVAL;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)(void *)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  if(!host[0])
    return 0;  /* ":PORT": every address */
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : PW_EINVAL;
}
