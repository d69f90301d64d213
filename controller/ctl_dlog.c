#include "ctl_dlog.h"

#include <stdio.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_buf.h"
#include "ctl_cli.h"

struct ctl_dlog {
  char *path;
  FILE *fp;
  long size, max_bytes;
  int keep;
  struct pw_buf rec;
};

int ctl_dlog_open(const char *path, long max_bytes, int keep,
                  struct ctl_dlog **out, char *err, size_t errlen) {
  struct ctl_dlog *l = pw_calloc(1, sizeof(*l));
  *out = NULL;
  if(!l || !(l->path = pw_strdup(path))) {
    pw_free(l);
    return PW_ENOMEM;
  }
  l->max_bytes = max_bytes > 0 ? max_bytes : 16L << 20;
  l->keep = keep > 0 ? keep : 3;
  pw_buf_init(&l->rec, 1u << 20);
  l->fp = fopen(path, "ab");
  if(!l->fp) {
    snprintf(err, errlen, "decision_log: cannot open %s for appending",
             path);
    ctl_dlog_close(&l);
    return PW_EIO;
  }
  fseek(l->fp, 0, SEEK_END);
  l->size = ftell(l->fp);
  *out = l;
  return 0;
}

/* PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1, then a new PATH. */
static int rotate(struct ctl_dlog *l) {
  char from[4200], to[4200];
  fclose(l->fp);
  l->fp = NULL;
  for(int i = l->keep - 1; i >= 0; i--) {
    if(i)
      snprintf(from, sizeof(from), "%s.%d", l->path, i);
    else
      snprintf(from, sizeof(from), "%s", l->path);
    snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
    (void)rename(from, to);  /* a missing one is fine */
  }
  l->fp = fopen(l->path, "wb");
  l->size = 0;
  return l->fp ? 0 : PW_EIO;
}

int ctl_dlog_write(struct ctl_dlog *l, const struct pb_decision *d) {
  pw_buf_reset(&l->rec);
  int rc = pb_decision_encode(d, &l->rec);
  if(rc)
    return rc;
  if(l->size > 0 && l->size + (long)l->rec.len > l->max_bytes &&
     (rc = rotate(l)) != 0)
    return rc;
  if(!l->fp || fwrite(l->rec.p, 1, l->rec.len, l->fp) != l->rec.len ||
     fflush(l->fp) != 0)
    return PW_EIO;
  l->size += (long)l->rec.len;
  return 0;
}

void ctl_dlog_close(struct ctl_dlog **lp) {
  struct ctl_dlog *l = *lp;
  if(!l)
    return;
  if(l->fp)
    fclose(l->fp);
  pw_buf_cleanup(&l->rec);
  pw_free(l->path);
  pw_free(l);
  *lp = NULL;
}

int ctl_dlog_main(int argc, char **argv) {
  char err[256];
  struct pw_buf out;
  if(argc != 3 || strcmp(argv[1], "show") != 0) {
    fprintf(stderr, "usage: prewarm log show FILE\n"
            "Prints a decision log (one protobuf record a decision) as JSON "
            "lines.\n");
    return CTL_EXIT_USAGE;
  }
  FILE *fp = fopen(argv[2], "rb");
  if(!fp)
    return ctl_cli_fail("log", "%s: cannot open", argv[2]);
  pw_buf_init(&out, 4u << 20);
  int rc;
  while((rc = pb_decision_read_json(fp, &out, err, sizeof(err))) == 0) {
    fputs(pw_buf_str(&out), stdout);
    pw_buf_reset(&out);
  }
  fclose(fp);
  pw_buf_cleanup(&out);
  if(rc < 0)
    return ctl_cli_fail("log", "%s: %s", argv[2],
                        rc == PW_ENOMEM ? "out of memory" : err);
  return CTL_EXIT_OK;
}
