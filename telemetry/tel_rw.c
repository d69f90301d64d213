#include "tel_rw.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../proto/pb_remote.h"

#define NB 256             /* steps kept ahead of the last handed out */
#define MAX_SERIES 4096
#define TABLE 8192         /* open addressing, twice MAX_SERIES */

struct series {
  uint64_t key;            /* 0: an empty slot */
  int64_t bucket;          /* the step its pending value is for */
  double pending;
  int has_pending;
  struct tel_counter ctr;
};

struct sel {
  struct tel_source base;
  struct tel_rw *rw;
  char *metric;
  char **labels;           /* "name=value" */
  size_t nlabels;
  int counter;
  int64_t step_ms;
  int64_t next;            /* the first step not handed out yet */
  double sum[NB];
  unsigned char have[NB];
  struct series *table;
  size_t nseries;
  struct sel *link;        /* the rw's list of selectors */
};

struct tel_rw {
  pthread_mutex_t mu;      /* guards everything here and in each sel */
  size_t max_bytes;
  struct sel *sels;
  struct tel_rw_stats totals;
};

int tel_rw_new(size_t max_bytes, struct tel_rw **out) {
  struct tel_rw *rw = pw_calloc(1, sizeof(*rw));
  *out = NULL;
  if(!rw)
    return PW_ENOMEM;
  pthread_mutex_init(&rw->mu, NULL);
  rw->max_bytes = max_bytes;
  *out = rw;
  return 0;
}

void tel_rw_free(struct tel_rw **rp) {
  struct tel_rw *rw = *rp;
  if(!rw)
    return;
  pthread_mutex_destroy(&rw->mu);
  pw_free(rw);
  *rp = NULL;
}

/* Adds a finished series value to its step, if that step is still open. */
static void commit(struct sel *s, struct series *se) {
  if(!se->has_pending)
    return;
  se->has_pending = 0;
  if(se->bucket < s->next || se->bucket >= s->next + NB)
    return;
  size_t i = (size_t)(se->bucket % NB);
  s->sum[i] += se->pending;
  s->have[i] = 1;
}

static int matches(const struct sel *s, const struct pb_series *ps) {
  int named = 0;
  for(size_t i = 0; i < ps->nlabels; i++)
    if(strcmp(ps->labels[i].name, "__name__") == 0)
      named = strcmp(ps->labels[i].value, s->metric) == 0;
  if(!named)
    return 0;
  for(size_t m = 0; m < s->nlabels; m++) {
    const char *eq = strchr(s->labels[m], '=');
    size_t nl = (size_t)(eq - s->labels[m]);
    int found = 0;
    for(size_t i = 0; i < ps->nlabels && !found; i++)
      found = strlen(ps->labels[i].name) == nl &&
              strncmp(ps->labels[i].name, s->labels[m], nl) == 0 &&
              strcmp(ps->labels[i].value, eq + 1) == 0;
    if(!found)
      return 0;
  }
  return 1;
}

/* FNV-1a over the label pairs (senders sort them); never 0. */
static uint64_t series_key(const struct pb_series *ps) {
  uint64_t h = 1469598103934665603ULL;
  for(size_t i = 0; i < ps->nlabels; i++) {
    for(const char *p = ps->labels[i].name; *p; p++)
      h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for(const char *p = ps->labels[i].value; *p; p++)
      h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xfe) * 1099511628211ULL;
  }
  return h ? h : 1;
}

static struct series *find_series(struct sel *s, uint64_t key) {
  size_t i = (size_t)(key % TABLE);
  for(size_t k = 0; k < TABLE; k++, i = (i + 1) % TABLE) {
    if(s->table[i].key == key)
      return &s->table[i];
    if(s->table[i].key == 0) {
      if(s->nseries >= MAX_SERIES)
        return NULL;
      s->nseries++;
      memset(&s->table[i], 0, sizeof(s->table[i]));
      s->table[i].key = key;
      return &s->table[i];
    }
  }
  return NULL;
}

static void take_sample(struct sel *s, struct series *se,
                        const struct pb_sample *x, struct tel_rw_stats *st) {
  double v = x->value;
  /* Validated here, where samples enter: the bucket and the counter's
   * rate arithmetic below assume a timestamp far from INT64_MIN/MAX. */
  if(x->ts_ms < 0 || x->ts_ms > TEL_RW_MAX_TS_MS) {
    st->refused++;
    return;
  }
  if(pb_is_stale(v)) {
    commit(s, se);
    memset(&se->ctr, 0, sizeof(se->ctr));
    st->stale++;
    return;
  }
  if(isnan(v) || isinf(v) || (!s->counter && v < 0)) {
    st->refused++;
    return;
  }
  if(s->counter) {
    int64_t ts = x->ts_ms;
    struct tel_samples one = {.ts_ms = &ts, .v = &v, .n = 1, .cap = 1};
    if(tel_counter_apply(&se->ctr, &one, 0) == 0)
      return;  /* the first sample only primes */
  }
  int64_t b = x->ts_ms / s->step_ms;  /* ts_ms >= 0 (checked above) */
  if(b < s->next) {
    st->late++;
    return;
  }
  if(b >= s->next + NB) {
    st->refused++;
    return;
  }
  if(se->has_pending && se->bucket != b)
    commit(s, se);
  se->bucket = b;
  se->pending = v;
  se->has_pending = 1;
  st->kept++;
}

static void take_series(struct tel_rw *rw, const struct pb_series *ps,
                        struct tel_rw_stats *st) {
  for(struct sel *s = rw->sels; s; s = s->link) {
    if(!matches(s, ps))
      continue;
    struct series *se = find_series(s, series_key(ps));
    if(!se) {
      st->refused += (long)ps->nsamples;
      continue;
    }
    for(size_t k = 0; k < ps->nsamples; k++)
      take_sample(s, se, &ps->samples[k], st);
  }
}

static void add_stats(struct tel_rw_stats *a, const struct tel_rw_stats *b) {
  a->requests += b->requests;
  a->series += b->series;
  a->samples += b->samples;
  a->kept += b->kept;
  a->stale += b->stale;
  a->late += b->late;
  a->refused += b->refused;
  a->rejected += b->rejected;
  a->unauthorized += b->unauthorized;
}

int tel_rw_ingest(struct tel_rw *rw, const void *body, size_t len,
                  struct tel_rw_stats *st, char *err, size_t errlen) {
  struct pb_write *w = NULL;
  struct tel_rw_stats one = {.requests = 1};
  int rc = pb_write_decode(body, len, rw->max_bytes, &w, err, errlen);
  if(rc) {
    if(rc != PW_ENOMEM)
      tel_rw_note(rw, TEL_RW_REJECTED);
    return rc;
  }
  pthread_mutex_lock(&rw->mu);
  for(size_t i = 0; i < pb_write_nseries(w); i++) {
    struct pb_series ps;
    pb_write_series(w, i, &ps);
    one.series++;
    one.samples += (long)ps.nsamples;
    take_series(rw, &ps, &one);
  }
  add_stats(&rw->totals, &one);
  pthread_mutex_unlock(&rw->mu);
  pb_write_free(&w);
  if(st)
    add_stats(st, &one);
  return 0;
}

void tel_rw_note(struct tel_rw *rw, enum tel_rw_event ev) {
  pthread_mutex_lock(&rw->mu);
  if(ev == TEL_RW_UNAUTHORIZED)
    rw->totals.unauthorized++;
  else
    rw->totals.rejected++;
  pthread_mutex_unlock(&rw->mu);
}

void tel_rw_totals(struct tel_rw *rw, struct tel_rw_stats *out) {
  pthread_mutex_lock(&rw->mu);
  *out = rw->totals;
  pthread_mutex_unlock(&rw->mu);
}

static int sel_fetch(struct tel_source *src, int64_t from_ms, int64_t to_ms,
                     struct tel_samples *out) {
  struct sel *s = (struct sel *)src;
  int64_t step = s->step_ms, end = to_ms / step;  /* steps before `to` */
  int64_t first = (from_ms + step - 1) / step;
  int rc = 0;
  pthread_mutex_lock(&s->rw->mu);
  /* Values still pending for closed steps are final now. */
  for(size_t i = 0; i < TABLE; i++)
    if(s->table[i].key && s->table[i].has_pending &&
       s->table[i].bucket < end)
      commit(s, &s->table[i]);
  for(int64_t b = s->next; b < end && b < s->next + NB && rc == 0; b++) {
    size_t i = (size_t)(b % NB);
    /* A step's sum that overflowed (two 1e308 samples) is no load: the
     * step stays missing, counted as a refused sample. */
    if(s->have[i] && b >= first && !isfinite(s->sum[i]))
      s->base.rejected++;
    else if(s->have[i] && b >= first)
      rc = tel_samples_push(out, b * step, s->sum[i]);
    s->have[i] = 0;
    s->sum[i] = 0;
  }
  if(end > s->next)
    s->next = end;
  pthread_mutex_unlock(&s->rw->mu);
  return rc;
}

static void sel_free(struct tel_source *src) {
  struct sel *s = (struct sel *)src;
  if(s->rw) {
    pthread_mutex_lock(&s->rw->mu);
    for(struct sel **p = &s->rw->sels; *p; p = &(*p)->link)
      if(*p == s) {
        *p = s->link;
        break;
      }
    pthread_mutex_unlock(&s->rw->mu);
  }
  for(size_t i = 0; i < s->nlabels; i++)
    pw_free(s->labels[i]);
  pw_free(s->labels);
  pw_free(s->metric);
  pw_free(s->table);
  pw_free(s);
}

static const struct tel_source_ops sel_ops = {"remote-write", sel_fetch,
                                              sel_free};

static int check(const struct tel_rw_selector *c, char *err, size_t errlen) {
  if(!c->metric || !*c->metric) {
    snprintf(err, errlen, "metric: the metric name to keep is required");
    return PW_EINVAL;
  }
  for(size_t i = 0; i < c->nlabels; i++) {
    const char *eq = strchr(c->labels[i], '=');
    if(!eq || eq == c->labels[i]) {
      snprintf(err, errlen, "labels: \"%s\" is not name=value",
               c->labels[i]);
      return PW_EINVAL;
    }
  }
  if(c->step_ms < 1000) {
    snprintf(err, errlen, "step: at least 1 s");
    return PW_EINVAL;
  }
  return 0;
}

int tel_rw_source(struct tel_rw *rw, const struct tel_rw_selector *c,
                  int64_t now_ms, struct tel_source **out, char *err,
                  size_t errlen) {
  *out = NULL;
  int rc = check(c, err, errlen);
  if(rc)
    return rc;
  struct sel *s = pw_calloc(1, sizeof(*s));
  if(!s)
    return PW_ENOMEM;
  s->base.ops = &sel_ops;
  s->metric = pw_strdup(c->metric);
  s->labels = pw_calloc(c->nlabels ? c->nlabels : 1, sizeof(char *));
  s->table = pw_calloc(TABLE, sizeof(*s->table));
  rc = s->metric && s->labels && s->table ? 0 : PW_ENOMEM;
  for(size_t i = 0; rc == 0 && i < c->nlabels; i++, s->nlabels++)
    if(!(s->labels[i] = pw_strdup(c->labels[i])))
      rc = PW_ENOMEM;
  if(rc) {
    sel_free(&s->base);
    snprintf(err, errlen, "out of memory");
    return rc;
  }
  s->counter = c->counter;
  s->step_ms = c->step_ms;
  s->next = now_ms / c->step_ms;
  s->rw = rw;
  pthread_mutex_lock(&rw->mu);
  s->link = rw->sels;
  rw->sels = s;
  pthread_mutex_unlock(&rw->mu);
  *out = &s->base;
  return 0;
}
