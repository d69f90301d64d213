/*
 * libFuzzer harness: CloudWatch GetMetricData replies (JSON 1.0) on
 * arbitrary bytes, through tel_cw_parse as the source reads each page.
 * Each must be accepted or refused with a message, never crash, leak or
 * read out of bounds; what is taken lies on the grid inside the range,
 * in order, finite and not negative.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../common/pw_alloc.h"
#include "../../telemetry/tel_cw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  enum { STEP = 60000, FIRST = 1800000000000LL / STEP * STEP };
  const int64_t first = FIRST, end = FIRST + 120 * (int64_t)STEP;
  struct tel_samples s = {0};
  long rejected = 0;
  char err[256] = "";
  char *next = NULL;
  /* Two pages in a row, as a paginated fetch reads them: the second
   * continues from where the first left *prev. */
  for(int fill = 0; fill < 2; fill++) {
    int64_t prev = INT64_MIN;
    s.n = 0;
    for(int page = 0; page < 2; page++) {
      err[0] = '\0';
      int rc = tel_cw_parse((const char *)data, size, first, end, STEP, fill,
                            &prev, &s, &rejected, &next, err, sizeof(err));
      if(rc != 0 && (err[0] == '\0' || next))
        __builtin_trap();  /* an error says why and leaves no token */
      pw_free(next);
      next = NULL;
    }
    for(size_t i = 0; i < s.n; i++) {
      if(s.ts_ms[i] < first || s.ts_ms[i] >= end ||
         (s.ts_ms[i] - first) % STEP)
        __builtin_trap();  /* only the grid, inside the range */
      if(i > 0 && s.ts_ms[i] <= s.ts_ms[i - 1])
        __builtin_trap();  /* in order, no duplicates */
      if(!isfinite(s.v[i]) || s.v[i] < 0)
        __builtin_trap();  /* a load is finite and not negative */
    }
  }
  tel_samples_cleanup(&s);
  return 0;
}
