/*
 * A fixed-step series: the most recent `cap` steps of a signal in a ring,
 * NAN where a step had no value.  Samples arrive with timestamps and are
 * put on the step grid here: a step with no sample is missing (never zero),
 * a sample for a step already passed is dropped and counted, so nothing is
 * counted twice.
 */
#ifndef FC_SERIES_H
#define FC_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"

struct fc_series {
  double *v;          /* the ring, cap values */
  size_t cap, n;      /* capacity and values held (n <= cap) */
  size_t head;        /* index of the next write */
  size_t total;       /* steps ever appended */
  int64_t step_ms;
  int64_t next_ms;    /* start of the next step expected */
  size_t dropped;     /* samples for steps already passed */
};

/* Caller-owned storage: initialises s for cap steps of step_ms, the first
 * starting at start_ms.  Returns 0, PW_EINVAL or PW_ENOMEM. */
int fc_series_init(struct fc_series *s, size_t cap, int64_t step_ms,
                   int64_t start_ms) PW_WUR;
void fc_series_cleanup(struct fc_series *s);

/* Appends one step's value (NAN when missing). */
void fc_series_append(struct fc_series *s, double y);

/*
 * Places a sample stamped ts_ms (inside the step [t, t + step)): steps
 * before it with no sample are appended as missing, then the value.
 * Returns the number of steps appended (0 when the sample's step has
 * passed, which is counted in s->dropped).
 */
size_t fc_series_put(struct fc_series *s, int64_t ts_ms, double y);

/* The i-th most recent value (0 = newest); NAN if i >= n. */
double fc_series_back(const struct fc_series *s, size_t i);

/* Copies the last k <= n values, oldest first, into out. */
void fc_series_copy_last(const struct fc_series *s, size_t k, double *out);

#endif
