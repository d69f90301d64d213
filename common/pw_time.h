/*
 * Timestamps as they appear in load histories, and the step they imply.
 */
#ifndef PW_TIME_H
#define PW_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "pw_err.h"

/*
 * Parses "YYYY-MM-DD HH:MM[:SS[.fff]]", the same with 'T' and an optional
 * 'Z' (UTC), or Unix seconds (a plain number above 1e8, fractions
 * allowed).  Returns 0 with *out_ms, or PW_EPARSE.
 */
int pw_time_parse(const char *s, int64_t *out_ms) PW_WUR;

/*
 * The step of a series from its timestamps: the most common difference of
 * consecutive parseable labels among the first 1000, when at least 90% of
 * them agree.  Returns 0 with *step_ms, or PW_ENOTFOUND.
 */
int pw_time_step(char *const *labels, size_t n, int64_t *step_ms) PW_WUR;

/* Where consecutive timestamps are not step_ms apart. */
struct pw_time_gaps {
  size_t count;          /* pairs of parseable labels not one step apart */
  size_t first;          /* the index of the later label of the first */
  int64_t first_ms;      /* the difference there (<= 0: out of order) */
};

/* Counts, over consecutive parseable labels, the differences that are not
 * step_ms (gaps, repeats, steps back).  Unparseable labels are skipped. */
void pw_time_gaps(char *const *labels, size_t n, int64_t step_ms,
                  struct pw_time_gaps *out);

#endif
