/*
 * Drives the PostgreSQL store for the integration tests:
 *
 *   store_tool CONNINFO MAX_ROWS STEP...
 *
 * Steps: "obs:TARGET:TS_S:LOAD", "dec:TARGET:TS_S:LOAD:DESIRED:REASONS:
 * MEAN:UPPER" (queue a row), "flush", "history:TARGET:FROM_S:TO_S",
 * "run:FILE", "sleep:MS".  flush prints "flush rc=.. queued=.. written=..
 * dropped=.. failures=.. version=.. failed=.. why=..", history prints "history
 * rc=.. n=.." and one "TS_MS LOAD" line per row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/pw_http.h"
#include "../../controller/ctl_store.h"

static int step(struct ctl_store *s, char *a) {
  char t[128], reasons[128];
  long long ts, from, to;
  long desired;
  double load, mean, upper;
  int rc = 0;
  if(sscanf(a, "obs:%127[^:]:%lld:%lf", t, &ts, &load) == 3) {
    rc = ctl_store_observation(s, t, ts * 1000, load);
  } else if(sscanf(a, "dec:%127[^:]:%lld:%lf:%ld:%127[^:]:%lf:%lf", t, &ts,
                   &load, &desired, reasons, &mean, &upper) == 7) {
    rc = ctl_store_decision(s, t, ts * 1000, load, desired, reasons, mean,
                            upper);
  } else if(strcmp(a, "flush") == 0) {
    struct ctl_store_stats st;
    rc = ctl_store_flush(s);
    ctl_store_stats(s, &st);
    printf("flush rc=%s queued=%ld written=%ld dropped=%ld failures=%ld "
           "version=%d failed=%ld why=%s\n", rc ? pw_strerror(rc) : "ok",
           st.queued, st.written, st.dropped, st.flush_failures,
           st.schema_version, st.failed, rc ? ctl_store_why(s) : "");
    rc = 0;
  } else if(sscanf(a, "history:%127[^:]:%lld:%lld", t, &from, &to) == 3) {
    struct tel_samples o = {0};
    int hr = ctl_store_history(s, t, from * 1000, to * 1000, &o);
    printf("history rc=%s n=%zu\n", hr ? pw_strerror(hr) : "ok", o.n);
    for(size_t i = 0; i < o.n; i++)
      printf("%lld %.17g\n", (long long)o.ts_ms[i], o.v[i]);
    tel_samples_cleanup(&o);
  } else if(strncmp(a, "run:", 4) == 0) {
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "sh '%s'", a + 4);
    if(system(cmd) != 0)
      fprintf(stderr, "store_tool: %s failed\n", cmd);
  } else if(sscanf(a, "sleep:%lf", &load) == 1) {
    pw_sleep_ms((long)load);
  } else {
    fprintf(stderr, "store_tool: unknown step %s\n", a);
    return 2;
  }
  fflush(stdout);
  return rc;
}

int main(int argc, char **argv) {
  struct ctl_store *s = NULL;
  char err[256];
  if(argc < 3) {
    fprintf(stderr, "usage: store_tool CONNINFO MAX_ROWS STEP...\n");
    return 2;
  }
  struct ctl_store_cfg c = {.conninfo = argv[1],
                            .max_rows = strtoul(argv[2], NULL, 10),
                            .timeout_ms = 3000};
  int rc = ctl_store_open(&c, &s, err, sizeof(err));
  if(rc) {
    printf("init rc=%s why=%s\n", pw_strerror(rc), err);
    return 1;
  }
  for(int i = 3; i < argc && rc == 0; i++)
    rc = step(s, argv[i]);
  ctl_store_close(&s);
  return rc;
}
