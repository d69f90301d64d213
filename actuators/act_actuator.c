#include "act_actuator.h"

#include <stdarg.h>
#include <stdio.h>

void act_why(struct act *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  /* A long name may cut the text short; that is fine for a message. */
  vsnprintf(a->why, sizeof(a->why), fmt, ap);
  va_end(ap);
}
