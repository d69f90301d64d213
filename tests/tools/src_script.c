/*
 * Fetches from one real source, for the integration tests:
 *
 *   src_script prom URL QUERY STEP_S (FROM_S TO_S | STEP...)
 *   src_script pg CONNINFO QUERY STEP_S (FROM_S TO_S | STEP...)
 *   src_script cw FUNCTION[:QUALIFIER] METRIC STEP_S (FROM_S TO_S | STEP...)
 *
 * Steps: "fetch:FROM_S:TO_S", "run:FILE" (a shell script), "sleep:MS".
 * FROM_S and TO_S are Unix seconds, or "now-N" for N seconds ago.  Each
 * fetch prints "rc=CODE n=N nan=K rejected=R errors=E why=TEXT", then one
 * "TS_MS VALUE" line per sample.  From the environment: PROM_TOKEN_FILE,
 * PROM_USER + PROM_PASSWORD_FILE, PROM_CA_FILE, PG_COUNTER=1,
 * CW_FILL_ZERO=1, CW_SETTLE_S, SRC_TIMEOUT_MS; AWS_* as in production.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/pw_http.h"
#include "../../telemetry/tel_cw.h"
#include "../../telemetry/tel_pg.h"
#include "../../telemetry/tel_prom.h"

static int64_t when(const char *s) {
  if(strncmp(s, "now-", 4) == 0)
    return ((int64_t)time(NULL) - strtoll(s + 4, NULL, 10)) * 1000;
  if(strncmp(s, "now", 3) == 0)
    return (int64_t)time(NULL) * 1000;
  return strtoll(s, NULL, 10) * 1000;
}

static const char *env(const char *n) {
  const char *v = getenv(n);
  return v && *v ? v : NULL;
}

static int fetch(struct tel_source *src, const char *from, const char *to) {
  struct tel_samples s = {0};
  int rc = tel_fetch(src, when(from), when(to), &s);
  size_t nan = 0;
  for(size_t i = 0; i < s.n; i++)
    nan += isnan(s.v[i]) != 0;
  printf("rc=%s n=%zu nan=%zu rejected=%ld errors=%ld why=%s\n",
         rc ? pw_strerror(rc) : "ok", s.n, nan, src->rejected, src->errors,
         src->why);
  for(size_t i = 0; i < s.n; i++)
    printf("%lld %.17g\n", (long long)s.ts_ms[i], s.v[i]);
  fflush(stdout);
  tel_samples_cleanup(&s);
  return rc;
}

static int run_steps(struct tel_source *src, char **st, int n) {
  int bad = 0;
  if(n == 2 && !strchr(st[0], ':'))
    return fetch(src, st[0], st[1]) != 0;
  for(int i = 0; i < n; i++) {
    char from[64], to[64];
    long ms;
    if(sscanf(st[i], "fetch:%63[^:]:%63s", from, to) == 2) {
      bad |= fetch(src, from, to) != 0;
    } else if(strncmp(st[i], "run:", 4) == 0) {
      char cmd[600];
      snprintf(cmd, sizeof(cmd), "sh '%s'", st[i] + 4);
      if(system(cmd) != 0)
        fprintf(stderr, "src_script: %s failed\n", cmd);
    } else if(sscanf(st[i], "sleep:%ld", &ms) == 1) {
      pw_sleep_ms(ms);
    } else {
      fprintf(stderr, "src_script: unknown step %s\n", st[i]);
      return 2;
    }
  }
  return bad;
}

int main(int argc, char **argv) {
  char err[512] = "";
  struct tel_source *src = NULL;
  struct pw_aws *aws = NULL;
  long timeout = env("SRC_TIMEOUT_MS") ? atol(env("SRC_TIMEOUT_MS")) : 0;
  int rc;
  if(argc < 7) {
    fprintf(stderr, "usage: src_script prom|pg URL|CONNINFO QUERY STEP_S "
            "(FROM TO | STEP...)\n");
    return 2;
  }
  if(strcmp(argv[1], "prom") == 0) {
    struct tel_prom_cfg c = {
      .url = argv[2], .query = argv[3], .step_ms = atoll(argv[4]) * 1000,
      .bearer_token_file = env("PROM_TOKEN_FILE"),
      .basic_user = env("PROM_USER"),
      .basic_password_file = env("PROM_PASSWORD_FILE"),
      .ca_file = env("PROM_CA_FILE"), .timeout_ms = timeout};
    rc = tel_prom_new(&c, &src, err, sizeof(err));
  } else if(strcmp(argv[1], "pg") == 0) {
    struct tel_pg_cfg c = {.conninfo = argv[2], .query = argv[3],
                           .step_ms = atoll(argv[4]) * 1000,
                           .counter = env("PG_COUNTER") != NULL,
                           .timeout_ms = timeout};
    rc = tel_pg_new(&c, &src, err, sizeof(err));
  } else if(strcmp(argv[1], "cw") == 0) {
    char fn[200];
    snprintf(fn, sizeof(fn), "%s", argv[2]);
    char *colon = strchr(fn, ':');
    if(colon)
      *colon++ = '\0';
    struct tel_cw_cfg c = {
      .function = fn, .qualifier = colon, .metric = argv[3],
      .step_ms = atoll(argv[4]) * 1000,
      .settle_ms = env("CW_SETTLE_S") ? atoll(env("CW_SETTLE_S")) * 1000 : 0,
      .fill_zero = env("CW_FILL_ZERO") != NULL, .timeout_ms = timeout};
    rc = pw_aws_new(&aws, err, sizeof(err));
    if(rc == 0)
      rc = tel_cw_new(&c, aws, &src, err, sizeof(err));
  } else {
    fprintf(stderr, "src_script: unknown source %s\n", argv[1]);
    return 2;
  }
  if(rc) {
    printf("init rc=%s why=%s\n", pw_strerror(rc), err);
    pw_aws_free(&aws);
    return 1;
  }
  rc = run_steps(src, argv + 5, argc - 5);
  tel_source_free(&src);
  pw_aws_free(&aws);
  return rc;
}
