/*
 * CloudWatch as a source: GetMetricData for a Lambda function or alias
 * (CONTRACTS.md 3), signed as the Lambda actuator signs (service
 * "monitoring") with the same credential chain (common/pw_aws).
 *
 * The AWS JSON 1.0 protocol is used (X-Amz-Target
 * GraniteServiceVersion20100801.GetMetricData, x-amzn-query-mode), pages
 * are followed with NextToken, and the newest minutes, which Lambda may
 * still be filling in, are not taken as final: a fetch stops settle_ms
 * before now.  A minute with no datapoint is a missing step, never a zero
 * (Lambda publishes nothing in a minute without invocations; a user who
 * wants zeros there says so with fill_zero).
 */
#ifndef TEL_CW_H
#define TEL_CW_H

#include <stddef.h>

#include "../common/pw_aws.h"
#include "tel_source.h"

/* A CloudWatch minute is final this long after it ends (Lambda fills
 * minutes in late). */
#define TEL_CW_SETTLE_MS 180000

struct tel_cw_cfg {
  const char *function;   /* FunctionName */
  const char *qualifier;  /* alias or version: adds Resource "fn:q"; NULL */
  const char *metric;     /* e.g. ConcurrentExecutions, Invocations */
  const char *stat;       /* Maximum, Sum, Average...; NULL: Maximum for
                           * ConcurrentExecutions, else Sum */
  int64_t step_ms;        /* the period: a multiple of 60 s */
  int64_t settle_ms;      /* how long the newest data may still change;
                           * 0: 3 minutes */
  int fill_zero;          /* a minute without a datapoint is 0 */
  long timeout_ms;        /* per request; 0: 10 s */
};

/* Makes the source; aws is borrowed and must outlive it.  0, PW_EINVAL
 * with err, or PW_ENOMEM.  Free with tel_source_free(). */
int tel_cw_new(const struct tel_cw_cfg *cfg, struct pw_aws *aws,
               struct tel_source **out, char *err, size_t errlen) PW_WUR;

/*
 * Parses one GetMetricData reply page (JSON 1.0): the first
 * MetricDataResults entry's Timestamps (Unix seconds) and Values, pairwise.
 * Appends the datapoints on the step grid in [first, end) that are newer
 * than *prev to out, and moves *prev to the newest taken; with fill_zero,
 * the absent grid steps before each taken one are appended as 0.  A value
 * that is not finite or is negative, a time off the grid, outside the
 * range or not after *prev is refused and counted in *rejected.  *next
 * gets a copy of NextToken (free it with pw_free), or NULL.
 * Returns 0; PW_EPARSE (not the documented shape, a datapoint that is
 * not a pair of numbers) or PW_ENOMEM, with err saying why; on error
 * *next is NULL and out may hold part of the page (the caller resets
 * it).  No state, no I/O: exposed for tests and the fuzzer.
 */
int tel_cw_parse(const char *body, size_t len, int64_t first, int64_t end,
                 int64_t step_ms, int fill_zero, int64_t *prev,
                 struct tel_samples *out, long *rejected, char **next,
                 char *err, size_t errlen) PW_WUR;

#endif
