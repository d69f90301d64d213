/*
 * Timestamps and the step they imply.
 */
#include "../../common/pw_time.h"
#include "test_util.h"

static void parses_the_usual_forms(void **state) {
  (void)state;
  int64_t t;
  ASSERT_OK(pw_time_parse("1970-01-01 00:00:00", &t));
  assert_int_equal(t, 0);
  ASSERT_OK(pw_time_parse("2026-01-05T00:00:00Z", &t));
  assert_int_equal(t, 1767571200000LL);
  ASSERT_OK(pw_time_parse("2015-02-26 21:42:53", &t));
  assert_int_equal(t, 1424986973000LL);
  ASSERT_OK(pw_time_parse("1998-04-30 21:30", &t));
  assert_int_equal(t, 893971800000LL);
  ASSERT_OK(pw_time_parse("2000-02-29T12:00:00.250", &t));
  assert_int_equal(t, 951825600250LL);
  ASSERT_OK(pw_time_parse("1424986973", &t));
  assert_int_equal(t, 1424986973000LL);
  assert_int_equal(pw_time_parse("t0", &t), PW_EPARSE);
  assert_int_equal(pw_time_parse("480", &t), PW_EPARSE);  /* a minute no. */
  assert_int_equal(pw_time_parse("2015-13-01 00:00:00", &t), PW_EPARSE);
  assert_int_equal(pw_time_parse("2015-02-26 21:42:53 x", &t), PW_EPARSE);
}

static void step_from_labels_despite_a_gap(void **state) {
  (void)state;
  char buf[12][32], *labels[12];
  int64_t step;
  for(int i = 0, m = 0; i < 12; i++, m += 5) {
    if(i == 6)
      m += 5;  /* one missing row */
    snprintf(buf[i], sizeof(buf[i]), "2024-03-01 10:%02d:00", m);
    labels[i] = buf[i];
  }
  ASSERT_OK(pw_time_step(labels, 12, &step));
  assert_int_equal(step, 300000);
  /* Unsorted or unparseable labels give no step. */
  char a[] = "a", b[] = "b", c[] = "c";
  char *bad[3] = {a, b, c};
  assert_int_equal(pw_time_step(bad, 3, &step), PW_ENOTFOUND);
  assert_int_equal(pw_time_step(NULL, 0, &step), PW_ENOTFOUND);
  snprintf(buf[3], sizeof(buf[3]), "2024-03-05 00:00:00");
  snprintf(buf[8], sizeof(buf[8]), "2024-02-01 00:00:00");
  assert_int_equal(pw_time_step(labels, 12, &step), PW_ENOTFOUND);
}

static void gaps_repeats_and_steps_back(void **state) {
  (void)state;
  char t[][20] = {"2024-03-01 10:00", "2024-03-01 10:05", "x",
                  "2024-03-01 10:10", "2024-03-01 10:15"};
  char *ok[] = {t[0], t[1], t[2], t[3]};
  char *bad[] = {t[0], t[1], t[4], t[4], t[3], t[4]};
  struct pw_time_gaps g;
  pw_time_gaps(ok, 4, 300000, &g);
  assert_int_equal(g.count, 0);   /* the unparseable label is skipped */
  pw_time_gaps(bad, 6, 300000, &g);
  assert_int_equal(g.count, 3);   /* a gap, a repeat, a step back */
  assert_int_equal(g.first, 2);
  assert_int_equal(g.first_ms, 600000);
  pw_time_gaps(NULL, 0, 300000, &g);
  assert_int_equal(g.count, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parses_the_usual_forms),
    cmocka_unit_test(step_from_labels_despite_a_gap),
    cmocka_unit_test(gaps_repeats_and_steps_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
