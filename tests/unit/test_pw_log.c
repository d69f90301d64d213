/*
 * The JSON-line log: every line parses as JSON with time, level and
 * message; the thread's target and the caller's fields are keys of their
 * own; escaping, numbers, null for NaN, the threshold and truncation.
 */
#include <math.h>

#include <cjson/cJSON.h>

#include "../../common/pw_log.h"
#include "test_util.h"

/* Logs through fn into a temporary file and returns the lines parsed. */
static cJSON *capture(void (*fn)(void)) {
  FILE *fp = tmpfile();
  assert_non_null(fp);
  pw_log_stream = fp;
  fn();
  pw_log_stream = NULL;
  rewind(fp);
  cJSON *arr = cJSON_CreateArray();
  char line[8192];
  while(fgets(line, sizeof(line), fp)) {
    size_t n = strlen(line);
    assert_true(n > 0 && line[n - 1] == '\n');
    cJSON *j = cJSON_Parse(line);
    if(!j)
      fail_msg("not JSON: %s", line);
    cJSON_AddItemToArray(arr, j);
  }
  fclose(fp);
  return arr;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void plain_and_fields(void) {
  pw_log(PW_LOG_INFO, "started %d targets", 3);
  const char *old = pw_log_target("check\"out\n");
  assert_null(old);
  pw_logf(PW_LOG_WARN,
          PW_LF(PW_LF_NUM("desired", 12), PW_LF_STR("error", "a\\b\tc"),
                PW_LF_NUM("ratio", NAN), PW_LF_NUM("x", 0.25),
                PW_LF_STR("none", NULL)),
          "actuation failed");
  pw_log_target(NULL);
  pw_log(PW_LOG_DEBUG, "below the threshold");
}

static void lines_are_json_with_keys(void **state) {
  (void)state;
  cJSON *a = capture(plain_and_fields);
  assert_int_equal(cJSON_GetArraySize(a), 2);
  const cJSON *l0 = cJSON_GetArrayItem(a, 0), *l1 = cJSON_GetArrayItem(a, 1);
  const char *t = str(l0, "time");
  assert_non_null(t);
  assert_int_equal(strlen(t), strlen("2026-11-23T06:00:00.000Z"));
  assert_int_equal(t[10], 'T');
  assert_int_equal(t[23], 'Z');
  assert_string_equal(str(l0, "level"), "info");
  assert_string_equal(str(l0, "message"), "started 3 targets");
  assert_null(cJSON_GetObjectItemCaseSensitive(l0, "target"));
  assert_string_equal(str(l1, "level"), "warn");
  assert_string_equal(str(l1, "target"), "check\"out\n");
  assert_string_equal(str(l1, "message"), "actuation failed");
  assert_string_equal(str(l1, "error"), "a\\b\tc");
  assert_string_equal(str(l1, "none"), "");
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(l1, "desired");
  assert_true(cJSON_IsNumber(d));
  assert_int_equal(d->valueint, 12);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l1, "ratio")));
  d = cJSON_GetObjectItemCaseSensitive(l1, "x");
  assert_true(cJSON_IsNumber(d));
  ASSERT_NEAR(d->valuedouble, 0.25, 0);
  cJSON_Delete(a);
}

static void long_lines_are_cut_but_stay_json(void) {
  char big[6000];
  memset(big, '"', sizeof(big) - 1);  /* each escapes to two bytes */
  big[sizeof(big) - 1] = '\0';
  pw_log(PW_LOG_ERROR, "%s", big);
  pw_logf(PW_LOG_ERROR, PW_LF(PW_LF_STR("a", big), PW_LF_STR("b", big),
                              PW_LF_NUM("n", 1)), "short");
}

static void long_lines(void **state) {
  (void)state;
  cJSON *a = capture(long_lines_are_cut_but_stay_json);
  assert_int_equal(cJSON_GetArraySize(a), 2);
  const cJSON *l0 = cJSON_GetArrayItem(a, 0), *l1 = cJSON_GetArrayItem(a, 1);
  const char *m = str(l0, "message");
  assert_non_null(m);
  assert_true(strlen(m) > 1000);
  assert_true(strspn(m, "\"") == strlen(m));
  assert_string_equal(str(l1, "message"), "short");
  assert_non_null(str(l1, "a"));  /* cut; b and n did not fit */
  cJSON_Delete(a);
}

static void levels_parse(void **state) {
  (void)state;
  enum pw_log_level l;
  ASSERT_OK(pw_log_level_parse("warn", &l));
  assert_int_equal(l, PW_LOG_WARN);
  assert_int_equal(pw_log_level_parse("verbose", &l), PW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(lines_are_json_with_keys),
    cmocka_unit_test(long_lines),
    cmocka_unit_test(levels_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
