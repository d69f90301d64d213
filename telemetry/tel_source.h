/*
 * The source interface: a source fills the samples stamped in
 * [from_ms, to_ms) at its native step.  One file per backend behind it.
 */
#ifndef TEL_SOURCE_H
#define TEL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"

/* A growable sample buffer, reused across fetches (n is reset by the
 * caller; the arrays grow up to TEL_SAMPLES_MAX). */
#define TEL_SAMPLES_MAX (1u << 24)

struct tel_samples {
  int64_t *ts_ms;
  double *v;
  size_t n, cap;
};

/* Appends one sample; 0, PW_ENOMEM or PW_ETOOBIG. */
int tel_samples_push(struct tel_samples *s, int64_t ts_ms, double v) PW_WUR;
void tel_samples_cleanup(struct tel_samples *s);

struct tel_source;

struct tel_source_ops {
  const char *name;
  /* Appends the samples stamped in [from_ms, to_ms) to out, oldest
   * first.  0 or a negative PW_E* code. */
  int (*fetch)(struct tel_source *src, int64_t from_ms, int64_t to_ms,
               struct tel_samples *out);
  void (*free)(struct tel_source *src);
};

struct tel_source {
  const struct tel_source_ops *ops;
  /* Why the last fetch failed, or what it had to skip; never a secret:
   * set it with tel_why(), which scrubs. */
  char why[256];
  long errors;     /* fetches that failed */
  long rejected;   /* samples refused: non-finite, negative, duplicated,
                    * out of order or off the step grid */
};

/* Sets src->why (printf-style), cutting it to size, and scrubs it of
 * secrets (pw_scrub_secret: URL userinfo, tokens, passwords). */
void tel_why(struct tel_source *src, const char *fmt, ...) PW_PRINTF(2, 3);

/*
 * Counters to rates, where a source is asked to: the increase between
 * consecutive samples of a cumulative counter, per second.  A drop is a
 * counter reset (the process restarted): the increase is then the new
 * value itself, as Prometheus's rate() counts it.  The first sample only
 * primes the state.  NAN samples pass through and do not prime.  A rate
 * that is not finite or is negative (a counter that jumps by 1e308, or
 * an infinite or negative value) is dropped and counted in rejected,
 * which the source adds to its own count.
 */
struct tel_counter {
  int have;
  int64_t last_ts_ms;
  double last;
  long resets;
  long rejected;   /* rates refused: not finite, or negative */
};

/* Rewrites s->v[from..n) from counter values to rates per second and
 * drops the priming sample; returns how many samples remain in s. */
size_t tel_counter_apply(struct tel_counter *c, struct tel_samples *s,
                         size_t from);

static inline int tel_fetch(struct tel_source *src, int64_t from_ms,
                            int64_t to_ms, struct tel_samples *out) {
  src->why[0] = '\0';
  return src->ops->fetch(src, from_ms, to_ms, out);
}

/* Frees *sp and sets it to NULL; a no-op on NULL. */
static inline void tel_source_free(struct tel_source **sp) {
  if(*sp) {
    (*sp)->ops->free(*sp);
    *sp = (struct tel_source *)0;
  }
}

#endif
