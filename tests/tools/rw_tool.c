/*
 * The remote-write receiver for the integration tests:
 *
 *   rw_tool serve PORTFILE SECONDS STEP_S METRIC [--counter]
 *           [--token T] [name=value...]
 *       listens on 127.0.0.1 (a free port, written to PORTFILE), keeps
 *       the series that match, and after SECONDS (or at SIGTERM) hands out
 *       the steps that ended at least one step ago and prints
 *       "stats requests=.. series=.. samples=.. kept=.. stale=.. late=..
 *       refused=.. rejected=.. unauthorized=.." then one "TS_MS VALUE"
 *       line per step.
 *   rw_tool snappy IN OUT
 *       snappy-compresses IN (raw protobuf, crafted by a test) into OUT.
 *   rw_tool encode OUT SAMPLE...
 *       writes a snappy WriteRequest; SAMPLE is NAME[,k=v...]:VALUE:TS_MS
 *       (VALUE "stale" is the stale marker).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/pw_alloc.h"
#include "../../common/pw_http.h"
#include "../../controller/ctl_http.h"
#include "../../proto/pb_remote.h"

#include <snappy-c.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static int serve(int argc, char **argv) {
  const char *labels[16];
  size_t nl = 0;
  int counter = 0;
  const char *token = NULL;
  for(int i = 6; i < argc; i++) {
    if(strcmp(argv[i], "--counter") == 0)
      counter = 1;
    else if(strcmp(argv[i], "--token") == 0 && i + 1 < argc)
      token = argv[++i];
    else if(nl < 16)
      labels[nl++] = argv[i];
  }
  struct tel_rw *rw = NULL;
  struct tel_source *src = NULL;
  struct ctl_http *h = NULL;
  char err[256];
  int64_t step = atoll(argv[4]) * 1000;
  int64_t now = (int64_t)time(NULL) * 1000;
  struct tel_rw_selector sel = {argv[5], labels, nl, counter, step};
  if(tel_rw_new(1 << 20, &rw) ||
     tel_rw_source(rw, &sel, now - 10 * step, &src, err, sizeof(err))) {
    fprintf(stderr, "rw_tool: %s\n", err);
    return 1;
  }
  struct ctl_http_cfg hc = {.listen = "127.0.0.1:0", .rw = rw,
                            .rw_token = token, .max_body = 256 * 1024};
  if(ctl_http_start(&hc, &h, err, sizeof(err))) {
    fprintf(stderr, "rw_tool: %s\n", err);
    return 1;
  }
  char tmp[600];
  snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
  FILE *f = fopen(tmp, "w");
  if(!f)
    return 1;
  fprintf(f, "%d", ctl_http_port(h));
  fclose(f);
  rename(tmp, argv[2]);
  signal(SIGTERM, on_term);
  for(long ms = atol(argv[3]) * 1000; ms > 0 && !stop; ms -= 100)
    pw_sleep_ms(100);
  ctl_http_stop(&h);
  struct tel_samples s = {0};
  int64_t end = (int64_t)time(NULL) * 1000 - step;
  int rc = tel_fetch(src, 0, end, &s);
  struct tel_rw_stats st;
  tel_rw_totals(rw, &st);
  printf("stats requests=%ld series=%ld samples=%ld kept=%ld stale=%ld "
         "late=%ld refused=%ld rejected=%ld unauthorized=%ld\n",
         st.requests, st.series, st.samples, st.kept, st.stale, st.late,
         st.refused, st.rejected, st.unauthorized);
  for(size_t i = 0; i < s.n; i++)
    printf("%lld %.17g\n", (long long)s.ts_ms[i], s.v[i]);
  tel_samples_cleanup(&s);
  tel_source_free(&src);
  tel_rw_free(&rw);
  return rc ? 1 : 0;
}

/* NAME[,k=v...]:VALUE:TS_MS, parsed in place. */
static int parse_sample(char *spec, struct pb_series *s, struct pb_label *l,
                        struct pb_sample *x) {
  char *v = strchr(spec, ':');
  char *t = v ? strchr(v + 1, ':') : NULL;
  if(!t)
    return -1;
  *v++ = '\0';
  *t++ = '\0';
  size_t n = 0;
  l[n++] = (struct pb_label){"__name__", strtok(spec, ",")};
  for(char *kv; (kv = strtok(NULL, ",")) && n < 8;) {
    char *eq = strchr(kv, '=');
    if(!eq)
      return -1;
    *eq = '\0';
    l[n++] = (struct pb_label){kv, eq + 1};
  }
  if(strcmp(v, "stale") == 0) {
    uint64_t bits = PB_STALE_NAN_BITS;
    memcpy(&x->value, &bits, sizeof(bits));
  } else {
    x->value = strtod(v, NULL);
  }
  x->ts_ms = atoll(t);
  *s = (struct pb_series){l, n, x, 1};
  return 0;
}

static int encode(int argc, char **argv) {
  int n = argc - 3;
  struct pb_series *s = calloc((size_t)n + 1, sizeof(*s));
  struct pb_label(*l)[8] = calloc((size_t)n + 1, sizeof(*l));
  struct pb_sample *x = calloc((size_t)n + 1, sizeof(*x));
  void *buf = NULL;
  size_t len = 0;
  for(int i = 0; i < n; i++)
    if(parse_sample(argv[3 + i], &s[i], l[i], &x[i])) {
      fprintf(stderr, "rw_tool: bad sample %s\n", argv[3 + i]);
      return 2;
    }
  if(pb_write_encode(s, (size_t)n, &buf, &len))
    return 1;
  FILE *f = fopen(argv[2], "wb");
  if(!f || fwrite(buf, 1, len, f) != len)
    return 1;
  fclose(f);
  pw_free(buf);
  free(s);
  free(l);
  free(x);
  return 0;
}

static int compress_file(const char *in, const char *out) {
  FILE *f = fopen(in, "rb");
  if(!f)
    return 1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *raw = malloc(n > 0 ? (size_t)n : 1);
  size_t clen = snappy_max_compressed_length((size_t)n);
  char *c = malloc(clen);
  int rc = !raw || !c || fread(raw, 1, (size_t)n, f) != (size_t)n ||
           snappy_compress(raw, (size_t)n, c, &clen) != SNAPPY_OK;
  fclose(f);
  if(!rc) {
    f = fopen(out, "wb");
    rc = !f || fwrite(c, 1, clen, f) != clen;
    if(f)
      fclose(f);
  }
  free(raw);
  free(c);
  return rc;
}

int main(int argc, char **argv) {
  if(argc >= 6 && strcmp(argv[1], "serve") == 0)
    return serve(argc, argv);
  if(argc == 4 && strcmp(argv[1], "snappy") == 0)
    return compress_file(argv[2], argv[3]);
  if(argc >= 3 && strcmp(argv[1], "encode") == 0)
    return encode(argc, argv);
  fprintf(stderr, "usage: rw_tool serve PORTFILE SECONDS STEP_S METRIC "
          "[--counter] [--token T] [name=value...] | encode OUT SAMPLE... | "
          "snappy IN OUT\n");
  return 2;
}
