#include "ctl_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_buf.h"
#include "../common/pw_log.h"
#include "../common/pw_pg.h"

#define SCHEMA_VERSION 1
#define BATCH 500
#define LOCK_KEY "7264617770657270"  /* any constant, shared by replicas */

struct row {
  int decision;            /* else an observation */
  char *target;
  int64_t ts_ms;
  double load;
  long desired;
  char *reasons;
  double mean, upper;
};

struct ctl_store {
  struct pw_pg db;
  struct row *rows;        /* queued rows are rows[head..len) */
  size_t head, len, cap, max_rows;
  struct ctl_store_stats st;
  char why[512];
};

static const char *const migration_v1[] = {
  "CREATE TABLE prewarm_observations ("
  " target text NOT NULL, ts timestamptz NOT NULL, load float8,"
  " PRIMARY KEY (target, ts))",
  "CREATE TABLE prewarm_decisions ("
  " target text NOT NULL, ts timestamptz NOT NULL, load float8,"
  " desired bigint NOT NULL, reasons text NOT NULL,"
  " forecast_mean float8, forecast_upper float8,"
  " PRIMARY KEY (target, ts))",
  "INSERT INTO prewarm_schema (version) VALUES (1)",
};

int ctl_store_open(const struct ctl_store_cfg *cfg, struct ctl_store **out,
                   char *err, size_t errlen) {
  *out = NULL;
  char why[400];
  if(pw_pg_check(cfg->conninfo, why, sizeof(why))) {
    snprintf(err, errlen, "store: the connection string is malformed: %s",
             why);
    return PW_EINVAL;
  }
  struct ctl_store *s = pw_calloc(1, sizeof(*s));
  if(!s || pw_pg_init(&s->db, cfg->conninfo, cfg->timeout_ms)) {
    pw_free(s);
    snprintf(err, errlen, "out of memory");
    return PW_ENOMEM;
  }
  s->max_rows = cfg->max_rows ? cfg->max_rows : 100000;
  *out = s;
  return 0;
}

static void free_row(struct row *r) {
  pw_free(r->target);
  pw_free(r->reasons);
}

void ctl_store_close(struct ctl_store **sp) {
  struct ctl_store *s = *sp;
  if(!s)
    return;
  if(s->len > s->head && ctl_store_flush(s))
    pw_log(PW_LOG_WARN, "store: %zu rows not written at exit: %s",
           s->len - s->head, s->why);
  for(size_t i = s->head; i < s->len; i++)
    free_row(&s->rows[i]);
  pw_free(s->rows);
  pw_pg_cleanup(&s->db);
  pw_free(s);
  *sp = NULL;
}

static int push(struct ctl_store *s, struct row *r) {
  if(s->head > 0 && s->head * 2 >= s->len) {
    memmove(s->rows, s->rows + s->head, (s->len - s->head) * sizeof(*r));
    s->len -= s->head;
    s->head = 0;
  }
  if(s->len == s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 256;
    struct row *n = pw_realloc(s->rows, ncap * sizeof(*n));
    if(!n)
      return PW_ENOMEM;
    s->rows = n;
    s->cap = ncap;
  }
  s->rows[s->len++] = *r;
  s->st.queued++;
  /* Bounded: during a long outage the oldest rows go first. */
  while(s->len - s->head > s->max_rows) {
    free_row(&s->rows[s->head++]);
    s->st.dropped++;
  }
  return 0;
}

int ctl_store_observation(struct ctl_store *s, const char *target,
                          int64_t ts_ms, double load) {
  struct row r = {0, pw_strdup(target), ts_ms, load, 0, NULL, 0, 0};
  if(!r.target || push(s, &r)) {
    free_row(&r);
    return PW_ENOMEM;
  }
  return 0;
}

int ctl_store_decision(struct ctl_store *s, const char *target,
                       int64_t ts_ms, double load, long desired,
                       const char *reasons, double fc_mean,
                       double fc_upper) {
  struct row r = {1, pw_strdup(target), ts_ms, load, desired,
                  pw_strdup(reasons), fc_mean, fc_upper};
  if(!r.target || !r.reasons || push(s, &r)) {
    free_row(&r);
    return PW_ENOMEM;
  }
  return 0;
}

static int exec(struct ctl_store *s, const char *sql, const char *what) {
  PGresult *r = PQexec(s->db.conn, sql);
  int rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
           PQresultStatus(r) == PGRES_TUPLES_OK
             ? 0 : pw_pg_fail(&s->db, what, r);
  PQclear(r);
  return rc;
}

static int read_version(struct ctl_store *s, int *version) {
  PGresult *r = PQexec(s->db.conn,
                       "SELECT coalesce(max(version), 0) FROM prewarm_schema");
  int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
             ? 0 : pw_pg_fail(&s->db, "schema", r);
  if(rc == 0)
    *version = atoi(PQgetvalue(r, 0, 0));
  PQclear(r);
  return rc;
}

/* Creates or upgrades the tables, once per process, under a lock. */
static int migrate(struct ctl_store *s) {
  int version = 0;
  if(s->st.schema_version == SCHEMA_VERSION)
    return 0;
  int rc = exec(s, "BEGIN", "migrate");
  if(rc == 0)
    rc = exec(s, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", "migrate");
  if(rc == 0)
    rc = exec(s, "CREATE TABLE IF NOT EXISTS prewarm_schema "
              "(version integer NOT NULL)", "migrate");
  if(rc == 0)
    rc = read_version(s, &version);
  if(rc == 0 && version > SCHEMA_VERSION) {
    snprintf(s->db.why, sizeof(s->db.why), "postgresql: the schema is at "
             "version %d, newer than this prewarm knows (%d); upgrade "
             "prewarm", version, SCHEMA_VERSION);
    rc = PW_EREMOTE;
  }
  for(size_t i = 0; rc == 0 && version < 1 &&
                    i < sizeof(migration_v1) / sizeof(*migration_v1); i++)
    rc = exec(s, migration_v1[i], "migrate to version 1");
  if(rc == 0)
    rc = exec(s, "COMMIT", "migrate");
  if(rc) {
    if(s->db.conn) {
      PGresult *r = PQexec(s->db.conn, "ROLLBACK");
      PQclear(r);
    }
    return rc;
  }
  if(version < SCHEMA_VERSION)
    pw_log(PW_LOG_INFO, "store: schema migrated from version %d to %d",
           version, SCHEMA_VERSION);
  s->st.schema_version = SCHEMA_VERSION;
  return 0;
}

static int ready(struct ctl_store *s) {
  int rc = pw_pg_connect(&s->db);
  if(rc == 0)
    rc = migrate(s);
  if(rc) {
    snprintf(s->why, sizeof(s->why), "%s", s->db.why);
  }
  return rc;
}

/* Text for one float8 parameter, NULL for NaN (a missing value). */
static const char *num(char *buf, size_t len, double v) {
  if(isnan(v))
    return NULL;
  snprintf(buf, len, "%.17g", v);
  return buf;
}

/* Inserts rows [a, b) of one kind with one statement. */
static int insert(struct ctl_store *s, size_t a, size_t b, int decision) {
  enum { NP = 7 };
  size_t np = decision ? NP : 3, n = 0;
  const char **vals = pw_calloc((b - a) * np, sizeof(char *));
  char (*bufs)[32] = pw_calloc((b - a) * np, sizeof(*bufs));
  struct pw_buf sql;
  int rc = vals && bufs ? 0 : PW_ENOMEM;
  pw_buf_init(&sql, 1u << 20);
  if(rc == 0)
    rc = pw_buf_printf(&sql, decision
      ? "INSERT INTO prewarm_decisions (target, ts, load, desired, reasons,"
        " forecast_mean, forecast_upper) VALUES "
      : "INSERT INTO prewarm_observations (target, ts, load) VALUES ");
  for(size_t i = a; rc == 0 && i < b; i++) {
    const struct row *r = &s->rows[i];
    if(r->decision != decision)
      continue;
    size_t k = n * np;
    vals[k] = r->target;
    snprintf(bufs[k + 1], 32, "%.3f", (double)r->ts_ms / 1000.0);
    vals[k + 1] = bufs[k + 1];
    vals[k + 2] = num(bufs[k + 2], 32, r->load);
    if(decision) {
      snprintf(bufs[k + 3], 32, "%ld", r->desired);
      vals[k + 3] = bufs[k + 3];
      vals[k + 4] = r->reasons;
      vals[k + 5] = num(bufs[k + 5], 32, r->mean);
      vals[k + 6] = num(bufs[k + 6], 32, r->upper);
      rc = pw_buf_printf(&sql, "%s($%zu, to_timestamp($%zu), $%zu, $%zu, "
                         "$%zu, $%zu, $%zu)", n ? ", " : "", k + 1, k + 2,
                         k + 3, k + 4, k + 5, k + 6, k + 7);
    } else {
      rc = pw_buf_printf(&sql, "%s($%zu, to_timestamp($%zu), $%zu)",
                         n ? ", " : "", k + 1, k + 2, k + 3);
    }
    n++;
  }
  if(rc == 0 && n > 0) {
    rc = pw_buf_printf(&sql, " ON CONFLICT (target, ts) DO NOTHING");
    if(rc == 0) {
      PGresult *r = PQexecParams(s->db.conn, sql.p, (int)(n * np), NULL,
                                 vals, NULL, NULL, 0);
      rc = PQresultStatus(r) == PGRES_COMMAND_OK
             ? 0 : pw_pg_fail(&s->db, "insert", r);
      PQclear(r);
    }
  }
  pw_buf_cleanup(&sql);
  pw_free(vals);
  pw_free(bufs);
  return rc;
}

int ctl_store_flush(struct ctl_store *s) {
  if(s->len == s->head)
    return 0;
  int rc = ready(s), in_tx = 0;
  size_t end = s->len;
  if(rc == 0)
    in_tx = (rc = exec(s, "BEGIN", "flush")) == 0;
  for(size_t a = s->head; rc == 0 && a < end; a += BATCH) {
    size_t b = a + BATCH < end ? a + BATCH : end;
    rc = insert(s, a, b, 0);
    if(rc == 0)
      rc = insert(s, a, b, 1);
  }
  if(rc == 0)
    rc = exec(s, "COMMIT", "flush");
  if(rc) {
    if(in_tx && s->db.conn) {
      PGresult *r = PQexec(s->db.conn, "ROLLBACK");
      PQclear(r);
    }
    snprintf(s->why, sizeof(s->why), "%s", s->db.why);
    s->st.flush_failures++;
    s->st.failed += (long)(end - s->head);
    return rc;
  }
  for(size_t i = s->head; i < end; i++)
    free_row(&s->rows[i]);
  s->st.written += (long)(end - s->head);
  s->head = end;
  return 0;
}

int ctl_store_history(struct ctl_store *s, const char *target,
                      int64_t from_ms, int64_t to_ms,
                      struct tel_samples *out) {
  char a[32], b[32];
  int rc = ready(s);
  if(rc)
    return rc;
  snprintf(a, sizeof(a), "%.3f", (double)from_ms / 1000.0);
  snprintf(b, sizeof(b), "%.3f", (double)to_ms / 1000.0);
  const char *params[] = {target, a, b};
  PGresult *r = PQexecParams(
    s->db.conn, "SELECT (extract(epoch FROM ts) * 1000)::bigint, load "
    "FROM prewarm_observations WHERE target = $1 AND ts >= to_timestamp($2)"
    " AND ts < to_timestamp($3) ORDER BY ts", 3, NULL, params, NULL, NULL, 0);
  if(PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = pw_pg_fail(&s->db, "history", r);
    snprintf(s->why, sizeof(s->why), "%s", s->db.why);
  }
  for(int i = 0; rc == 0 && i < PQntuples(r); i++) {
    double v = PQgetisnull(r, i, 1) ? (double)NAN
                                     : strtod(PQgetvalue(r, i, 1), NULL);
    rc = tel_samples_push(out, strtoll(PQgetvalue(r, i, 0), NULL, 10), v);
  }
  PQclear(r);
  return rc;
}

void ctl_store_stats(const struct ctl_store *s, struct ctl_store_stats *out) {
  *out = s->st;
}

const char *ctl_store_why(const struct ctl_store *s) {
  return s->why;
}
