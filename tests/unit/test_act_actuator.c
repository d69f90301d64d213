/*
 * The actuator interface's shared parts: a refusal is logged once per
 * distinct text and again after ACT_REFUSAL_REPEAT_MS; the explanation
 * of one call never outlives it; a success forgets the last refusal.
 */
#include "../../actuators/act_actuator.h"
#include "../../common/pw_alloc.h"
#include "../../common/pw_log.h"
#include "test_util.h"

/* Lines written to the captured log. */
static long lines(FILE *f) {
  long n = 0;
  int c;
  rewind(f);
  while((c = fgetc(f)) != EOF)
    n += c == '\n';
  return n;
}

static void refusals_are_logged_once_per_text(void **state) {
  (void)state;
  struct act a = {0};
  FILE *f = tmpfile();
  assert_non_null(f);
  pw_log_stream = f;
  act_why(&a, "HTTP 422 Invalid: minReplicas above maxReplicas");
  assert_int_equal(act_refusal_log(&a, 1000.0), 1);
  assert_int_equal(act_refusal_log(&a, 2000.0), 0);
  assert_int_equal(act_refusal_log(&a, 1000.0 + ACT_REFUSAL_REPEAT_MS - 1),
                   0);
  /* Ten minutes on, the same refusal is said again. */
  assert_int_equal(act_refusal_log(&a, 1000.0 + ACT_REFUSAL_REPEAT_MS), 1);
  /* A different message at once. */
  act_why(&a, "HTTP 422 Invalid: another field");
  assert_int_equal(act_refusal_log(&a, 1000.0 + ACT_REFUSAL_REPEAT_MS + 1),
                   1);
  /* After a request went through, a refusal is news again. */
  act_refusal_clear(&a);
  assert_int_equal(act_refusal_log(&a, 1000.0 + ACT_REFUSAL_REPEAT_MS + 2),
                   1);
  assert_int_equal(lines(f), 4);
  rewind(f);
  char buf[512] = "";
  assert_non_null(fgets(buf, sizeof(buf), f));
  assert_non_null(strstr(buf, "\"level\":\"warn\""));
  assert_non_null(strstr(buf, "minReplicas above maxReplicas"));
  pw_log_stream = NULL;
  fclose(f);
}

/* A backend that fails every other call, saying why only when it fails,
 * and refuses 99. */
struct flaky {
  struct act base;
  long calls;
};

static int flaky_get(struct act *a, struct act_capacity *out) {
  struct flaky *f = (struct flaky *)a;
  *out = (struct act_capacity){1, 1, 1, 0};
  if(f->calls++ % 2 == 0) {
    act_why(a, "HTTP 503 unavailable");
    return PW_EREMOTE;
  }
  return 0;
}

static int flaky_set(struct act *a, long desired, struct act_capacity *out) {
  int rc = flaky_get(a, out);
  if(rc == 0 && desired == 99) {
    act_why(a, "99 is refused");
    out->flags |= ACT_F_REFUSED;
    return PW_EREFUSED;
  }
  return rc;
}

static void flaky_free(struct act *a) {
  pw_free(a);
}

static const struct act_ops flaky_ops = {"flaky", flaky_get, NULL, flaky_set,
                                         flaky_free};

static void why_does_not_outlive_its_call(void **state) {
  (void)state;
  struct flaky *f = pw_calloc(1, sizeof(*f));
  struct act *a = &f->base;
  struct act_capacity c;
  a->ops = &flaky_ops;
  assert_int_equal(act_get(a, &c), PW_EREMOTE);
  assert_string_equal(a->why, "HTTP 503 unavailable");
  ASSERT_OK(act_get(a, &c));
  assert_string_equal(a->why, "");
  assert_int_equal(act_set(a, 3, &c), PW_EREMOTE);
  ASSERT_OK(act_set(a, 3, &c));
  assert_string_equal(a->why, "");
  /* A refusal is remembered; a later success forgets it. */
  f->calls = 1;
  snprintf(a->refusal, sizeof(a->refusal), "99 is refused");
  assert_int_equal(act_set(a, 99, &c), PW_EREFUSED);
  assert_string_equal(a->refusal, "99 is refused");
  f->calls = 1;
  ASSERT_OK(act_set(a, 3, &c));
  assert_string_equal(a->refusal, "");
  act_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(refusals_are_logged_once_per_text),
    cmocka_unit_test(why_does_not_outlive_its_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
