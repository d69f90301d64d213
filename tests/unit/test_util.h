/*
 * Shared helpers for the cmocka unit tests.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define ASSERT_OK(expr) assert_int_equal((expr), 0)
#define ASSERT_NEAR(a, b, tol)                                          \
  do {                                                                  \
    double a_ = (a), b_ = (b);                                          \
    if(!(fabs(a_ - b_) <= (tol)))                                       \
      fail_msg("%s = %.12g, expected %.12g within %g", #a, a_, b_,      \
               (double)(tol));                                          \
  } while(0)

/* Writes text to a new temporary file (in $TMPDIR, else /tmp) and puts
 * its path into the caller's buffer. */
static inline void write_temp(char *path, size_t len, const char *text) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, len, "%s/prewarm-test-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t n = strlen(text);
  assert_int_equal(write(fd, text, n), (ssize_t)n);
  close(fd);
}

/* A small deterministic generator for test noise. */
static inline double test_noise(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53 - 0.5;  /* uniform in [-0.5, 0.5) */
}

#endif
