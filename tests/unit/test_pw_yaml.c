/*
 * The YAML tree: values, positions, errors and base64.
 */
#include "../../common/pw_alloc.h"
#include "../../common/pw_buf.h"
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

/* A document of `depth` nested flow lists: "[[[...]]]". */
static char *nested(size_t depth) {
  char *s = malloc(2 * depth + 1);
  assert_non_null(s);
  memset(s, '[', depth);
  memset(s + depth, ']', depth);
  s[2 * depth] = '\0';
  return s;
}

static void deep_nesting_is_refused(void **state) {
  (void)state;
  struct pw_yaml *y = NULL;
  char err[256];
  /* 50,000 levels crashed the recursive builder (a stack overflow). */
  char *s = nested(50000);
  assert_int_equal(pw_yaml_parse(s, strlen(s), &y, err, sizeof(err)),
                   PW_EPARSE);
  assert_null(y);
  assert_string_equal(err, "1:65: nesting deeper than 64 levels");
  free(s);
  s = nested(PW_YAML_MAX_DEPTH);
  ASSERT_OK(pw_yaml_parse(s, strlen(s), &y, err, sizeof(err)));
  pw_yaml_free(&y);
  free(s);
  /* The same in block style: one "- " more per line. */
  struct pw_buf b;
  pw_buf_init(&b, 1u << 20);
  for(int i = 0; i < 70; i++)
    ASSERT_OK(pw_buf_printf(&b, "%*s- x: 1\n%*s  y:\n", 2 * i, "", 2 * i,
                            ""));
  assert_int_equal(pw_yaml_parse(pw_buf_str(&b), b.len, &y, err,
                                 sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, ": nesting deeper than 64 levels"));
  pw_buf_cleanup(&b);
}

static void node_count_is_bounded(void **state) {
  (void)state;
  struct pw_yaml *y = NULL;
  char err[256];
  struct pw_buf b;
  pw_buf_init(&b, 8u << 20);
  ASSERT_OK(pw_buf_append(&b, "[", 1));
  for(long i = 0; i < PW_YAML_MAX_NODES; i++)
    ASSERT_OK(pw_buf_append(&b, "1,", 2));
  ASSERT_OK(pw_buf_append(&b, "]", 1));
  /* The list and its items: one node more than the bound. */
  assert_int_equal(pw_yaml_parse(pw_buf_str(&b), b.len, &y, err,
                                 sizeof(err)), PW_EPARSE);
  assert_null(y);
  assert_non_null(strstr(err, "more than 1000000 values"));
  /* One item fewer fits. */
  b.len -= 3;
  ASSERT_OK(pw_buf_append(&b, "]", 1));
  ASSERT_OK(pw_yaml_parse(pw_buf_str(&b), b.len, &y, err, sizeof(err)));
  assert_int_equal(y->nkids, PW_YAML_MAX_NODES - 1);
  pw_yaml_free(&y);
  pw_buf_cleanup(&b);
}

static void one_document_only(void **state) {
  (void)state;
  struct pw_yaml *y = NULL;
  char err[256];
  const char *two = "a: 1\n---\nb: 2\n";
  assert_int_equal(pw_yaml_parse(two, strlen(two), &y, err, sizeof(err)),
                   PW_EPARSE);
  assert_null(y);
  assert_string_equal(err, "2:1: a second YAML document (---) is not "
                      "supported; keep one document in the file");
  const char *one = "---\na: 1\n...\n";
  ASSERT_OK(pw_yaml_parse(one, strlen(one), &y, err, sizeof(err)));
  assert_string_equal(pw_yaml_str(y, "a"), "1");
  pw_yaml_free(&y);
  /* No document at all: an empty map at line 0. */
  const char *none = "# only a comment\n";
  ASSERT_OK(pw_yaml_parse(none, strlen(none), &y, err, sizeof(err)));
  assert_int_equal(y->type, PW_YAML_MAP);
  assert_int_equal(y->line, 0);
  pw_yaml_free(&y);
}

static void syntax_errors_in_the_users_terms(void **state) {
  (void)state;
  static const struct {
    const char *doc, *want;
  } cases[] = {
    {"a: 1\nb\nc: 2\n", "3:1: a key is missing its ': ' or the "
     "indentation is inconsistent"},
    {"a:\n  b: 1\n c: 2\n", "3:2: a key is missing its ': ' or the "
     "indentation is inconsistent"},
    {"a:\n\tb: 1\n", "2:1: a tab character is used for indentation; "
     "indent with spaces"},
    {"a: 'x\n", "1:4: a quoted string is not closed"},
    {"a: \"x\nb: 2\n", "1:4: a quoted string is not closed"},
    {"a: [1, 2\n", "1:4: a [ list ] is not closed, or an item lacks "
     "its ','"},
    {"a: {b: 1\n", "1:4: a { map } is not closed, or an entry lacks "
     "its ','"},
    {"a: b: c\n", "1:5: a value holds ': '; quote it"},
    {"a: \"\\q\"\n", "1:4: a double-quoted string holds an unknown "
     "escape (\\q); write \\\\ or use single quotes"},
    {"a: @x\n", "1:4: a value cannot start with '@'; quote it"},
    {"- a\nb: 1\n", "2:1: a list item is missing its '- ' or the "
     "indentation is inconsistent"},
    {"a: [\n", "2:1: the file ends inside a value: a [ list ] or { map } "
     "is not closed"},
    {"a: 1\x01\n", "1:5: the file holds a control character or is not "
     "UTF-8 text"},
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct pw_yaml *y = NULL;
    char err[256];
    assert_int_equal(pw_yaml_parse(cases[i].doc, strlen(cases[i].doc), &y,
                                   err, sizeof(err)), PW_EPARSE);
    if(strcmp(err, cases[i].want) != 0)
      fail_msg("%s\n  got  %s\n  want %s", cases[i].doc, err, cases[i].want);
  }
}

static void cannot_read_says_why(void **state) {
  (void)state;
  struct pw_yaml *y = NULL;
  char err[256];
  assert_int_equal(pw_yaml_load("/nonexistent/x.yaml", 1024, &y, err,
                                sizeof(err)), PW_EIO);
  assert_string_equal(err, "/nonexistent/x.yaml: cannot read: No such file "
                      "or directory");
  assert_int_equal(pw_yaml_load("/", 1024, &y, err, sizeof(err)), PW_EIO);
  assert_string_equal(err, "/: cannot read: Is a directory");
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
    cmocka_unit_test(deep_nesting_is_refused),
    cmocka_unit_test(node_count_is_bounded),
    cmocka_unit_test(one_document_only),
    cmocka_unit_test(syntax_errors_in_the_users_terms),
    cmocka_unit_test(cannot_read_says_why),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
