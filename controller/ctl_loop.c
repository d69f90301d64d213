#include "ctl_loop.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"

const char *const ctl_fit_kind_names[CTL_FIT_KINDS] = {"select", "full",
                                                       "refit"};

static const double tick_le[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5,
                                 1, 2.5, 5};
/* Refits of one model take milliseconds, a model selection up to about a
 * second. */
static const double fit_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05, 0.1, 0.25, 0.5, 1, 2.5};

struct ctl_loop {
  struct ctl_unit *const *units;  /* borrowed */
  size_t n;
  struct ctl_loop_hooks hooks;
  pthread_mutex_t mu;        /* guards everything below, and units' busy */
  pthread_cond_t work;       /* the queue has units, or quitting */
  pthread_cond_t done;       /* a step finished */
  struct ctl_unit **queue;   /* a ring of n */
  size_t qhead, qlen;
  int quit;
  pthread_t *threads;
  unsigned nthreads;
  /* The tick in progress: how many of its units are still stepping and
   * how many failed, and when it was dispatched. */
  long gen;
  size_t pending;
  int failed;
  double gen_t0;
  struct ctl_loop_stats st;
};

static void histogram_init(struct ctl_histogram *h, const double *le,
                           size_t n) {
  assert(n <= CTL_HIST_MAX_LE);
  memset(h, 0, sizeof(*h));
  h->le = le;
  h->nle = n;
}

static void histogram_observe(struct ctl_histogram *h, double s) {
  h->count++;
  h->sum_s += s;
  for(size_t k = 0; k < h->nle; k++)
    if(s <= h->le[k])
      h->bucket[k]++;
}

/* Steps one unit; called without the loop's mutex. */
static int step(struct ctl_loop *l, struct ctl_unit *u, int64_t now_ms) {
  struct ctl_step st;
  /* What the target's source, model and actuator log names it. */
  pw_log_target(u->c->name);
  int lead = !l->hooks.lead || l->hooks.lead(l->hooks.ud);
  int rc = ctl_unit_step(u, now_ms, lead, &st);
  if(l->hooks.recorded)
    l->hooks.recorded(l->hooks.ud, u, rc, &st);
  pw_log_target(NULL);
  pthread_mutex_lock(&l->mu);
  if(st.fitted)
    histogram_observe(&l->st.fit[st.fit_kind], st.fit_s);
  l->st.steps++;
  l->st.last_step_mono_ms = pw_clock_mono_ms();
  pthread_mutex_unlock(&l->mu);
  return rc;
}

/* Marks u done for generation gen; under the mutex. */
static void finish(struct ctl_loop *l, struct ctl_unit *u, long gen, int rc) {
  u->busy = 0;
  l->st.busy--;
  if(gen == l->gen && l->pending > 0) {
    l->failed += rc != 0;
    if(--l->pending == 0)
      histogram_observe(&l->st.tick,
                        (pw_clock_mono_ms() - l->gen_t0) / 1000.0);
  }
  pthread_cond_broadcast(&l->done);
}

/* Each queued unit carries its tick's time and generation. */
static void *worker(void *arg) {
  struct ctl_loop *l = arg;
  pthread_mutex_lock(&l->mu);
  for(;;) {
    while(!l->quit && l->qlen == 0)
      pthread_cond_wait(&l->work, &l->mu);
    if(l->qlen == 0)
      break;  /* quitting, and nothing left */
    struct ctl_unit *u = l->queue[l->qhead];
    l->qhead = (l->qhead + 1) % l->n;
    l->qlen--;
    int64_t now = u->due_ms;
    long gen = u->due_gen;
    pthread_mutex_unlock(&l->mu);
    int rc = step(l, u, now);
    pthread_mutex_lock(&l->mu);
    finish(l, u, gen, rc);
  }
  pthread_mutex_unlock(&l->mu);
  ctl_target_scratch_free();
  return NULL;
}

int ctl_loop_new(struct ctl_unit *const *units, size_t n, unsigned workers,
                 const struct ctl_loop_hooks *hooks, struct ctl_loop **out) {
  struct ctl_loop *l = pw_calloc(1, sizeof(*l));
  *out = NULL;
  if(!l)
    return PW_ENOMEM;
  l->units = units;
  l->n = n;
  if(hooks)
    l->hooks = *hooks;
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->work, NULL);
  pthread_cond_init(&l->done, NULL);
  histogram_init(&l->st.tick, tick_le, sizeof(tick_le) / sizeof(*tick_le));
  for(int k = 0; k < CTL_FIT_KINDS; k++)
    histogram_init(&l->st.fit[k], fit_le, sizeof(fit_le) / sizeof(*fit_le));
  if(workers > n)
    workers = (unsigned)n;
  l->queue = pw_calloc(n ? n : 1, sizeof(*l->queue));
  l->threads = pw_calloc(workers ? workers : 1, sizeof(*l->threads));
  if(!l->queue || !l->threads) {
    ctl_loop_free(&l);
    return PW_ENOMEM;
  }
  for(unsigned i = 0; i < workers; i++) {
    if(pthread_create(&l->threads[i], NULL, worker, l) != 0) {
      ctl_loop_free(&l);
      return PW_EIO;
    }
    l->nthreads++;
  }
  *out = l;
  return 0;
}

void ctl_loop_drain(struct ctl_loop *l) {
  pthread_mutex_lock(&l->mu);
  while(l->st.busy > 0)
    pthread_cond_wait(&l->done, &l->mu);
  pthread_mutex_unlock(&l->mu);
}

void ctl_loop_free(struct ctl_loop **lp) {
  struct ctl_loop *l = *lp;
  if(!l)
    return;
  pthread_mutex_lock(&l->mu);
  l->quit = 1;
  pthread_cond_broadcast(&l->work);
  pthread_mutex_unlock(&l->mu);
  for(unsigned i = 0; i < l->nthreads; i++)
    pthread_join(l->threads[i], NULL);
  pthread_cond_destroy(&l->work);
  pthread_cond_destroy(&l->done);
  pthread_mutex_destroy(&l->mu);
  pw_free(l->queue);
  pw_free(l->threads);
  pw_free(l);
  *lp = NULL;
}

int ctl_loop_tick(struct ctl_loop *l, int64_t now_ms, int wait) {
  pthread_mutex_lock(&l->mu);
  /* The last tick is not done (a step outlived it): it is observed now,
   * as at least this long, so slow ticks are not missing from the
   * histogram. */
  if(l->pending > 0)
    histogram_observe(&l->st.tick,
                      (pw_clock_mono_ms() - l->gen_t0) / 1000.0);
  l->gen++;
  l->pending = 0;
  l->failed = 0;
  l->gen_t0 = pw_clock_mono_ms();
  l->st.ticks++;
  l->st.last_tick_mono_ms = l->gen_t0;
  for(size_t i = 0; i < l->n; i++) {
    struct ctl_unit *u = l->units[i];
    if(!u)
      continue;  /* not built (sharding: another replica's) */
    if(u->busy) {
      /* Its last step still runs (a slow source or actuator): it alone
       * waits; the others go on. */
      l->st.skipped++;
      atomic_fetch_add(&u->ticks_skipped, 1);
      continue;
    }
    u->busy = 1;
    u->due_ms = now_ms;
    u->due_gen = l->gen;
    l->st.busy++;
    l->pending++;
    if(l->nthreads) {
      l->queue[(l->qhead + l->qlen) % l->n] = u;
      l->qlen++;
    }
  }
  long gen = l->gen;
  if(l->nthreads) {
    pthread_cond_broadcast(&l->work);
  } else {
    /* No workers: step every unit here, in order (a replay). */
    for(size_t i = 0; i < l->n; i++) {
      struct ctl_unit *u = l->units[i];
      if(!u || u->due_gen != gen || !u->busy)
        continue;
      pthread_mutex_unlock(&l->mu);
      int rc = step(l, u, now_ms);
      pthread_mutex_lock(&l->mu);
      finish(l, u, gen, rc);
    }
  }
  while(wait && l->gen == gen && l->pending > 0)
    pthread_cond_wait(&l->done, &l->mu);
  int failed = wait ? l->failed : 0;
  pthread_mutex_unlock(&l->mu);
  return failed;
}

int ctl_loop_busy(struct ctl_loop *l, const struct ctl_unit *u) {
  pthread_mutex_lock(&l->mu);
  int busy = u->busy;
  pthread_mutex_unlock(&l->mu);
  return busy;
}

void ctl_loop_stats(struct ctl_loop *l, struct ctl_loop_stats *out) {
  pthread_mutex_lock(&l->mu);
  *out = l->st;
  pthread_mutex_unlock(&l->mu);
}

void ctl_loop_carry(struct ctl_loop *l, const struct ctl_loop_stats *st) {
  pthread_mutex_lock(&l->mu);
  l->st.ticks = st->ticks;
  l->st.steps = st->steps;
  l->st.skipped = st->skipped;
  l->st.last_tick_mono_ms = st->last_tick_mono_ms;
  l->st.last_step_mono_ms = st->last_step_mono_ms;
  l->st.tick = st->tick;
  memcpy(l->st.fit, st->fit, sizeof(l->st.fit));
  pthread_mutex_unlock(&l->mu);
}
