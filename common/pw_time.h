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

#endif
