#include "ctl_feed.h"

#include <math.h>
#include <string.h>

static int64_t align_down(int64_t t, int64_t step) {
  return t >= 0 ? t / step * step : (t - step + 1) / step * step;
}

/* Moves newest_ms to the newest finite sample: a NaN is a missing step,
 * and trailing NaNs must leave the data stale, not fresh. */
static void newest(struct ctl_feed *f, const int64_t *ts, const double *v,
                   size_t n) {
  for(size_t i = 0; i < n; i++)
    if(isfinite(v[i]) && ts[i] > f->newest_ms)
      f->newest_ms = ts[i];
}

void ctl_feed_init(struct ctl_feed *f, struct tel_source *src,
                   int64_t step_ms, int64_t lag_ms, int64_t history_ms,
                   int64_t now_ms) {
  memset(f, 0, sizeof(*f));
  f->src = src;
  f->step_ms = step_ms;
  f->lag_ms = lag_ms;
  f->next_ms = align_down(now_ms - history_ms, step_ms);
  f->newest_ms = -1;
}

void ctl_feed_cleanup(struct ctl_feed *f) {
  tel_samples_cleanup(&f->buf);
}

int ctl_feed_tick(struct ctl_feed *f, int64_t now_ms, struct ctl_target *t) {
  int64_t to = align_down(now_ms - f->lag_ms, f->step_ms);
  /* f->buf holds what this tick read, and nothing else: callers record it
   * (the store), so a tick that reads nothing, or fails part-way through
   * a chunked read, must not leave the last tick's samples there. */
  f->buf.n = 0;
  if(to <= f->next_ms)
    return 0;
  f->fetches++;
  int rc = tel_fetch(f->src, f->next_ms, to, &f->buf);
  if(rc) {
    f->buf.n = 0;
    f->failures++;
    return rc;
  }
  f->answered = 1;
  if(f->buf.n) {
    ctl_target_observe(t, f->buf.ts_ms, f->buf.v, f->buf.n);
    newest(f, f->buf.ts_ms, f->buf.v, f->buf.n);
    f->samples += (long)f->buf.n;
  }
  f->next_ms = to;
  return 0;
}

void ctl_feed_resumed(struct ctl_feed *f, const struct tel_samples *s) {
  if(s->n == 0)
    return;
  int64_t next = align_down(s->ts_ms[s->n - 1], f->step_ms) + f->step_ms;
  if(next > f->next_ms)
    f->next_ms = next;
  newest(f, s->ts_ms, s->v, s->n);
}

int ctl_feed_stale(const struct ctl_feed *f, int64_t now_ms, int steps) {
  return f->newest_ms < 0 ||
         now_ms - f->lag_ms - f->newest_ms > (int64_t)steps * f->step_ms;
}
