/*
 * The YAML tree: values, positions, errors and base64.
 */
#include "../../common/pw_alloc.h"
#include "../../common/pw_yaml.h"
#include "test_util.h"

static void reads_maps_lists_and_positions(void **state) {
  (void)state;
  const char *doc = "a: 1\n"
                    "b:\n"
                    "  - x\n"
                    "  - {k: 'q v'}\n"
                    "c: {d: e}\n";
  struct pw_yaml *y = NULL;
  char err[128];
  ASSERT_OK(pw_yaml_parse(doc, strlen(doc), &y, err, sizeof(err)));
  assert_string_equal(pw_yaml_str(y, "a"), "1");
  const struct pw_yaml *b = pw_yaml_get(y, "b");
  assert_int_equal(b->type, PW_YAML_SEQ);
  assert_int_equal(b->nkids, 2);
  assert_string_equal(b->kids[0]->value, "x");
  assert_int_equal(b->kids[0]->line, 3);
  assert_int_equal(b->kids[0]->col, 5);
  assert_string_equal(pw_yaml_str(b->kids[1], "k"), "q v");
  assert_true(pw_yaml_get(b->kids[1], "k")->quoted);
  assert_string_equal(pw_yaml_str(pw_yaml_get(y, "c"), "d"), "e");
  assert_null(pw_yaml_get(y, "missing"));
  assert_null(pw_yaml_str(y, "b"));  /* not a scalar */
  assert_null(pw_yaml_get(b, "x"));  /* not a map */
  pw_yaml_free(&y);
  assert_null(y);
}

static void errors_name_line_and_column(void **state) {
  (void)state;
  struct pw_yaml *y = NULL;
  char err[128];
  const char *bad = "a: 1\nb: [1, 2\n";
  assert_int_equal(pw_yaml_parse(bad, strlen(bad), &y, err, sizeof(err)),
                   PW_EPARSE);
  assert_null(y);
  assert_true(strncmp(err, "3:1: ", 5) == 0 || strncmp(err, "2:", 2) == 0);
  const char *alias = "a: &x 1\nb: *x\n";
  assert_int_equal(pw_yaml_parse(alias, strlen(alias), &y, err, sizeof(err)),
                   PW_EPARSE);
  assert_non_null(strstr(err, "aliases"));
  ASSERT_OK(pw_yaml_parse("", 0, &y, err, sizeof(err)));
  assert_int_equal(y->type, PW_YAML_MAP);
  assert_int_equal(y->nkids, 0);
  pw_yaml_free(&y);
  /* Every allocation failure is reported, and nothing leaks. */
  const char *doc = "a: [1, {b: c}]\nd: e\n";
  for(long n = 0; n < 12; n++) {
    pw_alloc_fail_after(n);
    int rc = pw_yaml_parse(doc, strlen(doc), &y, err, sizeof(err));
    pw_alloc_fail_after(-1);
    assert_true(rc == 0 || rc == PW_ENOMEM);
    pw_yaml_free(&y);
  }
}

static void decodes_base64(void **state) {
  (void)state;
  char *out = NULL;
  size_t n = 0;
  ASSERT_OK(pw_base64_decode("aGVs\nbG8h", &out, &n));
  assert_string_equal(out, "hello!");
  assert_int_equal(n, 6);
  pw_free(out);
  ASSERT_OK(pw_base64_decode("YQ==", &out, &n));
  assert_string_equal(out, "a");
  pw_free(out);
  assert_int_equal(pw_base64_decode("a$b", &out, &n), PW_EPARSE);
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(reads_maps_lists_and_positions),
    cmocka_unit_test(errors_name_line_and_column),
    cmocka_unit_test(decodes_base64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
