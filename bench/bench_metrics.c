/*
 * /metrics at scale: a daemon with N targets (10,000 by default;
 * PREWARM_SCALE_TARGETS sets another count), each a demo source with the
 * dry-run actuator, after two ticks.  Prints the size of the exposition,
 * the time to render it and the time of a whole scrape over HTTP on
 * loopback (libmicrohttpd and libcurl, as Prometheus would fetch it),
 * against issue 6's target: a scrape under 100 ms.  The targets keep one
 * day of history with a daily season, so no model is fitted: what a
 * scrape costs does not depend on the models.  Asserts nothing; the
 * machine is shared, so compare within one run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gsl/gsl_errno.h>

#include "../common/pw_buf.h"
#include "../common/pw_clock.h"
#include "../common/pw_log.h"
#include "../config/cfg.h"
#include "../controller/ctl_daemon.h"
#include "../controller/ctl_http.h"

#define RUNS 9

static int write_config(const char *path, long n) {
  FILE *fp = fopen(path, "w");
  if(!fp)
    return -1;
  fprintf(fp, "listen: 127.0.0.1:0\ntargets:\n");
  for(long i = 0; i < n; i++)
    fprintf(fp, "- name: service-%05ld\n  step: 60s\n"
            "  source: {demo: {days: 2, seed: %ld}}\n"
            "  actuator: {dryrun: {}}\n"
            "  forecast: {history: 1d, period: 60, model: hw}\n"
            "  policy: {unit_capacity: 1000, warmup: 120s, max: 100}\n",
            i, i + 1);
  return fclose(fp);
}

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  *(size_t *)ud += size * n;
  return size * n;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The median and the slowest of RUNS timings, sorted in place. */
static void summary(const char *what, double *ms) {
  qsort(ms, RUNS, sizeof(*ms), cmp);
  printf("metrics: %-26s median %7.1f ms, slowest %7.1f ms", what,
         ms[RUNS / 2], ms[RUNS - 1]);
}

static unsigned get(void *d, const char *url, struct pw_buf *body,
                    const char **ct) {
  return ctl_daemon_get(d, url, body, ct);
}

int main(void) {
  const char *env = getenv("PREWARM_SCALE_TARGETS");
  long n = env ? atol(env) : 10000;
  const char *tmp = getenv("TMPDIR");
  char path[512], err[512] = "";
  gsl_set_error_handler_off();
  pw_log_threshold = PW_LOG_ERROR;
  if(n <= 0)
    return 0;
  snprintf(path, sizeof(path), "%s/prewarm-bench-metrics-%ld.yaml",
           tmp && *tmp ? tmp : "/tmp", (long)getpid());
  struct cfg *c = NULL;
  struct pw_buf errors;
  pw_buf_init(&errors, 1u << 20);
  if(write_config(path, n) || cfg_load(path, &c, &errors)) {
    fprintf(stderr, "bench_metrics: %s\n", pw_buf_str(&errors));
    return 1;
  }
  unlink(path);
  pw_buf_cleanup(&errors);
  const int64_t now = 1800000000000LL;
  struct ctl_daemon *d = NULL;
  struct ctl_daemon_opts o = {.dry_run = 1};
  if(ctl_daemon_new(c, &o, now, NULL, &d, err, sizeof(err))) {
    fprintf(stderr, "bench_metrics: %s\n", err);
    return 1;
  }
  (void)ctl_daemon_tick(d, now, 1);
  (void)ctl_daemon_tick(d, now + 60000, 1);

  double render[RUNS], scrape[RUNS], list[RUNS];
  size_t bytes = 0, list_bytes = 0;
  for(int r = 0; r < RUNS; r++) {
    struct pw_buf b;
    const char *ct = NULL;
    pw_buf_init(&b, 256u << 20);
    double t0 = pw_clock_mono_ms();
    unsigned st = ctl_daemon_get(d, "/metrics", &b, &ct);
    render[r] = pw_clock_mono_ms() - t0;
    bytes = b.len;
    pw_buf_reset(&b);
    t0 = pw_clock_mono_ms();
    unsigned st2 = ctl_daemon_get(d, "/api/v1/targets", &b, &ct);
    list[r] = pw_clock_mono_ms() - t0;
    list_bytes = b.len;
    pw_buf_cleanup(&b);
    if(st != 200 || st2 != 200) {
      fprintf(stderr, "bench_metrics: /metrics gave %u, the list %u\n", st,
              st2);
      return 1;
    }
  }

  struct ctl_http *h = NULL;
  struct ctl_http_cfg hc = {.listen = "127.0.0.1:0", .get = get,
                            .get_ud = d};
  if(ctl_http_start(&hc, &h, err, sizeof(err))) {
    fprintf(stderr, "bench_metrics: %s\n", err);
    return 1;
  }
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics",
           ctl_http_port(h));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *cu = curl_easy_init();
  size_t got = 0;
  curl_easy_setopt(cu, CURLOPT_URL, url);
  curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(cu, CURLOPT_WRITEDATA, &got);
  for(int r = 0; r < RUNS; r++) {
    got = 0;
    double t0 = pw_clock_mono_ms();
    CURLcode cc = curl_easy_perform(cu);
    scrape[r] = pw_clock_mono_ms() - t0;
    if(cc != CURLE_OK || got != bytes) {
      fprintf(stderr, "bench_metrics: scrape: %s, %zu bytes of %zu\n",
              curl_easy_strerror(cc), got, bytes);
      return 1;
    }
  }
  curl_easy_cleanup(cu);
  curl_global_cleanup();
  ctl_http_stop(&h);

  printf("metrics: %ld targets, %.1f MiB of exposition (%.0f bytes a "
         "target)\n", n, (double)bytes / 1048576.0,
         (double)bytes / (double)n);
  summary("rendering /metrics", render);
  printf("\n");
  summary("a scrape over HTTP", scrape);
  printf("  target < 100 ms: %s\n", scrape[RUNS / 2] < 100 ? "met"
                                                           : "NOT MET");
  summary("rendering /api/v1/targets", list);
  printf(" (%.1f MiB)\n", (double)list_bytes / 1048576.0);
  ctl_daemon_free(&d);
  return 0;
}
