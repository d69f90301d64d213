#include "pw_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after Howard
 * Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int pw_time_parse(const char *s, int64_t *out_ms) {
  int y, mo, d, h, mi, n = 0;
  double sec = 0;
  while(isspace((unsigned char)*s))
    s++;
  if(sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 &&
     n > 0) {
    const char *p = s + n;
    if(*p == ':') {
      char *end;
      sec = strtod(p + 1, &end);
      p = end;
    }
    if(*p == 'Z')
      p++;
    if(*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
       sec < 0 || sec >= 61)
      return PW_EPARSE;
    int64_t days = days_from_civil(y, mo, d);
    *out_ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)(sec * 1000);
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if(end != s && !*end && !errno && v > 1e8 && v < 1e11) {
    *out_ms = (int64_t)(v * 1000);
    return 0;
  }
  return PW_EPARSE;
}

int pw_time_step(char *const *labels, size_t n, int64_t *step_ms) {
  enum { MAXD = 1000 };
  int64_t diffs[MAXD], prev = 0;
  size_t nd = 0;
  int have = 0;
  for(size_t i = 0; labels && i < n && nd < MAXD; i++) {
    int64_t t;
    if(pw_time_parse(labels[i], &t)) {
      have = 0;
      continue;
    }
    if(have && t > prev)
      diffs[nd++] = t - prev;
    prev = t;
    have = 1;
  }
  if(nd < 2)
    return PW_ENOTFOUND;
  /* The most common difference (a gap makes a longer one). */
  int64_t best = 0;
  size_t bestc = 0;
  for(size_t i = 0; i < nd; i++) {
    size_t c = 0;
    for(size_t j = 0; j < nd; j++)
      c += diffs[j] == diffs[i];
    if(c > bestc) {
      bestc = c;
      best = diffs[i];
    }
    if(bestc * 2 > nd)
      break;
  }
  if(bestc * 10 < nd * 9)
    return PW_ENOTFOUND;
  *step_ms = best;
  return 0;
}

void pw_time_gaps(char *const *labels, size_t n, int64_t step_ms,
                  struct pw_time_gaps *out) {
  int64_t prev = 0;
  int have = 0;
  memset(out, 0, sizeof(*out));
  for(size_t i = 0; labels && i < n; i++) {
    int64_t t;
    if(pw_time_parse(labels[i], &t))
      continue;
    if(have && t - prev != step_ms) {
      if(out->count++ == 0) {
        out->first = i;
        out->first_ms = t - prev;
      }
    }
    prev = t;
    have = 1;
  }
}
