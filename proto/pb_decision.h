/*
 * The decision log's records (proto/prewarm.proto): a varint length and
 * a packed prewarm.Decision, appended to a file and read back.
 */
#ifndef PB_DECISION_H
#define PB_DECISION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/pw_buf.h"
#include "../common/pw_err.h"

struct pb_decision {
  const char *target;
  int64_t time_ms;
  double load;
  int64_t desired;
  const char *reasons;      /* comma-separated, as decisions print them */
  double forecast_mean, forecast_upper;
  int64_t requested, ready;
  const char *actuator;
  int leader;
};

/* Appends one record to out.  0, PW_ENOMEM or PW_ETOOBIG. */
int pb_decision_encode(const struct pb_decision *d, struct pw_buf *out)
  PW_WUR;

/*
 * Reads the next record from fp and appends it to json as one JSON line.
 * Returns 0, 1 at a clean end of file, or PW_EPARSE (a truncated or
 * malformed record; err says at which byte) / PW_ENOMEM.
 */
int pb_decision_read_json(FILE *fp, struct pw_buf *json, char *err,
                          size_t errlen) PW_WUR;

#endif
