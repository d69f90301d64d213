/*
 * One target's tick with an actuator that limits, refuses or fails: the
 * decision carries the actuator's reasons, and a failed write leaves the
 * target's idea of its capacity where it was.
 */
#include "../../actuators/act_actuator.h"
#include "../../common/pw_alloc.h"
#include "../../controller/ctl_settings.h"
#include "../../controller/ctl_target.h"
#include "test_target.h"
#include "test_util.h"

/* Accepts up to `limit`, refuses 777, fails when `fail` is set. */
struct fake {
  struct act base;
  long limit, have, writes;
  int fail;
};

static int fake_get(struct act *a, struct act_capacity *out) {
  struct fake *f = (struct fake *)a;
  *out = (struct act_capacity){f->have, f->have, f->have, 0};
  return 0;
}

static int fake_plan(struct act *a, long desired, long *send,
                     unsigned *flags) {
  struct fake *f = (struct fake *)a;
  *send = desired;
  if(desired == 777) {
    *flags |= ACT_F_REFUSED;
    act_why(a, "777 is refused");
    return PW_EREFUSED;
  }
  if(desired > f->limit) {
    *send = f->limit;
    *flags |= ACT_F_LIMITED;
  }
  return 0;
}

static int fake_set(struct act *a, long desired, struct act_capacity *out) {
  struct fake *f = (struct fake *)a;
  long send;
  unsigned flags;
  int rc = act_plan(a, desired, &send, &flags);
  if(rc == 0 && f->fail)
    rc = PW_EREMOTE;
  if(rc == 0) {
    f->have = send;
    f->writes++;
  }
  fake_get(a, out);
  out->flags |= flags;
  return rc;
}

static void fake_free(struct act *a) {
  (void)a;
}

static const struct act_ops fake_ops = {"fake", fake_get, fake_plan,
                                        fake_set, fake_free};

static struct cfg_target target;
static struct ctl_schedule *sched;

static struct ctl_target *make(long min) {
  struct ctl_target_cfg c;
  struct ctl_target *t = NULL;
  char err[128];
  /* Configured as a file would (the rest the defaults). */
  test_target(&target, 60000, 60000, 10, 1000);
  target.history_ms = 64 * 60000;
  target.min = min;
  pw_free(sched);
  ASSERT_OK(ctl_settings_target(&target, 0, 0, &c, &sched));
  /* This test's own choice: a fallback asks for exactly the load. */
  c.policy.fallback_utilization = 1;
  ASSERT_OK(ctl_target_new(&c, &t, err, sizeof(err)));
  return t;
}

static void actuator_reasons_reach_the_decision(void **state) {
  (void)state;
  struct fake f = {{&fake_ops, "", "", 0}, 5, 0, 0, 0};
  struct ctl_decision d;
  struct act_capacity cap;
  int64_t ts = 0;
  double load = 200;  /* 20 instances at unit 10 */
  struct ctl_target *t = make(0);
  ctl_target_observe(t, &ts, &load, 1);
  ASSERT_OK(ctl_target_tick(t, 60000, &f.base, &d, &cap));
  assert_true(d.desired >= 20);
  assert_true(d.reasons & CTL_R(PLATFORM_LIMIT));
  assert_int_equal(cap.requested, 5);
  assert_int_equal(f.have, 5);
  /* A failing platform: the error comes back, the capacity stays. */
  f.fail = 1;
  f.limit = 100;
  ts = 60000;
  ctl_target_observe(t, &ts, &load, 1);
  assert_int_equal(ctl_target_tick(t, 120000, &f.base, &d, &cap),
                   PW_EREMOTE);
  assert_int_equal(cap.requested, 5);
  assert_int_equal(f.writes, 1);
  ctl_target_free(&t);
}

static void a_refusal_is_a_reason(void **state) {
  (void)state;
  struct fake f = {{&fake_ops, "", "", 0}, 1000, 3, 0, 0};
  struct ctl_decision d;
  struct act_capacity cap;
  struct ctl_target *t = make(777);
  int64_t ts = 0;
  double load = 10;
  ctl_target_observe(t, &ts, &load, 1);
  assert_int_equal(ctl_target_tick(t, 60000, &f.base, &d, &cap), PW_EREFUSED);
  assert_int_equal(d.desired, 777);
  assert_true(d.reasons & CTL_R(REFUSED));
  assert_string_equal(f.base.why, "777 is refused");
  assert_int_equal(f.have, 3);
  char text[256];
  ctl_reasons_format(d.reasons, text, sizeof(text));
  assert_non_null(strstr(text, "refused"));
  ctl_target_free(&t);
}

/* Feeds load v as step i (60 s steps) and decides. */
static void step(struct ctl_target *t, struct fake *f, long i, double v,
                 struct ctl_decision *d) {
  struct act_capacity cap;
  int64_t ts = i * 60000;
  ctl_target_observe(t, &ts, &v, 1);
  ASSERT_OK(ctl_target_tick(t, ts + 60000, &f->base, d, &cap));
}

/* The default surge guard calibrates itself: after a quiet day, a burst
 * followed by another within the hold shows that holding capacity after
 * the first would have served the second, so the next burst is met by the
 * guard; a load whose noise alone keeps crossing the ratio never shows it,
 * and the guard stays off. */
static void surge_guard_acts_only_where_it_has_paid(void **state) {
  (void)state;
  struct fake f = {{&fake_ops, "", "", 0}, 100000, 0, 0, 0};
  struct ctl_decision d;
  struct ctl_target *t = make(0);
  assert_true(ctl_target_policy(t)->surge_ratio > 1);
  assert_true(ctl_target_policy(t)->surge_pay > 0);
  long i = 0;
  for(; i < 1500; i++)
    step(t, &f, i, 100, &d);
  assert_false(d.reasons & CTL_R(SURGE));
  step(t, &f, i++, 400, &d);   /* the first burst: no evidence yet */
  assert_false(d.reasons & CTL_R(SURGE));
  step(t, &f, i++, 100, &d);
  step(t, &f, i++, 100, &d);
  step(t, &f, i++, 400, &d);   /* the second, within the hold */
  for(long k = 0; k < 200; k++)
    step(t, &f, i++, 100, &d);
  step(t, &f, i++, 400, &d);   /* now the guard acts on the rise */
  assert_true(d.reasons & CTL_R(SURGE));
  assert_int_equal(d.desired, (100 + 4 * 300) / 10);
  ctl_target_free(&t);

  /* Noise that crosses 1.5x every other step: never worth it. */
  t = make(0);
  for(i = 0; i < 2000; i++) {
    step(t, &f, i, i % 2 ? 160 : 100, &d);
    assert_false(d.reasons & CTL_R(SURGE));
  }
  ctl_target_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(actuator_reasons_reach_the_decision),
    cmocka_unit_test(a_refusal_is_a_reason),
    cmocka_unit_test(surge_guard_acts_only_where_it_has_paid),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  pw_free(sched);
  return rc;
}
