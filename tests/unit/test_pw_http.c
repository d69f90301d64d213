/*
 * The byte buffer and the pieces of the HTTP client that need no server;
 * the requests themselves are tested against local servers in
 * tests/integration/.
 */
#include "../../common/pw_alloc.h"
#include "../../common/pw_buf.h"
#include "../../common/pw_http.h"
#include "test_util.h"

static void buffer_grows_to_its_cap_and_no_further(void **state) {
  (void)state;
  struct pw_buf b;
  pw_buf_init(&b, 10);
  assert_string_equal(pw_buf_str(&b), "");
  ASSERT_OK(pw_buf_append(&b, "hello", 5));
  ASSERT_OK(pw_buf_printf(&b, "%d", 1234));
  assert_string_equal(pw_buf_str(&b), "hello1234");
  assert_int_equal(pw_buf_append(&b, "xy", 2), PW_ETOOBIG);
  assert_string_equal(pw_buf_str(&b), "hello1234");
  ASSERT_OK(pw_buf_append(&b, "x", 1));
  assert_int_equal(b.len, 10);
  pw_buf_reset(&b);
  assert_string_equal(pw_buf_str(&b), "");
  assert_int_equal(pw_buf_printf(&b, "%s", "a much longer string than 10"),
                   PW_ETOOBIG);
  pw_alloc_fail_after(0);
  struct pw_buf c;
  pw_buf_init(&c, 100);
  assert_int_equal(pw_buf_append(&c, "x", 1), PW_ENOMEM);
  pw_alloc_fail_after(-1);
  pw_buf_cleanup(&b);
  pw_buf_cleanup(&c);
}

/* The SigV4 canonical encoding: unreserved kept, the rest %XX upper. */
static void encodes_as_sigv4_canonical_form(void **state) {
  (void)state;
  struct pw_buf b;
  pw_buf_init(&b, 1024);
  ASSERT_OK(pw_http_encode(&b, "ab/c+d==~_.-Z9 é"));
  assert_string_equal(pw_buf_str(&b), "ab%2Fc%2Bd%3D%3D~_.-Z9%20%C3%A9");
  pw_buf_reset(&b);
  ASSERT_OK(pw_http_encode(&b, ""));
  assert_string_equal(pw_buf_str(&b), "");
  pw_buf_cleanup(&b);
}

static void finds_headers_and_retry_after(void **state) {
  (void)state;
  struct pw_http_resp r;
  char v[64];
  pw_http_resp_init(&r);
  ASSERT_OK(pw_buf_printf(&r.headers,
                          "HTTP/1.1 429 Too Many Requests\r\n"
                          "Content-Type: application/json\r\n"
                          "x-amzn-ErrorType:  TooManyRequestsException:ab \r\n"
                          "Retry-After: 7\r\n\r\n"));
  assert_string_equal(pw_http_header(&r, "X-AMZN-ERRORTYPE", v, sizeof(v)),
                      "TooManyRequestsException:ab");
  assert_null(pw_http_header(&r, "x-amzn", v, sizeof(v)));
  assert_int_equal(pw_http_retry_after_ms(&r), 7000);
  pw_buf_reset(&r.headers);
  ASSERT_OK(pw_buf_printf(&r.headers, "HTTP/1.1 503 x\r\n"
                          "Retry-After: soon\r\n\r\n"));
  assert_int_equal(pw_http_retry_after_ms(&r), -1);
  pw_buf_reset(&r.headers);
  ASSERT_OK(pw_buf_printf(&r.headers, "HTTP/1.1 503 x\r\n"
                          "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"));
  assert_int_equal(pw_http_retry_after_ms(&r), 0);  /* in the past */
  pw_http_resp_cleanup(&r);
}

/* A transport failure is reported with its reason and retried by the
 * policy: nothing listens on port 1 of loopback. */
static void reports_and_retries_a_refused_connection(void **state) {
  (void)state;
  struct pw_http c;
  struct pw_http_resp r;
  struct pw_retry p;
  int attempts = 0;
  ASSERT_OK(pw_http_init(&c));
  pw_http_resp_init(&r);
  pw_retry_default(&p);
  p.base_ms = 1;
  p.max_attempts = 3;
  struct pw_http_req q = {.method = "GET", .url = "http://127.0.0.1:1/x",
                          .timeout_ms = 2000};
  assert_int_equal(pw_http_call(&c, &q, &p, &r, &attempts), PW_EIO);
  assert_int_equal(attempts, 3);
  assert_int_equal(r.status, 0);
  assert_true(strlen(r.error) > 0);
  pw_http_resp_cleanup(&r);
  pw_http_cleanup(&c);
}

static void rate_limiter_spaces_takes(void **state) {
  (void)state;
  struct pw_rate r;
  pw_rate_init(&r, 100.0, 2);
  pw_rate_take(&r);
  pw_rate_take(&r);
  assert_int_equal(r.waits, 0);
  pw_rate_take(&r);  /* the bucket is empty: this one waits ~10 ms */
  assert_true(r.waits >= 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(buffer_grows_to_its_cap_and_no_further),
    cmocka_unit_test(encodes_as_sigv4_canonical_form),
    cmocka_unit_test(finds_headers_and_retry_after),
    cmocka_unit_test(reports_and_retries_a_refused_connection),
    cmocka_unit_test(rate_limiter_spaces_takes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
