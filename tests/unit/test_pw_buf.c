/*
 * Secret files: read and trimmed, and a warning (naming the file, never
 * the content) when group or others may read them, once per caller
 * until the mode is fixed.
 */
#include <sys/stat.h>

#include "../../common/pw_buf.h"
#include "../../common/pw_log.h"
#include "test_util.h"

static char logbuf[4096];

/* Reads path with pw_buf_read_secret; returns how many lines it logged. */
static int read_logged(struct pw_buf *b, const char *path, int *warned,
                       int *rc) {
  memset(logbuf, 0, sizeof(logbuf));
  FILE *fp = fmemopen(logbuf, sizeof(logbuf) - 1, "w");
  assert_non_null(fp);
  pw_log_stream = fp;
  *rc = pw_buf_read_secret(b, path, "bearer token", warned);
  pw_log_stream = NULL;
  fclose(fp);
  int lines = 0;
  for(const char *p = logbuf; *p; p++)
    lines += *p == '\n';
  return lines;
}

static void secret_files_warn_when_shared(void **state) {
  (void)state;
  char path[256];
  struct pw_buf b;
  int warned = 0, rc;
  pw_buf_init(&b, 1024);
  write_temp(path, sizeof(path), "s3cret-tok \r\n\n");
  assert_int_equal(chmod(path, 0644), 0);
  assert_int_equal(read_logged(&b, path, &warned, &rc), 1);
  ASSERT_OK(rc);
  assert_string_equal(pw_buf_str(&b), "s3cret-tok");
  assert_non_null(strstr(logbuf, "\"level\":\"warn\""));
  assert_non_null(strstr(logbuf, path));
  assert_non_null(strstr(logbuf, "bearer token"));
  assert_non_null(strstr(logbuf, "\"mode\":\"0644\""));
  assert_null(strstr(logbuf, "s3cret"));
  /* Read again (a token is re-read every fetch): said once. */
  assert_int_equal(read_logged(&b, path, &warned, &rc), 0);
  assert_string_equal(pw_buf_str(&b), "s3cret-tok");
  /* Fixed: quiet; broken again: said again. */
  assert_int_equal(chmod(path, 0600), 0);
  assert_int_equal(read_logged(&b, path, &warned, &rc), 0);
  assert_int_equal(chmod(path, 0640), 0);
  assert_int_equal(read_logged(&b, path, &warned, &rc), 1);
  /* Without state: every time. */
  assert_int_equal(read_logged(&b, path, NULL, &rc), 1);
  unlink(path);
  /* Missing: PW_EIO with errno. */
  assert_int_equal(read_logged(&b, path, &warned, &rc), 0);
  assert_int_equal(rc, PW_EIO);
  pw_buf_cleanup(&b);
}

/* The first error of an append is kept; the unchecked adders then do
 * nothing, so a writer asks once; a reset clears it. */
static void the_first_error_is_kept(void **state) {
  (void)state;
  struct pw_buf b;
  pw_buf_init(&b, 12);
  pw_buf_adds(&b, "ab");
  pw_buf_addf(&b, "%d", 12);
  assert_int_equal(pw_buf_error(&b), 0);
  pw_buf_addf(&b, "%s", "far too long for it");
  assert_int_equal(pw_buf_error(&b), PW_ETOOBIG);
  pw_buf_adds(&b, "c");
  pw_buf_add_json(&b, "d");
  assert_string_equal(pw_buf_str(&b), "ab12");
  pw_buf_reset(&b);
  assert_int_equal(pw_buf_error(&b), 0);
  pw_buf_add_json(&b, "q\"");
  assert_string_equal(pw_buf_str(&b), "\"q\\\"\"");
  pw_buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(the_first_error_is_kept),
    cmocka_unit_test(secret_files_warn_when_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
