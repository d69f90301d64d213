#include "ctl_demo.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/pw_alloc.h"
#include "ctl_cli.h"

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *s) {
  return (double)(next_u64(s) >> 11) * 0x1.0p-53;
}

static double gauss(uint64_t *s) {
  double u = uniform(s), v = uniform(s);
  return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

/* Expected requests per second at time t seconds after a Monday 00:00. */
static double expected_rps(double t) {
  double day = fmod(t, 86400.0) / 3600.0;        /* hour of the day */
  int dow = (int)fmod(t / 86400.0, 7.0);         /* 0 = Monday */
  double morning = exp(-pow((day - 10.0) / 2.2, 2));
  double evening = 0.8 * exp(-pow((day - 20.0) / 2.0, 2));
  double base = 0.12 + morning + evening;
  double week = dow >= 5 ? 0.65 : 1.0;
  double growth = 1.0 + 0.01 * t / 86400.0;      /* +1% a day */
  return 400.0 * base * week * growth;
}

/*
 * Bursts: most are scheduled, as in real services, and a predictive
 * scaler should meet them warm: a weekday lunchtime promotion (12:00 to
 * 12:45, three times the load) and an hourly batch job (the first five
 * minutes of every hour, +60%).  About once a week a flash crowd nobody
 * scheduled (two to four times the load for 10 to 40 minutes) tests the
 * reactive floor.
 */
static double scheduled_burst(double t) {
  double sec = fmod(t, 86400.0), mult = 1;
  int dow = (int)fmod(t / 86400.0, 7.0);
  if(dow < 5 && sec >= 12 * 3600 && sec < 12 * 3600 + 45 * 60)
    mult *= 3.0;
  if(fmod(sec, 3600.0) < 300)
    mult *= 1.6;
  return mult;
}

void ctl_demo_generate(double *load, size_t n, int step_s,
                       unsigned long seed) {
  uint64_t s = seed;
  double burst_left = 0, burst_mult = 1;
  double p_burst = (double)step_s / (7 * 86400.0);

  for(size_t i = 0; i < n; i++) {
    double t = (double)i * step_s;
    double mean = expected_rps(t) * step_s * scheduled_burst(t);
    if(burst_left <= 0 && uniform(&s) < p_burst) {
      burst_left = 600 + 1800 * uniform(&s);
      burst_mult = 2.0 + 2.0 * uniform(&s);
    }
    if(burst_left > 0) {
      mean *= burst_mult;
      burst_left -= step_s;
    }
    /* Poisson-like noise plus 5% extra dispersion. */
    double sd = sqrt(mean) + 0.05 * mean;
    double v = mean + sd * gauss(&s);
    load[i] = v > 0 ? floor(v + 0.5) : 0;
  }
}

static const char usage[] =
  "usage: prewarm demo-trace [--days N] [--step SECONDS] [--seed N]\n"
  "                          [--output FILE]\n"
  "\n"
  "Writes a synthetic request trace as CSV (time,requests; requests per\n"
  "step) starting on a Monday: daily and weekly cycles, growth, noise,\n"
  "scheduled bursts (a weekday lunchtime promotion, an hourly batch job)\n"
  "and about one unscheduled flash crowd a week.  Defaults: 14 days,\n"
  "300-second steps, seed 1, stdout.\n";

int ctl_demo_main(int argc, char **argv) {
  static const struct option longopts[] = {
    {"days", required_argument, NULL, 'd'},
    {"step", required_argument, NULL, 's'},
    {"seed", required_argument, NULL, 'r'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
  long days = 14, step = 300, seed = 1;
  const char *output = NULL;
  int c;

  opterr = 0;
  optind = 1;
  while((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch(c) {
    case 'd':
      if(ctl_cli_long(optarg, 1, 3660, &days))
        return ctl_cli_fail("demo-trace", "--days: '%s' is not a whole "
                            "number from 1 to 3660", optarg);
      break;
    case 's':
      if(ctl_cli_long(optarg, 1, 86400, &step) || 86400 % step)
        return ctl_cli_fail("demo-trace", "--step: '%s' is not a divisor of "
                            "86400 seconds", optarg);
      break;
    case 'r':
      if(ctl_cli_long(optarg, 0, 2147483647L, &seed))
        return ctl_cli_fail("demo-trace", "--seed: '%s' is not a whole "
                            "number from 0 to 2147483647", optarg);
      break;
    case 'o': output = optarg; break;
    case 'h': fputs(usage, stdout); return CTL_EXIT_OK;
    default:
      return ctl_cli_fail("demo-trace", "unknown or incomplete option '%s'",
                          argv[optind - 1]);
    }
  }
  if(optind < argc)
    return ctl_cli_fail("demo-trace", "unexpected argument '%s'",
                        argv[optind]);
  size_t n = (size_t)(days * 86400 / step);
  double *load = pw_malloc(n * sizeof(double));
  if(!load)
    return ctl_cli_fail("demo-trace", "out of memory"), CTL_EXIT_FAIL;
  ctl_demo_generate(load, n, (int)step, (unsigned long)seed);
  FILE *fp = output ? fopen(output, "w") : stdout;
  if(!fp) {
    pw_free(load);
    return ctl_cli_fail("demo-trace", "%s: cannot create: %s", output,
                        strerror(errno));
  }
  /* 2026-01-05 is a Monday. */
  time_t t0 = 1767571200;
  fputs("time,requests\n", fp);
  for(size_t i = 0; i < n; i++) {
    time_t t = t0 + (time_t)(i * (size_t)step);
    struct tm tm;
    char ts[32];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(fp, "%s,%.0f\n", ts, load[i]);
  }
  pw_free(load);
  int bad = ferror(fp);
  if(fp != stdout)
    bad |= fclose(fp);
  if(bad)
    return ctl_cli_fail("demo-trace", "%s: write error",
                        output ? output : "stdout"), CTL_EXIT_FAIL;
  return CTL_EXIT_OK;
}
