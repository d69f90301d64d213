/*
 * libFuzzer harness: the forecast engine on arbitrary series (gaps, huge
 * and tiny values, flat stretches), with every model, period detection and
 * automatic selection.  It must fit or refuse and never crash (ASan,
 * UBSan), and a forecast's spread is never negative nor its quantiles
 * crossed.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../../forecast/fc_fit.h"
#include "../../forecast/fc_period.h"
#include "../../forecast/fc_select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const struct fc_model *m, int h) {
  struct fc_path p;
  double q[2] = {0.5, 0.95};
  if(fc_path_init(&p, h, 2))
    return;
  if(fc_forecast(m, h, q, 2, &p) == 0) {
    for(int k = 0; k < h; k++) {
      /* The spread is never negative and quantiles never cross: the
       * tables are sorted and the standard deviation is a square root. */
      if(p.sd[k] < 0)
        abort();
      double lo = p.q[2 * k], hi = p.q[2 * k + 1];
      if(isfinite(lo) && isfinite(hi) && lo > hi)
        abort();
    }
  }
  fc_path_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int init;
  if(!init) {
    gsl_set_error_handler_off();
    init = 1;
  }
  if(size < 4)
    return 0;
  int period = 2 + data[0] % 24;
  double scale = pow(10.0, (data[1] % 13) - 6);  /* 1e-6 .. 1e6 */
  size_t n = (size - 2) / 2;
  if(n > 4096)
    n = 4096;
  double *y = malloc(n * sizeof(double));
  if(!y)
    return 0;
  for(size_t i = 0; i < n; i++) {
    int16_t v = (int16_t)(data[2 + 2 * i] | data[3 + 2 * i] << 8);
    y[i] = v == INT16_MIN ? (double)NAN : v * scale;
  }
  struct fc_period_info pi;
  (void)fc_period_detect(y, n, 0, &pi);
  for(int k = 0; k < FC_KIND_COUNT; k++) {
    struct fc_spec s = {.kind = (enum fc_kind)k, .period = period,
                        .period2 = k == FC_DSHW ? 2 * period : 0,
                        .fit_h = period > 3 ? 3 : 1,
                        .clip_k = data[1] & 0x80 ? 3 : 0};
    struct fc_model *m = NULL;
    if(fc_fit(y, n, &s, NULL, &m, NULL) == 0) {
      check_path(m, 2 * period);
      fc_update(m, y[0]);
      fc_update(m, (double)NAN);
      check_path(m, 1);
      fc_model_free(&m);
    }
  }
  struct fc_spec base = {.period = period};
  struct fc_model *m = NULL;
  struct fc_choice ch;
  if(fc_select(y, n, &base, 4, &m, &ch, NULL) == 0) {
    check_path(m, 4);
    fc_model_free(&m);
  }
  free(y);
  return 0;
}
