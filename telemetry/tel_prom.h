/*
 * Prometheus as a source (CONTRACTS.md 5.1): one PromQL expression per
 * target, read with /api/v1/query_range at the target's step.
 *
 * A fetch of [from, to) asks for the step-aligned evaluation times inside
 * it, in chunks of at most 10,000 points (the server refuses more than
 * 11,000 per series), with a POST form so that long expressions fit.
 * Values arrive as strings and are parsed in the C locale; "NaN" is a
 * missing step, "+Inf"/"-Inf" and negative loads are refused and counted,
 * as are duplicated, out-of-order and off-grid timestamps.  The expression
 * must give one series (wrap it in sum(...)).  None (a typo in a metric
 * name, a series gone) is a failed fetch, PW_ENOTFOUND "query matched no
 * series: QUERY", so that the target goes stale and holds its capacity:
 * no data is never zero load.  Errors name the HTTP status, Prometheus's
 * errorType and error, and the query.
 *
 * bearer_token_file and basic_password_file are read with
 * pw_buf_read_secret(), which warns once when the file is readable by
 * group or others.
 */
#ifndef TEL_PROM_H
#define TEL_PROM_H

#include <stddef.h>

#include "tel_source.h"

struct tel_prom_cfg {
  const char *url;                /* e.g. http://prometheus:9090 */
  const char *query;              /* PromQL */
  int64_t step_ms;                /* >= 1000 */
  const char *bearer_token_file;  /* re-read for every fetch, or NULL */
  const char *basic_user;         /* with basic_password_file, or NULL */
  const char *basic_password_file;
  const char *ca_file;            /* for https, or NULL for the system's */
  long timeout_ms;                /* per request; 0: 10 s */
};

/* Makes the source (strings are copied).  0, PW_EINVAL with err, or
 * PW_ENOMEM.  Free with tel_source_free(). */
int tel_prom_new(const struct tel_prom_cfg *cfg, struct tel_source **out,
                 char *err, size_t errlen) PW_WUR;

/*
 * Parses a query_range reply: appends the samples on the step grid within
 * [first_ms, last_ms] to out, counting refused ones in *rejected.
 * Returns 0; PW_ENOTFOUND when the result holds no series; PW_EPARSE /
 * PW_EREMOTE (status "error") / PW_EINVAL (several series) with err
 * saying why; or PW_ENOMEM.  Exposed for tests and the fuzzer.
 */
int tel_prom_parse(const char *body, size_t len, int64_t first_ms,
                   int64_t last_ms, int64_t step_ms, struct tel_samples *out,
                   long *rejected, char *err, size_t errlen) PW_WUR;

#endif
