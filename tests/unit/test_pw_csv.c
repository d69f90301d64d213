#include <math.h>

#include "../../common/pw_alloc.h"
#include "../../common/pw_csv.h"
#include "test_util.h"

static int read_text(const char *text, const char *column, int labels,
                     struct pw_csv_column *col, char *err, size_t errlen) {
  char path[512];
  write_temp(path, sizeof(path), text);
  int rc = pw_csv_read_column(path, column, labels, col, err, errlen);
  unlink(path);
  return rc;
}

static void last_column_and_missing(void **state) {
  (void)state;
  struct pw_csv_column col;
  char err[256];
  ASSERT_OK(read_text("time,value\nt0,1.5\nt1,\nt2,NaN\nt3,NA\nt4,-2e3\n",
                      NULL, 1, &col, err, sizeof(err)));
  assert_int_equal(col.n, 5);
  assert_string_equal(col.name, "value");
  ASSERT_NEAR(col.values[0], 1.5, 0);
  assert_true(isnan(col.values[1]));
  assert_true(isnan(col.values[2]));
  assert_true(isnan(col.values[3]));
  ASSERT_NEAR(col.values[4], -2000, 0);
  assert_string_equal(col.labels[4], "t4");
  pw_csv_column_cleanup(&col);
}

static void named_column_quotes_crlf(void **state) {
  (void)state;
  struct pw_csv_column col;
  char err[256];
  ASSERT_OK(read_text("\"time, utc\",count,other\r\n"
                      "\"2024-01-01, 00:00\",7,x\r\n"
                      "\"a \"\"b\"\"\", 8 ,y\r\n",
                      "count", 1, &col, err, sizeof(err)));
  assert_int_equal(col.n, 2);
  ASSERT_NEAR(col.values[0], 7, 0);
  ASSERT_NEAR(col.values[1], 8, 0);
  assert_string_equal(col.labels[0], "2024-01-01, 00:00");
  assert_string_equal(col.labels[1], "a \"b\"");
  pw_csv_column_cleanup(&col);
}

static void errors_name_file_and_line(void **state) {
  (void)state;
  struct pw_csv_column col;
  char err[256];
  assert_int_equal(read_text("t,v\n1,2\n2,abc\n", NULL, 0, &col, err,
                             sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, ":3: value 'abc' is not a number"));
  assert_null(col.values);

  assert_int_equal(read_text("t,v\n1,inf\n", NULL, 0, &col, err,
                             sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, ":2: value 'inf' is not a finite number"));

  assert_int_equal(read_text("t,v\n1,2\n3\n", "v", 0, &col, err,
                             sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, ":3: row has 1 fields"));

  assert_int_equal(read_text("t,v\n1,2\n", "nope", 0, &col, err,
                             sizeof(err)), PW_ENOTFOUND);
  assert_non_null(strstr(err, ":1: no column named 'nope'"));

  assert_int_equal(read_text("", NULL, 0, &col, err, sizeof(err)),
                   PW_EPARSE);
  assert_non_null(strstr(err, "empty file"));

  assert_int_equal(read_text("t,v\n\"1,2\n", NULL, 0, &col, err,
                             sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, ":2: unterminated quoted field"));

  assert_int_equal(pw_csv_read_column("/nonexistent/x.csv", NULL, 0, &col,
                                      err, sizeof(err)), PW_EIO);
  assert_non_null(strstr(err, "/nonexistent/x.csv: cannot open"));
}

static void header_only_is_empty(void **state) {
  (void)state;
  struct pw_csv_column col;
  char err[256];
  ASSERT_OK(read_text("t,v\n", NULL, 0, &col, err, sizeof(err)));
  assert_int_equal(col.n, 0);
  pw_csv_column_cleanup(&col);
}

/* Blank lines at the end are not rows; inside the data they are a missing
 * value (one column) or an error (more). */
static void blank_lines(void **state) {
  (void)state;
  struct pw_csv_column col;
  char err[256];
  ASSERT_OK(read_text("t,v\n1,2\n3,4\n\n \r\n\n", "v", 1, &col, err,
                      sizeof(err)));
  assert_int_equal(col.n, 2);
  assert_string_equal(col.labels[1], "3");
  pw_csv_column_cleanup(&col);
  ASSERT_OK(read_text("v\n5\n\n\n6\n\n", NULL, 1, &col, err,
                      sizeof(err)));
  assert_int_equal(col.n, 4);
  assert_true(isnan(col.values[1]) && isnan(col.values[2]));
  ASSERT_NEAR(col.values[3], 6, 0);
  assert_string_equal(col.labels[2], "");
  pw_csv_column_cleanup(&col);
  assert_int_equal(read_text("t,v\n1,2\n\n3,4\n", "v", 0, &col, err,
                             sizeof(err)), PW_EPARSE);
  assert_non_null(strstr(err, ":4: a blank line (line 3) inside the data"));
}

static void parse_value_rules(void **state) {
  (void)state;
  double v;
  const char *why;
  ASSERT_OK(pw_csv_parse_value(" 12.5 ", &v, &why));
  ASSERT_NEAR(v, 12.5, 0);
  ASSERT_OK(pw_csv_parse_value("nan", &v, &why));
  assert_true(isnan(v));
  assert_int_equal(pw_csv_parse_value("1e999", &v, &why), PW_EPARSE);
  assert_int_equal(pw_csv_parse_value("12x", &v, &why), PW_EPARSE);
}

/* Every allocation failure is reported, never a crash or a leak. */
static void allocation_failures(void **state) {
  (void)state;
  char path[512], err[256];
  struct pw_csv_column col;
  write_temp(path, sizeof(path), "t,v\na,1\nb,2\nc,3\n");
  for(long k = 0; k < 12; k++) {
    pw_alloc_fail_after(k);
    int rc = pw_csv_read_column(path, NULL, 1, &col, err, sizeof(err));
    pw_alloc_fail_after(-1);
    if(rc == 0) {
      assert_int_equal(col.n, 3);
      pw_csv_column_cleanup(&col);
    }
    else {
      assert_int_equal(rc, PW_ENOMEM);
      assert_non_null(strstr(err, "out of memory"));
    }
  }
  unlink(path);
}

/* Issue #12 item 14: messages that say what is wrong and how to fix it. */
static void messages_say_what_to_do(void **state) {
  (void)state;
  struct pw_csv_column col;
  char err[600];
  /* No header: the first value is not taken as the column's name. */
  assert_int_equal(read_text("1,5\n2,6\n", NULL, 0, &col, err, sizeof(err)),
                   PW_EPARSE);
  assert_non_null(strstr(err, ":1: the first row holds data ('5' in "
                              "column 2 is a number), but the file needs a "
                              "header row"));
  assert_null(col.values);
  /* A header whose value column is empty or "NaN" is still a header. */
  ASSERT_OK(read_text("t,\n1,5\n", NULL, 0, &col, err, sizeof(err)));
  assert_int_equal(col.n, 1);
  pw_csv_column_cleanup(&col);
  /* A wrong column lists the columns there are. */
  assert_int_equal(read_text("time,\"lo,ad\",cpu\n1,2,3\n", "load", 0, &col,
                             err, sizeof(err)), PW_ENOTFOUND);
  assert_non_null(strstr(err, "no column named 'load' in the header; the "
                              "columns are 'time', 'lo,ad', 'cpu'"));
  /* Many long names: cut, not overflowed. */
  char wide[8192];
  size_t at = 0;
  for(int i = 0; i < 200; i++)
    at += (size_t)snprintf(wide + at, sizeof(wide) - at, "%scolumn_%03d",
                           i ? "," : "", i);
  snprintf(wide + at, sizeof(wide) - at, "\n");
  assert_int_equal(read_text(wide, "x", 0, &col, err, sizeof(err)),
                   PW_ENOTFOUND);
  assert_non_null(strstr(err, "'column_000', 'column_001'"));
  assert_non_null(strstr(err, "..."));
  /* Cannot read: the system's reason, no line 0. */
  const char *t = getenv("TMPDIR");
  const char *dir = t && *t ? t : "/tmp";
  assert_int_equal(pw_csv_read_column(dir, NULL, 0, &col, err, sizeof(err)),
                   PW_EIO);
  assert_non_null(strstr(err, ": cannot read: Is a directory"));
  assert_null(strstr(err, ":0:"));
  assert_int_equal(pw_csv_read_column("/nonexistent/x.csv", NULL, 0, &col,
                                      err, sizeof(err)), PW_EIO);
  assert_non_null(strstr(err, "cannot open: No such file or directory"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(last_column_and_missing),
    cmocka_unit_test(named_column_quotes_crlf),
    cmocka_unit_test(errors_name_file_and_line),
    cmocka_unit_test(header_only_is_empty),
    cmocka_unit_test(blank_lines),
    cmocka_unit_test(parse_value_rules),
    cmocka_unit_test(allocation_failures),
    cmocka_unit_test(messages_say_what_to_do),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
