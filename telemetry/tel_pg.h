/*
 * PostgreSQL as a source: a user-supplied parameterised query returning
 * (time, value) rows for a time range, for users who keep request counts
 * in SQL or TimescaleDB.
 *
 * The query gets the range as two bound parameters, never interpolated:
 * $1 = from and $2 = to, Unix seconds (inclusive, exclusive), e.g.
 *
 *   SELECT extract(epoch FROM minute), requests FROM traffic
 *   WHERE minute >= to_timestamp($1) AND minute < to_timestamp($2)
 *   ORDER BY 1
 *
 * Rows must be (seconds, number).  A NULL or NaN value is a missing step;
 * infinities, negative values, times off the step grid or outside the
 * range, duplicates and rows out of order are refused and counted.  With
 * `counter` the values are a cumulative counter, turned into rates per
 * second (resets handled).
 *
 * The connection string comes from the configuration or, when empty, the
 * standard PG* environment variables.  Every query runs under a
 * statement_timeout; a lost connection is re-made with backoff (1 s,
 * doubling to 60 s), and until then a fetch fails saying when it will try.
 */
#ifndef TEL_PG_H
#define TEL_PG_H

#include <stddef.h>

#include "tel_source.h"

struct tel_pg_cfg {
  const char *conninfo;  /* libpq connection string or URI; NULL: PG* */
  const char *query;
  int64_t step_ms;
  int counter;
  long timeout_ms;       /* connect and statement timeout; 0: 5 s */
};

/* Makes the source; it connects on the first fetch.  0, PW_EINVAL with
 * err, or PW_ENOMEM.  Free with tel_source_free(). */
int tel_pg_new(const struct tel_pg_cfg *cfg, struct tel_source **out,
               char *err, size_t errlen) PW_WUR;

#endif
