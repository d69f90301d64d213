/*
 * The dry-run actuator records and never acts.
 */
#include "../../actuators/act_dryrun.h"
#include "../../actuators/act_sim.h"
#include "../../common/pw_alloc.h"
#include "test_util.h"

/* An actuator that fails the test if anything asks it to change. */
struct watch {
  struct act base;
  long sets, gets;
};

static int watch_get(struct act *a, struct act_capacity *out) {
  ((struct watch *)a)->gets++;
  *out = (struct act_capacity){7, 7, 6, 0};
  return 0;
}

/* Like a platform with a limit of 10 that refuses 99 outright. */
static int watch_plan(struct act *a, long desired, long *send,
                      unsigned *flags) {
  if(desired == 99) {
    snprintf(a->why, sizeof(a->why), "99 is refused");
    *flags |= ACT_F_REFUSED;
    return PW_EREFUSED;
  }
  *send = desired > 10 ? 10 : desired;
  if(desired > 10) {
    *flags |= ACT_F_LIMITED;
    snprintf(a->why, sizeof(a->why), "limit 10");
  }
  return 0;
}

static int watch_set(struct act *a, long desired, struct act_capacity *out) {
  (void)desired;
  (void)out;
  ((struct watch *)a)->sets++;
  return PW_EINVAL;
}

static long freed;
static void watch_free(struct act *a) {
  freed++;
  pw_free(a);
}

static const struct act_ops watch_ops = {"watch", watch_get, NULL, watch_set,
                                         watch_free};
static const struct act_ops limit_ops = {"limit", watch_get, watch_plan,
                                         watch_set, watch_free};

static void records_without_acting(void **state) {
  (void)state;
  struct watch *w = pw_calloc(1, sizeof(*w));
  struct act *d = NULL;
  struct act_capacity c;
  w->base.ops = &watch_ops;
  freed = 0;
  ASSERT_OK(act_dryrun_new(&w->base, &d));
  ASSERT_OK(act_set(d, 12, &c));
  ASSERT_OK(act_set(d, 12, &c));
  ASSERT_OK(act_set(d, 3, &c));
  /* It reports what is really there, read through the inner actuator. */
  assert_int_equal(c.requested, 7);
  assert_int_equal(c.ready, 6);
  assert_int_equal(w->sets, 0);
  assert_int_equal(w->gets, 3);
  const struct act_dryrun_log *log = act_dryrun_log(d);
  assert_int_equal(log->requests, 3);
  assert_int_equal(log->changes, 2);
  assert_int_equal(log->last, 3);
  act_free(&d);
  assert_int_equal(freed, 1);
}

/* A dry run applies the inner actuator's limits and refusals as the real
 * one would, and says so, without a single set(). */
static void records_limits_and_refusals(void **state) {
  (void)state;
  struct watch *w = pw_calloc(1, sizeof(*w));
  struct act *d = NULL;
  struct act_capacity c;
  w->base.ops = &limit_ops;
  ASSERT_OK(act_dryrun_new(&w->base, &d));
  ASSERT_OK(act_set(d, 4, &c));
  assert_int_equal(c.flags, 0);
  ASSERT_OK(act_set(d, 25, &c));
  assert_true(c.flags & ACT_F_LIMITED);
  assert_string_equal(d->why, "limit 10");
  assert_int_equal(act_set(d, 99, &c), PW_EREFUSED);
  assert_true(c.flags & ACT_F_REFUSED);
  assert_string_equal(d->why, "99 is refused");
  const struct act_dryrun_log *log = act_dryrun_log(d);
  assert_int_equal(log->last, 10);
  assert_int_equal(log->limited, 1);
  assert_int_equal(log->refused, 1);
  assert_int_equal(log->changes, 2);
  assert_int_equal(w->sets, 0);
  act_free(&d);
}

/* A plan that fails as a 401 would; it also says why it failed only
 * while failing, as every call starts afresh. */
static int denied_plan(struct act *a, long desired, long *send,
                       unsigned *flags) {
  (void)flags;
  *send = desired;
  if(desired == 401) {
    snprintf(a->why, sizeof(a->why), "HTTP 401 Unauthorized");
    return PW_EAUTH;
  }
  return 0;
}

static const struct act_ops denied_ops = {"denied", watch_get, denied_plan,
                                          watch_set, watch_free};

/* A failure still says what is there (the daemon takes an untouched
 * capacity for "not the leader"), and its text goes with the next
 * success. */
static void failures_fill_the_capacity(void **state) {
  (void)state;
  struct watch *w = pw_calloc(1, sizeof(*w));
  struct act *d = NULL;
  struct act_capacity c = {-2, -1, -1, 0};
  w->base.ops = &denied_ops;
  ASSERT_OK(act_dryrun_new(&w->base, &d));
  assert_int_equal(act_set(d, 401, &c), PW_EAUTH);
  assert_int_equal(c.requested, 7);
  assert_int_equal(c.ready, 6);
  assert_string_equal(d->why, "HTTP 401 Unauthorized");
  ASSERT_OK(act_set(d, 3, &c));
  assert_string_equal(d->why, "");
  assert_int_equal(w->sets, 0);
  act_free(&d);
}

static void alone_it_reports_what_it_would_ask(void **state) {
  (void)state;
  struct act *d = NULL;
  struct act_capacity c;
  ASSERT_OK(act_dryrun_new(NULL, &d));
  ASSERT_OK(act_get(d, &c));
  assert_int_equal(c.requested, -1);
  ASSERT_OK(act_set(d, 5, &c));
  assert_int_equal(c.requested, 5);
  act_free(&d);
  /* Allocation failure frees what it was given. */
  struct act *sim = NULL;
  ASSERT_OK(act_sim_new(1, &sim));
  pw_alloc_fail_after(0);
  int rc = act_dryrun_new(sim, &d);
  pw_alloc_fail_after(-1);
  assert_int_equal(rc, PW_ENOMEM);
  assert_null(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(records_without_acting),
    cmocka_unit_test(records_limits_and_refusals),
    cmocka_unit_test(failures_fill_the_capacity),
    cmocka_unit_test(alone_it_reports_what_it_would_ask),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
