#include "ctl_cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int ctl_cli_fail(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "prewarm %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return CTL_EXIT_USAGE;
}

int ctl_cli_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if(end == s || *end || errno || v < lo || v > hi)
    return PW_EINVAL;
  *out = v;
  return 0;
}

int ctl_cli_double(const char *s, double lo, double hi, int inclusive,
                   double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if(end == s || *end || errno || !isfinite(v))
    return PW_EINVAL;
  if(inclusive ? (v < lo || v > hi) : (v <= lo || v >= hi))
    return PW_EINVAL;
  *out = v;
  return 0;
}
