/*
 * The loop engine: a unit whose source blocks does not hold up the
 * others, is skipped (and counted) while its step runs, and is stepped
 * again once it returns; readers of the snapshots never wait for a step;
 * with no workers the units step in order on the caller's thread.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../../actuators/act_dryrun.h"
#include "../../common/pw_alloc.h"
#include "../../common/pw_clock.h"
#include "../../common/pw_http.h"
#include "../../common/pw_log.h"
#include "../../controller/ctl_loop.h"
#include "test_target.h"
#include "test_util.h"

#define STEP 60000

/* A source that answers one sample a step, or blocks while `hold`. */
struct gate {
  struct tel_source base;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int hold, inside;
  long fetches;
};

static int gate_fetch(struct tel_source *src, int64_t from_ms, int64_t to_ms,
                      struct tel_samples *out) {
  struct gate *g = (struct gate *)src;
  pthread_mutex_lock(&g->mu);
  g->fetches++;
  g->inside = 1;
  pthread_cond_broadcast(&g->cv);
  while(g->hold)
    pthread_cond_wait(&g->cv, &g->mu);
  g->inside = 0;
  pthread_mutex_unlock(&g->mu);
  for(int64_t t = from_ms; t < to_ms; t += STEP)
    if(tel_samples_push(out, t, 100 + (double)(t / STEP % 7)))
      return PW_ENOMEM;
  return 0;
}

static void gate_free(struct tel_source *src) {
  (void)src;  /* owned by the test */
}

static const struct tel_source_ops gate_ops = {"gate", gate_fetch, gate_free};

static void gate_init(struct gate *g) {
  memset(g, 0, sizeof(*g));
  g->base.ops = &gate_ops;
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
}

static void gate_set(struct gate *g, int hold) {
  pthread_mutex_lock(&g->mu);
  g->hold = hold;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static void gate_wait_inside(struct gate *g) {
  pthread_mutex_lock(&g->mu);
  while(!g->inside)
    pthread_cond_wait(&g->cv, &g->mu);
  pthread_mutex_unlock(&g->mu);
}

static struct cfg_target cfg[2];
static char names[2][8] = {"a", "b"};

static struct ctl_unit *unit(int i, struct gate *g) {
  struct ctl_unit *u = NULL;
  struct act *act = NULL;
  char err[128];
  test_target(&cfg[i], STEP, STEP, 10, 100);
  cfg[i].name = names[i];
  cfg[i].history_ms = 3600000;
  ASSERT_OK(act_dryrun_new(NULL, &act));
  ASSERT_OK(ctl_unit_new(&cfg[i], &g->base, act, 0, 0, 0, 0, &u, err,
                         sizeof(err)));
  return u;
}

/* Two units a and b on their gates, and a loop with `workers` over them. */
struct pair {
  struct gate ga, gb;
  struct ctl_unit *u[2];
  struct ctl_loop *l;
};

static void pair_start(struct pair *p, unsigned workers,
                       const struct ctl_loop_hooks *h) {
  gate_init(&p->ga);
  gate_init(&p->gb);
  p->u[0] = unit(0, &p->ga);
  p->u[1] = unit(1, &p->gb);
  ASSERT_OK(ctl_loop_new(p->u, 2, workers, h, &p->l));
}

static void pair_stop(struct pair *p) {
  ctl_loop_free(&p->l);
  ctl_unit_free(&p->u[0]);
  ctl_unit_free(&p->u[1]);
}

static long desired_of(struct ctl_unit *u, long *steps) {
  const struct ctl_snap *z = ctl_unit_snap_lock(u);
  long d = z->have ? z->desired : -1;
  *steps = (long)z->npoints;
  ctl_unit_snap_unlock(u);
  return d;
}

static void a_blocked_unit_holds_up_no_other(void **state) {
  (void)state;
  struct pair p;
  pair_start(&p, 2, NULL);
  gate_set(&p.ga, 1);
  (void)ctl_loop_tick(p.l, STEP, 0);
  gate_wait_inside(&p.ga);  /* a is stuck in its read */
  /* b steps at every tick while a stays stuck. */
  for(int k = 1; k <= 5; k++) {
    long steps = 0;
    if(k > 1)
      (void)ctl_loop_tick(p.l, k * STEP, 0);
    struct ctl_loop_stats st;
    /* Done: published, and only a still busy. */
    for(int w = 0; w < 5000; w++) {
      (void)desired_of(p.u[1], &steps);
      ctl_loop_stats(p.l, &st);
      if(steps >= k && st.busy == 1)
        break;
      pw_sleep_ms(1);
    }
    assert_int_equal(steps, k);
  }
  struct ctl_loop_stats st;
  ctl_loop_stats(p.l, &st);
  assert_int_equal(st.skipped, 4);  /* a, at ticks 2 to 5 */
  assert_int_equal(p.ga.fetches, 1);  /* never two steps of a at once */
  long steps = 0;
  assert_int_equal(desired_of(p.u[0], &steps), -1);
  assert_int_equal(steps, 0);
  assert_int_equal(atomic_load(&p.u[0]->ticks_skipped), 4);
  /* Released, a finishes its step and the next tick steps it again. */
  gate_set(&p.ga, 0);
  ctl_loop_drain(p.l);
  assert_int_equal(ctl_loop_tick(p.l, 6 * STEP, 1), 0);
  assert_true(desired_of(p.u[0], &steps) >= 0);
  assert_int_equal(steps, 2);
  assert_int_equal(p.ga.fetches, 2);
  pair_stop(&p);
}

/* Readers on another thread while the loop steps: the snapshot is always
 * whole (its ring and its counters agree). */
struct reader {
  struct ctl_unit *u;
  atomic_int stop;
  long reads, torn;
};

static void *read_loop(void *arg) {
  struct reader *r = arg;
  while(!atomic_load(&r->stop)) {
    const struct ctl_snap *z = ctl_unit_snap_lock(r->u);
    long total = 0;
    for(int k = 0; k < CTL_ACT_RESULTS; k++)
      total += z->acts[k];
    if(total != (long)z->npoints)
      r->torn++;
    ctl_unit_snap_unlock(r->u);
    r->reads++;
  }
  return NULL;
}

static void readers_see_whole_snapshots(void **state) {
  (void)state;
  struct pair p;
  pair_start(&p, 2, NULL);
  struct reader r = {p.u[0], 0, 0, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, read_loop, &r), 0);
  for(int k = 1; k <= 200; k++)
    assert_int_equal(ctl_loop_tick(p.l, k * STEP, 1), 0);
  atomic_store(&r.stop, 1);
  pthread_join(th, NULL);
  assert_true(r.reads > 0);
  assert_int_equal(r.torn, 0);
  long steps;
  (void)desired_of(p.u[0], &steps);
  assert_int_equal(steps, 200);
  pair_stop(&p);
}

/* With no workers, ticks step every unit on this thread, in order. */
static const char *order[8];
static int norder;

static void note(void *ud, struct ctl_unit *u, int rc,
                 const struct ctl_step *st) {
  (void)ud, (void)rc, (void)st;
  if(norder < 8)
    order[norder++] = u->c->name;
}

static void no_workers_steps_in_order_here(void **state) {
  (void)state;
  struct ctl_loop_hooks h = {NULL, note, NULL};
  struct pair p;
  pair_start(&p, 0, &h);
  norder = 0;
  assert_int_equal(ctl_loop_tick(p.l, STEP, 0), 0);
  assert_int_equal(ctl_loop_tick(p.l, 2 * STEP, 0), 0);
  assert_int_equal(norder, 4);
  assert_string_equal(order[0], "a");
  assert_string_equal(order[1], "b");
  assert_string_equal(order[2], "a");
  assert_string_equal(order[3], "b");
  pair_stop(&p);
}

int main(void) {
  gsl_set_error_handler_off();
  pw_log_threshold = PW_LOG_ERROR;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_blocked_unit_holds_up_no_other),
    cmocka_unit_test(readers_see_whole_snapshots),
    cmocka_unit_test(no_workers_steps_in_order_here),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
