#include "tel_csv.h"

#include <string.h>

#include "../common/pw_alloc.h"

struct csv_source {
  struct tel_source base;
  double *v;
  size_t n;
  int64_t start_ms, step_ms;
};

static int csv_fetch(struct tel_source *src, int64_t from_ms, int64_t to_ms,
                     struct tel_samples *out) {
  struct csv_source *c = (struct csv_source *)src;
  if(to_ms <= c->start_ms || from_ms >= to_ms)
    return 0;
  int64_t lo = from_ms <= c->start_ms
                 ? 0 : (from_ms - c->start_ms + c->step_ms - 1) / c->step_ms;
  for(int64_t i = lo; (size_t)i < c->n; i++) {
    int64_t ts = c->start_ms + i * c->step_ms;
    if(ts >= to_ms)
      break;
    int rc = tel_samples_push(out, ts, c->v[i]);
    if(rc)
      return rc;
  }
  return 0;
}

static void csv_free(struct tel_source *src) {
  struct csv_source *c = (struct csv_source *)src;
  pw_free(c->v);
  pw_free(c);
}

static const struct tel_source_ops csv_ops = {"csv", csv_fetch, csv_free};

int tel_csv_new(const double *values, size_t n, int64_t start_ms,
                int64_t step_ms, struct tel_source **out) {
  struct csv_source *c;
  *out = NULL;
  if(step_ms <= 0)
    return PW_EINVAL;
  c = pw_calloc(1, sizeof(*c));
  if(!c)
    return PW_ENOMEM;
  c->v = pw_malloc((n ? n : 1) * sizeof(double));
  if(!c->v) {
    pw_free(c);
    return PW_ENOMEM;
  }
  memcpy(c->v, values, n * sizeof(double));
  c->base.ops = &csv_ops;
  c->n = n;
  c->start_ms = start_ms;
  c->step_ms = step_ms;
  *out = &c->base;
  return 0;
}

int64_t tel_csv_end_ms(const struct tel_source *src) {
  if(src->ops != &csv_ops)
    return -1;
  const struct csv_source *c = (const struct csv_source *)src;
  return c->start_ms + (int64_t)c->n * c->step_ms;
}
