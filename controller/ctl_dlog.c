#include "ctl_dlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/pw_alloc.h"
#include "../common/pw_buf.h"
#include "../common/pw_clock.h"
#include "ctl_cli.h"

struct ctl_dlog {
  char *path;
  int fd;                    /* -1 while PATH is to be opened again */
  dev_t dev;                 /* the file fd writes, to notice that PATH */
  ino_t ino;                 /* names another file (or none) */
  long size, max_bytes;
  int keep;
  int64_t retry_ms;
  double next_try_ms;        /* monotonic: next check or reopen */
  struct pw_buf rec;
  atomic_uint_least64_t failures;
  atomic_int failing;
  int last_rc;               /* of the last failure */
  char why[600];             /* its text */
};

/*
 * Opens PATH for appending into l->fd, creating it with mode 0600: the
 * mode is set with fchmod() too, so no umask widens or narrows it.
 * Returns 0, or an errno value.
 */
static int open_file(struct ctl_dlog *l) {
  struct stat st;
  int fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if(fd < 0 && errno == ENOENT) {
    fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
              0600);
    if(fd >= 0 && fchmod(fd, 0600) != 0) {
      int e = errno;
      close(fd);
      return e;
    }
    if(fd < 0 && errno == EEXIST)  /* made meanwhile: append to it */
      fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  if(fd < 0)
    return errno;
  if(fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  l->fd = fd;
  l->dev = st.st_dev;
  l->ino = st.st_ino;
  l->size = (long)st.st_size;
  return 0;
}

static void close_file(struct ctl_dlog *l) {
  if(l->fd >= 0)
    close(l->fd);
  l->fd = -1;
}

int ctl_dlog_open(const char *path, long max_bytes, int keep,
                  struct ctl_dlog **out, char *err, size_t errlen) {
  struct ctl_dlog *l = pw_calloc(1, sizeof(*l));
  *out = NULL;
  if(!l || !(l->path = pw_strdup(path))) {
    pw_free(l);
    return PW_ENOMEM;
  }
  l->fd = -1;
  l->max_bytes = max_bytes > 0 ? max_bytes : 16L << 20;
  l->keep = keep > 0 ? keep : 3;
  l->retry_ms = CTL_DLOG_RETRY_MS;
  atomic_init(&l->failures, 0);
  atomic_init(&l->failing, 0);
  pw_buf_init(&l->rec, 1u << 20);
  int e = open_file(l);
  if(e) {
    snprintf(err, errlen, "decision_log: cannot open %s for appending: %s",
             path, strerror(e));
    ctl_dlog_close(&l);
    return PW_EIO;
  }
  l->next_try_ms = pw_clock_mono_ms() + (double)l->retry_ms;
  *out = l;
  return 0;
}

/* Counts a lost record and keeps the reason.  Returns the PW_E* code. */
static int lost(struct ctl_dlog *l, int rc, const char *what,
                const char *reason) {
  atomic_fetch_add(&l->failures, 1);
  atomic_store(&l->failing, 1);
  l->last_rc = rc;
  snprintf(l->why, sizeof(l->why), "decision log %s: %s: %s", l->path,
           what, reason);
  return rc;
}

static int lost_errno(struct ctl_dlog *l, int e, const char *what) {
  int rc = e == ENOSPC
#ifdef EDQUOT
           || e == EDQUOT
#endif
           ? PW_ENOSPC : PW_EIO;
  return lost(l, rc, what, strerror(e));
}

/* PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1, then a new PATH.
 * Returns 0 or an errno value (l->fd is then -1). */
static int rotate(struct ctl_dlog *l) {
  char from[4200], to[4200];
  close_file(l);
  for(int i = l->keep - 1; i >= 0; i--) {
    if(i)
      snprintf(from, sizeof(from), "%s.%d", l->path, i);
    else
      snprintf(from, sizeof(from), "%s", l->path);
    snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
    (void)rename(from, to);  /* a missing one is fine */
  }
  return open_file(l);
}

/* Is PATH still the file l->fd writes?  A deleted directory, or another
 * tool's rotation, leaves fd writing where nobody reads. */
static int still_current(const struct ctl_dlog *l) {
  struct stat st;
  return stat(l->path, &st) == 0 && st.st_dev == l->dev &&
         st.st_ino == l->ino;
}

/* Makes l->fd usable: checks PATH, or opens it again, at most every
 * retry_ms.  Returns 0, or the PW_E* code of a lost record. */
static int ensure_open(struct ctl_dlog *l) {
  double now = pw_clock_mono_ms();
  if(now < l->next_try_ms && l->fd >= 0)
    return 0;
  if(now < l->next_try_ms) {
    /* Still broken, as far as we know: lost, for the same reason. */
    atomic_fetch_add(&l->failures, 1);
    return l->last_rc;
  }
  l->next_try_ms = now + (double)l->retry_ms;
  if(l->fd >= 0 && still_current(l))
    return 0;
  close_file(l);
  int e = open_file(l);
  return e ? lost_errno(l, e, "cannot open") : 0;
}

/* Writes all of l->rec at the end of the file; on a failure cuts the
 * file back to where it ended.  Returns 0 or an errno value. */
static int append(struct ctl_dlog *l) {
  off_t off = lseek(l->fd, 0, SEEK_END);
  if(off < 0)
    return errno;
  size_t done = 0;
  while(done < l->rec.len) {
    ssize_t w = write(l->fd, l->rec.p + done, l->rec.len - done);
    if(w < 0 && errno == EINTR)
      continue;
    if(w <= 0) {
      int e = w < 0 ? errno : EIO;
      /* No torn record: the next one starts where the last whole one
       * ended, so `log show` reads past this failure. */
      if(done && ftruncate(l->fd, off) != 0)
        e = errno;
      return e;
    }
    done += (size_t)w;
  }
  l->size = (long)off + (long)l->rec.len;
  return 0;
}

int ctl_dlog_write(struct ctl_dlog *l, const struct pb_decision *d) {
  pw_buf_reset(&l->rec);
  int rc = pb_decision_encode(d, &l->rec);
  if(rc)
    return lost(l, rc, "cannot encode a decision", pw_strerror(rc));
  rc = ensure_open(l);
  if(rc)
    return rc;
  if(l->size > 0 && l->size + (long)l->rec.len > l->max_bytes) {
    int e = rotate(l);
    if(e)
      return lost_errno(l, e, "cannot open after rotating");
  }
  int e = append(l);
  if(e) {
    /* Open PATH again on a later write: a full disk may have room by
     * then, and a broken file or directory may be back. */
    close_file(l);
    l->next_try_ms = pw_clock_mono_ms() + (double)l->retry_ms;
    return lost_errno(l, e, "cannot write");
  }
  atomic_store(&l->failing, 0);
  return 0;
}

uint64_t ctl_dlog_failures(const struct ctl_dlog *l) {
  return l ? atomic_load(&l->failures) : 0;
}

int ctl_dlog_failing(const struct ctl_dlog *l) {
  return l ? atomic_load(&l->failing) : 0;
}

const char *ctl_dlog_last_error(const struct ctl_dlog *l) {
  return l->why;
}

void ctl_dlog_set_retry_ms(struct ctl_dlog *l, int64_t retry_ms) {
  l->retry_ms = retry_ms;
  l->next_try_ms = pw_clock_mono_ms() + (double)retry_ms;
}

void ctl_dlog_close(struct ctl_dlog **lp) {
  struct ctl_dlog *l = *lp;
  if(!l)
    return;
  close_file(l);
  pw_buf_cleanup(&l->rec);
  pw_free(l->path);
  pw_free(l);
  *lp = NULL;
}

int ctl_dlog_print(FILE *in, FILE *out, char *err, size_t errlen) {
  struct pw_buf json;
  int rc;
  pw_buf_init(&json, 4u << 20);
  while((rc = pb_decision_read_json(in, &json, err, errlen)) == 0) {
    fputs(pw_buf_str(&json), out);
    pw_buf_reset(&json);
  }
  pw_buf_cleanup(&json);
  if(rc == PW_ENOMEM)
    snprintf(err, errlen, "out of memory");
  return rc < 0 ? rc : 0;
}

int ctl_dlog_main(int argc, char **argv) {
  char err[256];
  if(argc != 3 || strcmp(argv[1], "show") != 0) {
    fprintf(stderr, "usage: prewarm log show FILE\n"
            "Prints a decision log (one protobuf record a decision) as JSON "
            "lines.\n");
    return CTL_EXIT_USAGE;
  }
  FILE *fp = fopen(argv[2], "rb");
  if(!fp)
    return ctl_cli_fail("log", "%s: cannot open: %s", argv[2],
                        strerror(errno));
  int rc = ctl_dlog_print(fp, stdout, err, sizeof(err));
  fclose(fp);
  if(rc)
    return ctl_cli_fail("log", "%s: %s", argv[2], err);
  return CTL_EXIT_OK;
}
