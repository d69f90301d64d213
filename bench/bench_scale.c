/*
 * The daemon at scale: N targets (10,000 by default; PREWARM_SCALE_TARGETS
 * sets another count) with two weeks of one-minute history each, as
 * prewarm run holds them.  Prints the memory per target, the time of the
 * first fits, and the time of a full tick (update, forecast, decide for
 * every target, including the hourly refits that fall due), against the
 * targets of issue 6: under 1 s a tick and under 200 KiB a target.
 * Asserts nothing; the machine is shared, so compare within one run.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"
#include "../controller/ctl_demo.h"
#include "../controller/ctl_settings.h"
#include "../controller/ctl_target.h"
#include "bench_target.h"

int main(void) {
  const char *env = getenv("PREWARM_SCALE_TARGETS");
  long n = env ? atol(env) : 10000;
  const int64_t t0 = 1800000000000LL, step = 60000;
  gsl_set_error_handler_off();
  pw_log_threshold = PW_LOG_ERROR;
  if(n <= 0)
    return 0;
  double *load = malloc((STEPS + 64) * sizeof(double));
  int64_t *ts = malloc((STEPS + 64) * sizeof(int64_t));
  struct ctl_target **t = calloc((size_t)n, sizeof(*t));
  if(!load || !ts || !t)
    return 1;
  ctl_demo_generate(load, STEPS + 64, 60, 7);
  for(int i = 0; i < STEPS + 64; i++)
    ts[i] = t0 + i * step;
  size_t before = heap_bytes();
  double w = pw_clock_mono_ms();
  struct ctl_target_cfg c;
  cfg_for(&c, t0);
  char err[128];
  for(long i = 0; i < n; i++) {
    c.phase = (double)i / (double)n;  /* as the daemon spreads refits */
    if(ctl_target_new(&c, &t[i], err, sizeof(err)))
      return 1;
    ctl_target_observe(t[i], ts, load, STEPS);
  }
  double load_ms = pw_clock_mono_ms() - w;
  /* The first tick fits every model, as a daemon's start does. */
  struct ctl_decision d;
  struct act_capacity cap;
  w = pw_clock_mono_ms();
  for(long i = 0; i < n; i++)
    (void)ctl_target_tick(t[i], t0 + STEPS * step, NULL, &d, &cap);
  double fit_ms = pw_clock_mono_ms() - w;
  size_t per = (heap_bytes() - before) / (size_t)n;
  /* Steady ticks for an hour: one new sample each, and the hourly refits
   * as they fall due, spread over the hour as the daemon spreads them. */
  double worst = 0, sum = 0;
  int ticks = 0;
  for(int k = 0; k < 61; k++) {
    int64_t now = t0 + (STEPS + 1 + k) * step;
    w = pw_clock_mono_ms();
    for(long i = 0; i < n; i++) {
      ctl_target_observe(t[i], &ts[STEPS + k], &load[STEPS + k], 1);
      (void)ctl_target_tick(t[i], now, NULL, &d, &cap);
    }
    double ms = pw_clock_mono_ms() - w;
    sum += ms;
    ticks++;
    if(ms > worst)
      worst = ms;
  }
  printf("scale: %ld targets, two weeks of 1-minute history each\n", n);
  printf("scale: loading the history     %8.0f ms\n", load_ms);
  printf("scale: first fits (at start)   %8.0f ms (%.2f ms a target)\n",
         fit_ms, fit_ms / (double)n);
  printf("scale: a tick (mean of %d)     %8.1f ms\n", ticks, sum / ticks);
  printf("scale: the slowest tick        %8.1f ms  target < 1000 ms: %s\n",
         worst, worst < 1000 ? "met" : "NOT MET");
  printf("scale: memory a target         %8.1f KiB target < 200 KiB: %s\n",
         (double)per / 1024.0, per < 200 * 1024 ? "met" : "NOT MET");
  for(long i = 0; i < n; i++)
    ctl_target_free(&t[i]);
  free(t);
  free(load);
  free(ts);
  return 0;
}
