/*
 * Feeding a target tick by tick from a source that sometimes fails: every
 * value arrives exactly once, in place, and staleness is reported when
 * the data stops.
 */
#include <math.h>

#include "../../common/pw_alloc.h"
#include "../../controller/ctl_feed.h"
#include "../../controller/ctl_settings.h"
#include "../../telemetry/tel_csv.h"
#include "test_target.h"
#include "test_util.h"

/* Fails every third fetch, passes the rest through to a CSV source. */
struct flaky {
  struct tel_source base;
  struct tel_source *inner;
  long calls;
};

static int flaky_fetch(struct tel_source *s, int64_t from, int64_t to,
                       struct tel_samples *out) {
  struct flaky *f = (struct flaky *)s;
  if(++f->calls % 3 == 0) {
    tel_why(s, "injected failure");
    return PW_EIO;
  }
  return tel_fetch(f->inner, from, to, out);
}

static void flaky_free(struct tel_source *s) {
  (void)s;
}

static const struct tel_source_ops flaky_ops = {"flaky", flaky_fetch,
                                                flaky_free};

static void every_value_once_despite_failures(void **state) {
  (void)state;
  enum { N = 600, STEP = 60000 };
  static double v[N];
  const int64_t t0 = 1800000000000LL;  /* a whole minute */
  for(int i = 0; i < N; i++)
    v[i] = 100 + (i % 17) + (i == 250 ? (double)NAN : 0);
  struct tel_source *csv = NULL;
  ASSERT_OK(tel_csv_new(v, N, t0, STEP, &csv));
  struct flaky fl = {{&flaky_ops, "", 0, 0}, csv, 0};
  struct ctl_target_cfg c;
  struct ctl_target *t = NULL;
  struct ctl_schedule *sched = NULL;
  struct cfg_target target;
  char err[128];
  /* Configured as a file would (the rest the defaults). */
  test_target(&target, STEP, STEP, 10, 1000);
  target.history_ms = 86400000;
  ASSERT_OK(ctl_settings_target(&target, t0, 0, &c, &sched));
  c.policy.fallback_utilization = 1;  /* a fallback asks for the load */
  ASSERT_OK(ctl_target_new(&c, &t, err, sizeof(err)));
  struct ctl_feed f;
  /* Start 100 steps in, with 100 steps of history to backfill. */
  int64_t now = t0 + 100 * (int64_t)STEP;
  ctl_feed_init(&f, &fl.base, STEP, 0, 100 * (int64_t)STEP, now);
  int failures = 0;
  for(; now <= t0 + N * (int64_t)STEP; now += STEP)
    failures += ctl_feed_tick(&f, now, t) != 0;
  /* The last window may have failed: two more tries at the same time. */
  now -= STEP;
  for(int k = 0; k < 2; k++)
    failures += ctl_feed_tick(&f, now, t) != 0;
  assert_true(failures > 100);
  assert_int_equal(f.failures, failures);
  const struct fc_series *s = ctl_target_series(t);
  assert_int_equal(s->total, N);
  assert_int_equal(s->dropped, 0);
  for(int i = 0; i < N; i++) {
    double got = fc_series_back(s, (size_t)(N - 1 - i));
    if(i == 250)
      assert_true(isnan(got));
    else
      ASSERT_NEAR(got, v[i], 0);
  }
  assert_int_equal(f.samples, N);
  assert_false(ctl_feed_stale(&f, now, 3));
  /* The data stops: after three steps without a sample, stale. */
  for(int k = 0; k < 4; k++, now += STEP)
    if(ctl_feed_tick(&f, now, t))
      failures++;
  assert_true(ctl_feed_stale(&f, now, 3));
  ctl_feed_cleanup(&f);
  ctl_target_free(&t);
  pw_free(sched);
  tel_source_free(&csv);
}

static struct ctl_target *make_target(int64_t t0) {
  struct ctl_target_cfg c = {0};
  struct ctl_target *t = NULL;
  char err[128];
  c.policy = (struct ctl_policy){
    .unit_capacity = 10, .step_s = 60, .lead_steps = 2, .quantile = 0.95,
    .floor_utilization = 1, .fallback_utilization = 1, .max = 1000,
    .max_error_ratio = 2, .momentum = 1};
  c.model_auto = 1;
  c.refit_steps = 60;
  c.reselect_steps = 1440;
  c.history_steps = 1440;
  c.fit_seasons = 7;
  c.start_ms = t0;
  ASSERT_OK(ctl_target_new(&c, &t, err, sizeof(err)));
  return t;
}

/* A source whose newest steps are NaN (Prometheus answers NaN for steps
 * where the expression has no value): fetched, but not fresh. */
static void trailing_nans_are_stale(void **state) {
  (void)state;
  enum { N = 60, STEP = 60000 };
  static double v[N];
  const int64_t t0 = 1800000000000LL;
  for(int i = 0; i < N; i++)
    v[i] = i < 40 ? 100 : (double)NAN;
  struct tel_source *csv = NULL;
  ASSERT_OK(tel_csv_new(v, N, t0, STEP, &csv));
  struct ctl_target *t = make_target(t0);
  struct ctl_feed f;
  int64_t now = t0 + N * (int64_t)STEP;
  ctl_feed_init(&f, csv, STEP, 0, N * (int64_t)STEP, now);
  ASSERT_OK(ctl_feed_tick(&f, now, t));
  assert_int_equal(f.samples, N);              /* every step arrived */
  assert_int_equal(f.newest_ms, t0 + 39 * (int64_t)STEP);
  assert_true(ctl_feed_stale(&f, now, 3));     /* 20 steps of NaN */
  assert_false(ctl_feed_stale(&f, t0 + 42 * (int64_t)STEP, 3));
  ctl_feed_cleanup(&f);
  ctl_target_free(&t);
  tel_source_free(&csv);
}

/* A restart within the step that the store's history already covers:
 * no window is new, nothing is fetched, and the data is current. */
static void resumed_from_the_store_is_not_stale(void **state) {
  (void)state;
  enum { STEP = 60000 };
  const int64_t t0 = 1800000000000LL;
  const int64_t now = t0 + 10 * (int64_t)STEP + 5000;  /* 5 s into step 10 */
  static double v[10];
  struct tel_samples hist = {0};
  for(int i = 0; i < 10; i++) {
    v[i] = 50 + i;
    ASSERT_OK(tel_samples_push(&hist, t0 + i * (int64_t)STEP,
                               i == 9 ? (double)NAN : v[i]));
  }
  struct tel_source *csv = NULL;
  ASSERT_OK(tel_csv_new(v, 10, t0, STEP, &csv));
  struct ctl_target *t = make_target(t0);
  struct ctl_feed f;
  ctl_feed_init(&f, csv, STEP, 0, 10 * (int64_t)STEP, now);
  ctl_target_observe(t, hist.ts_ms, hist.v, hist.n);
  ctl_feed_resumed(&f, &hist);
  assert_int_equal(f.next_ms, t0 + 10 * (int64_t)STEP);
  /* The newest finite row (the last one is NaN, a missing step). */
  assert_int_equal(f.newest_ms, t0 + 8 * (int64_t)STEP);
  ASSERT_OK(ctl_feed_tick(&f, now, t));
  assert_int_equal(f.fetches, 0);
  assert_false(ctl_feed_stale(&f, now, 3));
  /* Without resuming: the same tick reports stale. */
  struct ctl_feed g;
  ctl_feed_init(&g, csv, STEP, 0, 10 * (int64_t)STEP, now);
  g.next_ms = t0 + 10 * (int64_t)STEP;  /* what the daemon set alone */
  ASSERT_OK(ctl_feed_tick(&g, now, t));
  assert_true(ctl_feed_stale(&g, now, 3));
  /* An empty history changes nothing. */
  struct tel_samples none = {0};
  ctl_feed_resumed(&g, &none);
  assert_int_equal(g.newest_ms, -1);
  ctl_feed_cleanup(&g);
  ctl_feed_cleanup(&f);
  tel_samples_cleanup(&hist);
  ctl_target_free(&t);
  tel_source_free(&csv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_value_once_despite_failures),
    cmocka_unit_test(trailing_nans_are_stale),
    cmocka_unit_test(resumed_from_the_store_is_not_stale),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
