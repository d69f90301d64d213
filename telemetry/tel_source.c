#include "tel_source.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_scrub.h"

int tel_samples_push(struct tel_samples *s, int64_t ts_ms, double v) {
  if(s->n == s->cap) {
    if(s->cap >= TEL_SAMPLES_MAX)
      return PW_ETOOBIG;
    size_t ncap = s->cap ? s->cap * 2 : 64;
    int64_t *t = pw_realloc(s->ts_ms, ncap * sizeof(*t));
    if(!t)
      return PW_ENOMEM;
    s->ts_ms = t;
    double *nv = pw_realloc(s->v, ncap * sizeof(*nv));
    if(!nv)
      return PW_ENOMEM;
    s->v = nv;
    s->cap = ncap;
  }
  s->ts_ms[s->n] = ts_ms;
  s->v[s->n++] = v;
  return 0;
}

void tel_samples_cleanup(struct tel_samples *s) {
  pw_free(s->ts_ms);
  pw_free(s->v);
  memset(s, 0, sizeof(*s));
}

void tel_why(struct tel_source *src, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(src->why, sizeof(src->why), fmt, ap);
  va_end(ap);
  /* Whatever a source quotes (libcurl's URL, libpq's echo of its
   * connection string) leaves here without a secret. */
  pw_scrub_secret(src->why, sizeof(src->why), NULL);
}

size_t tel_counter_apply(struct tel_counter *c, struct tel_samples *s,
                         size_t from) {
  size_t w = from;
  for(size_t i = from; i < s->n; i++) {
    double v = s->v[i];
    int64_t ts = s->ts_ms[i];
    if(isnan(v)) {
      s->ts_ms[w] = ts;
      s->v[w++] = v;
      continue;
    }
    if(c->have && ts > c->last_ts_ms) {
      double inc = v >= c->last ? v - c->last : v;
      if(v < c->last)
        c->resets++;
      /* Seconds first: inc * 1000 overflows where the rate does not. */
      double rate = inc / ((double)(ts - c->last_ts_ms) / 1000.0);
      if(isfinite(rate) && rate >= 0) {
        s->ts_ms[w] = ts;
        s->v[w++] = rate;
      } else {
        c->rejected++;  /* a jump of 1e308, an infinite counter */
      }
    }
    if(!c->have || ts > c->last_ts_ms) {
      c->have = 1;
      c->last = v;
      c->last_ts_ms = ts;
    }
  }
  s->n = w;
  return w;
}
