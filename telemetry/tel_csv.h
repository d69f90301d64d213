/*
 * A CSV history as a source: row i of the value column is the sample of
 * the step starting at start_ms + i * step_ms.  Used by `prewarm plan` to
 * replay a trace, and by the daemon for demos.
 */
#ifndef TEL_CSV_H
#define TEL_CSV_H

#include "tel_source.h"

/*
 * Makes a source over values[0..n) (copied).  Returns 0, PW_EINVAL or
 * PW_ENOMEM; the caller frees it with tel_source_free().
 */
int tel_csv_new(const double *values, size_t n, int64_t start_ms,
                int64_t step_ms, struct tel_source **out) PW_WUR;

/* The end of a csv source's rows (the start of the step after its last
 * row), or -1 when src is not a csv source. */
int64_t tel_csv_end_ms(const struct tel_source *src);

#endif
