/*
 * Fetches from one real source once, for the integration tests:
 *
 *   src_script prom URL QUERY STEP_S FROM_S TO_S
 *
 * FROM_S and TO_S are Unix seconds, or "now-N" for N seconds ago.  The
 * first line is "rc=CODE n=N nan=K rejected=R errors=E why=TEXT", then one
 * "TS_MS VALUE" line per sample.  Auth and TLS come from the environment:
 * PROM_TOKEN_FILE, PROM_USER + PROM_PASSWORD_FILE, PROM_CA_FILE,
 * SRC_TIMEOUT_MS.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../telemetry/tel_prom.h"

static int64_t when(const char *s) {
  if(strncmp(s, "now-", 4) == 0)
    return ((int64_t)time(NULL) - strtoll(s + 4, NULL, 10)) * 1000;
  if(strcmp(s, "now") == 0)
    return (int64_t)time(NULL) * 1000;
  return strtoll(s, NULL, 10) * 1000;
}

static const char *env(const char *n) {
  const char *v = getenv(n);
  return v && *v ? v : NULL;
}

int main(int argc, char **argv) {
  char err[512] = "";
  struct tel_source *src = NULL;
  struct tel_samples s = {0};
  int rc;
  if(argc == 7 && strcmp(argv[1], "prom") == 0) {
    struct tel_prom_cfg c = {
      .url = argv[2], .query = argv[3], .step_ms = atoll(argv[4]) * 1000,
      .bearer_token_file = env("PROM_TOKEN_FILE"),
      .basic_user = env("PROM_USER"),
      .basic_password_file = env("PROM_PASSWORD_FILE"),
      .ca_file = env("PROM_CA_FILE"),
      .timeout_ms = env("SRC_TIMEOUT_MS") ? atol(env("SRC_TIMEOUT_MS")) : 0};
    rc = tel_prom_new(&c, &src, err, sizeof(err));
  } else {
    fprintf(stderr, "usage: src_script prom URL QUERY STEP_S FROM_S TO_S\n");
    return 2;
  }
  if(rc) {
    printf("init rc=%s why=%s\n", pw_strerror(rc), err);
    return 1;
  }
  rc = tel_fetch(src, when(argv[argc - 2]), when(argv[argc - 1]), &s);
  size_t nan = 0;
  for(size_t i = 0; i < s.n; i++)
    nan += isnan(s.v[i]) != 0;
  printf("rc=%s n=%zu nan=%zu rejected=%ld errors=%ld why=%s\n",
         rc ? pw_strerror(rc) : "ok", s.n, nan, src->rejected, src->errors,
         src->why);
  for(size_t i = 0; i < s.n; i++)
    printf("%lld %.17g\n", (long long)s.ts_ms[i], s.v[i]);
  tel_samples_cleanup(&s);
  tel_source_free(&src);
  return rc ? 1 : 0;
}
