/*
 * Secrets scrubbed from error text: URL userinfo, secret query and
 * conninfo parameters, libpq's echo of a malformed connection string (the
 * real messages of the libpq we link), and the caller's own conninfo.
 */
#include <libpq-fe.h>

#include "../../common/pw_scrub.h"
#include "test_util.h"

static void scrubbed(const char *in, const char *known, const char *want) {
  char b[512];
  snprintf(b, sizeof(b), "%s", in);
  pw_scrub_secret(b, sizeof(b), known);
  assert_string_equal(b, want);
}

static void urls_lose_userinfo_and_tokens(void **state) {
  (void)state;
  scrubbed("Failed to connect to http://admin:hunter2@127.0.0.1:1/api: x",
           NULL, "Failed to connect to http://***@127.0.0.1:1/api: x");
  scrubbed("https://u:p@ss@h/x", NULL, "https://***@h/x");
  scrubbed("GET http://h/q?query=up&access_token=abc123&step=60 failed",
           NULL, "GET http://h/q?query=up&access_token=***&step=60 failed");
  scrubbed("http://h/?X-Amz-Signature=dead&X-Amz-Credential=AK/x#f", NULL,
           "http://h/?X-Amz-Signature=***&X-Amz-Credential=***#f");
  /* Nothing secret: unchanged. */
  scrubbed("prometheus http://127.0.0.1:9090: HTTP 401; query: up", NULL,
           "prometheus http://127.0.0.1:9090: HTTP 401; query: up");
  scrubbed("password authentication failed for user \"prewarm\"", NULL,
           "password authentication failed for user \"prewarm\"");
}

static void conninfo_passwords_go(void **state) {
  (void)state;
  scrubbed("host=db password=hunter2 user=x", NULL,
           "host=db password=*** user=x");
  scrubbed("host=db password = 'hun ter\\'2' sslpassword=k", NULL,
           "host=db password=*** sslpassword=***");
  scrubbed("postgresql://app:hunter2@db:5432/x?sslmode=require&password=p2",
           NULL, "postgresql://***@db:5432/x?sslmode=require&password=***");
}

/* What this libpq says about a malformed string, scrubbed. */
static void libpq_says(const char *conninfo, const char *secret) {
  char *err = NULL, b[512];
  PQconninfoOption *o = PQconninfoParse(conninfo, &err);
  assert_null(o);
  assert_non_null(err);
  snprintf(b, sizeof(b), "%s", err);
  PQfreemem(err);
  /* Without the conninfo itself as a known string: the patterns alone. */
  pw_scrub_secret(b, sizeof(b), NULL);
  if(getenv("SCRUB_SHOW"))
    printf("%s -> %s", conninfo, b);
  if(strstr(b, secret))
    fail_msg("%s survives in: %s", secret, b);
  assert_true(strlen(b) > 10);  /* libpq's reason is still there */
}

static void libpq_echo_of_a_malformed_conninfo(void **state) {
  (void)state;
  /* An unquoted space in a password: libpq quotes the tail. */
  libpq_says("host=db password=hun ter2", "ter2");
  libpq_says("host=db password=hunter2 junk", "hunter2");
  libpq_says("postgresql://app:hunter2@[::1/db", "hunter2");
  libpq_says("postgresql://app:hunter2@db/x?password", "hunter2");
  libpq_says("postgresql://app:hun%zzter2@db/x", "hun");
}

static void known_strings_and_small_buffers(void **state) {
  (void)state;
  scrubbed("database \"s3cr3t-db\" does not exist", "s3cr3t-db",
           "database \"***\" does not exist");
  char b[12] = "http://a:b@";
  pw_scrub_secret(b, sizeof(b), NULL);  /* grows: cut, still scrubbed */
  assert_string_equal(b, "http://***@");
  char c[8] = "token=x";
  pw_scrub_secret(c, sizeof(c), NULL);
  assert_string_equal(c, "token=*");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(urls_lose_userinfo_and_tokens),
    cmocka_unit_test(conninfo_passwords_go),
    cmocka_unit_test(libpq_echo_of_a_malformed_conninfo),
    cmocka_unit_test(known_strings_and_small_buffers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
