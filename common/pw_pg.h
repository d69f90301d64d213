/*
 * One PostgreSQL connection with the habits prewarm needs everywhere:
 * a statement_timeout and connect_timeout on every connection, the
 * application name, and re-connection with backoff (1 s, doubling to
 * 60 s) after a failure, so a database outage costs one attempt per
 * backoff and never a busy loop.  Used by the PostgreSQL source and the
 * store; one thread at a time.
 */
#ifndef PW_PG_H
#define PW_PG_H

#include <stddef.h>

#include <libpq-fe.h>

#include "pw_err.h"

struct pw_pg {
  PGconn *conn;            /* NULL when not connected */
  char *conninfo;          /* libpq string or URI; "" means PG* vars */
  long timeout_ms;
  double next_try_ms;      /* monotonic; no attempt before it */
  double backoff_ms;
  char why[512];           /* the last failure, libpq's words, scrubbed
                            * of secrets (pw_scrub_secret) */
  char reason[384];        /* the last failed connection attempt's why,
                            * repeated while backing off */
};

/* Caller-owned storage; copies conninfo.  0 or PW_ENOMEM. */
int pw_pg_init(struct pw_pg *p, const char *conninfo, long timeout_ms)
  PW_WUR;
void pw_pg_cleanup(struct pw_pg *p);

/*
 * Checks a connection string's syntax without connecting: "" (PG*
 * variables), a plain database name, "key=value ..." or a postgres[ql]://
 * URI.  0, or PW_EINVAL with libpq's reason in err, scrubbed (libpq
 * quotes the part it could not parse, which may be a password).
 */
int pw_pg_check(const char *conninfo, char *err, size_t errlen) PW_WUR;

/* Makes sure there is a live connection: 0, or PW_EIO with p->why (a
 * failed attempt, or, while backing off, "unavailable (the last
 * attempt's reason); next connection attempt in N s"). */
int pw_pg_connect(struct pw_pg *p) PW_WUR;

/* Records a failed result in p->why ("WHAT: message") and drops the
 * connection when it is gone.  Returns PW_EIO when the connection was
 * lost, PW_EREMOTE otherwise. */
int pw_pg_fail(struct pw_pg *p, const char *what, const PGresult *r);

#endif
