#include "pw_pg.h"

#include <stdio.h>
#include <string.h>

#include "pw_alloc.h"
#include "pw_clock.h"
#include "pw_scrub.h"

#define BACKOFF_MIN_MS 1000.0
#define BACKOFF_MAX_MS 60000.0

int pw_pg_init(struct pw_pg *p, const char *conninfo, long timeout_ms) {
  memset(p, 0, sizeof(*p));
  p->conninfo = pw_strdup(conninfo ? conninfo : "");
  p->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
  return p->conninfo ? 0 : PW_ENOMEM;
}

static void drop(struct pw_pg *p) {
  if(p->conn)
    PQfinish(p->conn);
  p->conn = NULL;
}

void pw_pg_cleanup(struct pw_pg *p) {
  drop(p);
  pw_free(p->conninfo);
  p->conninfo = NULL;
}

/* Scrubs msg; the conninfo itself counts as a secret when it is more
 * than a database name. */
static void scrub(char *msg, size_t size, const char *conninfo) {
  int structured = conninfo && (strchr(conninfo, '=') ||
                                strstr(conninfo, "://"));
  pw_scrub_secret(msg, size, structured ? conninfo : NULL);
}

int pw_pg_check(const char *conninfo, char *err, size_t errlen) {
  char *msg = NULL;
  if(!conninfo || !*conninfo || (!strchr(conninfo, '=') &&
                                 strncmp(conninfo, "postgres://", 11) != 0 &&
                                 strncmp(conninfo, "postgresql://", 13) != 0))
    return 0;  /* libpq takes it as a database name */
  PQconninfoOption *o = PQconninfoParse(conninfo, &msg);
  if(o) {
    PQconninfoFree(o);
    return 0;
  }
  snprintf(err, errlen, "%s", msg ? msg : "out of memory");
  PQfreemem(msg);
  err[strcspn(err, "\n")] = '\0';
  scrub(err, errlen, conninfo);
  return PW_EINVAL;
}

/* libpq's message without its trailing newline. */
static void set_why(struct pw_pg *p, const char *what, const char *msg) {
  size_t n = strlen(msg);
  while(n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    n--;
  snprintf(p->why, sizeof(p->why), "postgresql %s: %.*s", what, (int)n, msg);
  /* One line: libpq's messages span several, with tabs. */
  char *w = p->why;
  for(const char *r = p->why; *r; r++) {
    char c = *r == '\n' || *r == '\t' ? ' ' : *r;
    if(c != ' ' || (w > p->why && w[-1] != ' '))
      *w++ = c;
  }
  *w = '\0';
  scrub(p->why, sizeof(p->why), p->conninfo);
}

static void quiet(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

int pw_pg_connect(struct pw_pg *p) {
  double now = pw_clock_mono_ms();
  if(p->conn && PQstatus(p->conn) == CONNECTION_OK)
    return 0;
  drop(p);
  if(now < p->next_try_ms) {
    /* The reason stays in view: a caller that reports only the last
     * failure (run --once, the store at exit) must still say why. */
    snprintf(p->why, sizeof(p->why), "postgresql: unavailable (%s); next "
             "connection attempt in %.0f s", p->reason,
             (p->next_try_ms - now) / 1000.0);
    return PW_EIO;
  }
  char ct[32], opts[64];
  snprintf(ct, sizeof(ct), "%ld", (p->timeout_ms + 999) / 1000);
  snprintf(opts, sizeof(opts), "-c statement_timeout=%ld", p->timeout_ms);
  /* Later keywords override what the expanded connection string says. */
  const char *keys[] = {"dbname", "connect_timeout", "options",
                        "application_name", NULL};
  const char *vals[] = {p->conninfo, ct, opts, "prewarm", NULL};
  p->conn = PQconnectdbParams(keys, vals, 1);
  if(!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
    set_why(p, "connect", p->conn ? PQerrorMessage(p->conn)
                                   : "out of memory");
    snprintf(p->reason, sizeof(p->reason), "%.*s",
             (int)sizeof(p->reason) - 1, p->why);
    drop(p);
    p->backoff_ms = p->backoff_ms > 0 ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
    if(p->backoff_ms > BACKOFF_MAX_MS)
      p->backoff_ms = BACKOFF_MAX_MS;
    p->next_try_ms = now + p->backoff_ms;
    return PW_EIO;
  }
  /* Server notices ("relation already exists, skipping") are not ours
   * to print on stderr. */
  PQsetNoticeProcessor(p->conn, quiet, NULL);
  p->backoff_ms = 0;
  return 0;
}

int pw_pg_fail(struct pw_pg *p, const char *what, const PGresult *r) {
  set_why(p, what, r ? PQresultErrorMessage(r)
                     : p->conn ? PQerrorMessage(p->conn) : "no connection");
  if(!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
    drop(p);  /* gone: reconnect next time */
    return PW_EIO;
  }
  return PW_EREMOTE;
}
