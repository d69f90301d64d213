#include "fc_series.h"

#include <math.h>
#include <string.h>

#include "../common/pw_alloc.h"

int fc_series_init(struct fc_series *s, size_t cap, int64_t step_ms,
                   int64_t start_ms) {
  memset(s, 0, sizeof(*s));
  if(cap == 0 || step_ms <= 0)
    return PW_EINVAL;
  s->v = pw_malloc(cap * sizeof(double));
  if(!s->v)
    return PW_ENOMEM;
  s->cap = cap;
  s->step_ms = step_ms;
  s->next_ms = start_ms;
  return 0;
}

void fc_series_cleanup(struct fc_series *s) {
  pw_free(s->v);
  memset(s, 0, sizeof(*s));
}

void fc_series_append(struct fc_series *s, double y) {
  s->v[s->head] = y;
  s->head = s->head + 1 == s->cap ? 0 : s->head + 1;
  if(s->n < s->cap)
    s->n++;
  s->total++;
  s->next_ms += s->step_ms;
}

size_t fc_series_put(struct fc_series *s, int64_t ts_ms, double y) {
  if(ts_ms < s->next_ms) {
    s->dropped++;
    return 0;
  }
  int64_t gap = (ts_ms - s->next_ms) / s->step_ms;
  size_t added = 0;
  for(int64_t i = 0; i < gap; i++, added++)
    fc_series_append(s, (double)NAN);
  fc_series_append(s, y);
  return added + 1;
}

double fc_series_back(const struct fc_series *s, size_t i) {
  if(i >= s->n)
    return (double)NAN;
  return s->v[(s->head + s->cap - 1 - i) % s->cap];
}

void fc_series_copy_last(const struct fc_series *s, size_t k, double *out) {
  size_t start = (s->head + s->cap - k) % s->cap;
  size_t first = s->cap - start < k ? s->cap - start : k;
  memcpy(out, s->v + start, first * sizeof(double));
  memcpy(out + first, s->v, (k - first) * sizeof(double));
}
