/*
 * libFuzzer harness: the four baselines of `prewarm plan` on arbitrary
 * need arrays, warm-ups, periods, steps and training lengths.  Each must
 * write exactly len values and read only need[0..len): the array is its
 * own allocation, so AddressSanitizer sees a read past it.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../controller/ctl_baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int32_t w, period;
  double step_s;
  uint16_t start;
  enum { HDR = sizeof(w) + sizeof(period) + sizeof(step_s) + sizeof(start) };
  if(size < HDR)
    return 0;
  memcpy(&w, data, sizeof(w));
  memcpy(&period, data + 4, sizeof(period));
  memcpy(&step_s, data + 8, sizeof(step_s));
  memcpy(&start, data + 16, sizeof(start));
  /* Small values matter most: fold most of the range onto them. */
  if(w & 0x40000000)
    w %= 64;
  if(period & 0x40000000)
    period %= 64;
  size_t len = (size - HDR) / 2;
  if(len == 0)
    return 0;
  double *need = malloc(len * sizeof(double));
  double *out = malloc(len * sizeof(double));
  if(!need || !out)
    abort();
  for(size_t i = 0; i < len; i++) {
    /* Two bytes a value: whole instance counts as act_sim_needed()
     * makes them, and now and then a NaN or an infinity. */
    uint16_t v;
    memcpy(&v, data + HDR + 2 * i, sizeof(v));
    need[i] = v == 0xffff ? (double)NAN : v == 0xfffe ? (double)INFINITY
                                                       : (double)v;
  }
  ctl_baseline_reactive(need, len, step_s, out);
  ctl_baseline_static(need, len, start, out);
  ctl_baseline_snaive(need, len, w, period, step_s, out);
  ctl_baseline_oracle(need, len, w, out);
  /* The oracle covers the step itself. */
  for(size_t t = 0; t < len; t++) {
    if(!isnan(need[t]) && !(out[t] >= need[t]))
      abort();
  }
  free(need);
  free(out);
  return 0;
}
