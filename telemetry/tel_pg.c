#include "tel_pg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../common/pw_alloc.h"
#include "../common/pw_pg.h"

struct pg {
  struct tel_source base;
  char *query;
  int64_t step_ms;
  int counter;
  struct tel_counter ctr;
  struct pw_pg db;
};

/* One row; 1 taken, 0 refused, <0 an error. */
static int take_row(struct pg *p, PGresult *r, int i, int64_t from,
                    int64_t to, int64_t *prev, struct tel_samples *out) {
  char *end;
  if(PQgetisnull(r, i, 0))
    return 0;
  const char *ts_s = PQgetvalue(r, i, 0);
  double sec = strtod(ts_s, &end);
  if(end == ts_s || *end || !isfinite(sec))
    return PW_EPARSE;
  int64_t ts = llround(sec * 1000.0);
  double v = (double)NAN;
  if(!PQgetisnull(r, i, 1)) {
    const char *vs = PQgetvalue(r, i, 1);
    v = strtod(vs, &end);
    if(end == vs || *end)
      return PW_EPARSE;
  }
  /* A counter's values may be huge or negative; its rates are checked
   * after conversion (tel_counter_apply). */
  if(ts < from || ts >= to || ts % p->step_ms || ts <= *prev || isinf(v) ||
     (!p->counter && v < 0))
    return 0;
  *prev = ts;
  int rc = tel_samples_push(out, ts, v);
  return rc ? rc : 1;
}

static int read_rows(struct pg *p, PGresult *r, int64_t from, int64_t to,
                     struct tel_samples *out) {
  int64_t prev = INT64_MIN;
  if(PQnfields(r) != 2) {
    tel_why(&p->base, "postgresql: the query returns %d columns, not "
            "(time in Unix seconds, value)", PQnfields(r));
    return PW_EINVAL;
  }
  for(int i = 0; i < PQntuples(r); i++) {
    int t = take_row(p, r, i, from, to, &prev, out);
    if(t < 0) {
      if(t == PW_EPARSE)
        tel_why(&p->base, "postgresql: row %d is not (seconds, number): "
                "(%s, %s)", i + 1, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
      return t;
    }
    p->base.rejected += t == 0;
  }
  return 0;
}

static int pg_fetch(struct tel_source *src, int64_t from_ms, int64_t to_ms,
                    struct tel_samples *out) {
  struct pg *p = (struct pg *)src;
  char a[32], b[32];
  size_t first = out->n;
  if(to_ms <= from_ms)
    return 0;
  int rc = pw_pg_connect(&p->db);
  if(rc) {
    tel_why(src, "%s", p->db.why);
    src->errors++;
    return rc;
  }
  snprintf(a, sizeof(a), "%.3f", (double)from_ms / 1000.0);
  snprintf(b, sizeof(b), "%.3f", (double)to_ms / 1000.0);
  const char *params[] = {a, b};
  PGresult *r = PQexecParams(p->db.conn, p->query, 2, NULL, params, NULL,
                             NULL, 0);
  if(PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = pw_pg_fail(&p->db, "query", r);
    tel_why(src, "%s", p->db.why);
  } else {
    rc = read_rows(p, r, from_ms, to_ms, out);
  }
  PQclear(r);
  if(rc) {
    out->n = first;
    src->errors++;
    return rc;
  }
  if(p->counter) {
    long r0 = p->ctr.rejected;
    tel_counter_apply(&p->ctr, out, first);
    src->rejected += p->ctr.rejected - r0;
  }
  return 0;
}

static void pg_free(struct tel_source *src) {
  struct pg *p = (struct pg *)src;
  pw_pg_cleanup(&p->db);
  pw_free(p->query);
  pw_free(p);
}

static const struct tel_source_ops pg_ops = {"postgresql", pg_fetch,
                                             pg_free};

int tel_pg_new(const struct tel_pg_cfg *c, struct tel_source **out,
               char *err, size_t errlen) {
  *out = NULL;
  if(!c->query || !strstr(c->query, "$1") || !strstr(c->query, "$2")) {
    snprintf(err, errlen, "query: must use $1 (from) and $2 (to), in Unix "
             "seconds");
    return PW_EINVAL;
  }
  if(c->step_ms < 1000 || c->step_ms % 1000) {
    snprintf(err, errlen, "step: whole seconds, at least 1");
    return PW_EINVAL;
  }
  char why[400];
  if(pw_pg_check(c->conninfo, why, sizeof(why))) {
    snprintf(err, errlen, "conninfo: malformed: %s", why);
    return PW_EINVAL;
  }
  struct pg *p = pw_calloc(1, sizeof(*p));
  if(!p)
    return PW_ENOMEM;
  p->base.ops = &pg_ops;
  p->query = pw_strdup(c->query);
  if(pw_pg_init(&p->db, c->conninfo, c->timeout_ms) || !p->query) {
    pg_free(&p->base);
    return PW_ENOMEM;
  }
  p->step_ms = c->step_ms;
  p->counter = c->counter;
  *out = &p->base;
  return 0;
}
