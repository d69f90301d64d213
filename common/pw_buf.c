#include "pw_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pw_alloc.h"
#include "pw_log.h"

void pw_buf_init(struct pw_buf *b, size_t max) {
  b->p = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->err = 0;
}

static int grow(struct pw_buf *b, size_t need) {
  if(need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while(cap < need)
    cap *= 2;
  if(cap > b->max + 1)
    cap = b->max + 1;
  char *p = pw_realloc(b->p, cap);
  if(!p)
    return PW_ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

int pw_buf_append(struct pw_buf *b, const void *data, size_t n) {
  if(n > b->max || b->len > b->max - n)
    return b->err = b->err ? b->err : PW_ETOOBIG;
  int rc = grow(b, b->len + n + 1);
  if(rc)
    return b->err = b->err ? b->err : rc;
  if(n)
    memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

int pw_buf_printf(struct pw_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if(n < 0)
    return b->err = b->err ? b->err : PW_EINVAL;
  if((size_t)n < sizeof(small))
    return pw_buf_append(b, small, (size_t)n);
  if((size_t)n > b->max || b->len > b->max - (size_t)n)
    return b->err = b->err ? b->err : PW_ETOOBIG;
  int rc = grow(b, b->len + (size_t)n + 1);
  if(rc)
    return b->err = b->err ? b->err : rc;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

void pw_buf_reset(struct pw_buf *b) {
  b->len = 0;
  b->err = 0;
  if(b->p)
    b->p[0] = '\0';
}

const char *pw_buf_str(const struct pw_buf *b) {
  return b->p ? b->p : "";
}

void pw_buf_cleanup(struct pw_buf *b) {
  pw_free(b->p);
  pw_buf_init(b, b->max);
}

int pw_buf_read_file(struct pw_buf *b, const char *path) {
  char chunk[4096];
  size_t n;
  int rc = 0;
  FILE *f = fopen(path, "rb");
  if(!f)
    return PW_EIO;
  while(rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    rc = pw_buf_append(b, chunk, n);
  if(rc == 0 && ferror(f))
    rc = PW_EIO;
  fclose(f);
  /* An empty file still leaves a terminated, empty string. */
  return rc ? rc : pw_buf_append(b, "", 0);
}

static int read_fd(struct pw_buf *b, int fd) {
  char chunk[4096];
  ssize_t n;
  int rc = 0;
  while(rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0)
      return PW_EIO;
    rc = pw_buf_append(b, chunk, (size_t)n);
  }
  return rc ? rc : pw_buf_append(b, "", 0);
}

int pw_buf_read_secret(struct pw_buf *b, const char *path, const char *what,
                       int *warned) {
  struct stat st;
  pw_buf_reset(b);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if(fd < 0)
    return PW_EIO;
  if(fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return PW_EIO;
  }
  int shared = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
  char mode[16];
  snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
  if(shared && (!warned || !*warned))
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("file", path),
                               PW_LF_STR("mode", mode)),
            "the %s file is readable by group or others; make it 0600 "
            "(or 0400)", what);
  if(warned)
    *warned = shared;
  int rc = read_fd(b, fd);
  int e = errno;
  close(fd);
  errno = e;
  if(rc == 0)
    pw_buf_rtrim(b);
  return rc;
}

void pw_buf_rtrim(struct pw_buf *b) {
  while(b->len > 0 && strchr(" \t\r\n", b->p[b->len - 1]))
    b->p[--b->len] = '\0';
}

int pw_buf_json_str(struct pw_buf *b, const char *s) {
  int rc = pw_buf_append(b, "\"", 1);
  for(; rc == 0 && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if(ch == '"' || ch == '\\')
      rc = pw_buf_printf(b, "\\%c", ch);
    else if(ch < 0x20)
      rc = pw_buf_printf(b, "\\u%04x", ch);
    else
      rc = pw_buf_append(b, s, 1);
  }
  return rc ? rc : pw_buf_append(b, "\"", 1);
}

void pw_buf_adds(struct pw_buf *b, const char *s) {
  if(b->err || pw_buf_append(b, s, strlen(s)))
    return;  /* b->err says so */
}

void pw_buf_addf(struct pw_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  if(b->err)
    return;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if(n < 0) {
    b->err = PW_EINVAL;
  } else if((size_t)n < sizeof(small)) {
    if(pw_buf_append(b, small, (size_t)n))
      return;
  } else if((size_t)n > b->max || b->len > b->max - (size_t)n) {
    b->err = PW_ETOOBIG;
  } else if((b->err = grow(b, b->len + (size_t)n + 1)) == 0) {  /* or sticks */
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
  }
}

void pw_buf_add_json(struct pw_buf *b, const char *s) {
  if(b->err || pw_buf_json_str(b, s))
    return;
}
