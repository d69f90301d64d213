#include "pw_log.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

_Atomic enum pw_log_level pw_log_threshold = PW_LOG_INFO;
FILE *pw_log_stream;

static _Thread_local const char *log_target;

static const char *const level_names[] = {"debug", "info", "warn", "error",
                                          "off"};

int pw_log_level_parse(const char *name, enum pw_log_level *out) {
  for(int i = 0; i <= PW_LOG_OFF; i++) {
    if(strcmp(name, level_names[i]) == 0) {
      *out = (enum pw_log_level)i;
      return 0;
    }
  }
  return PW_EINVAL;
}

const char *pw_log_target(const char *name) {
  const char *old = log_target;
  log_target = name;
  return old;
}

/* Appends s to buf as the inside of a JSON string, stopping (never in
 * the middle of an escape) before cap. */
static size_t json_escape(char *buf, size_t len, size_t cap, const char *s) {
  for(; *s && len + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if(c == '"' || c == '\\') {
      buf[len++] = '\\';
      buf[len++] = (char)c;
    }
    else if(c == '\n') {
      buf[len++] = '\\';
      buf[len++] = 'n';
    }
    else if(c < 0x20 || c == 0x7f) {
      len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
    }
    else {
      buf[len++] = (char)c;
    }
  }
  return len;
}

/* Appends ,"key":"str" or ,"key":number; nothing when it does not fit. */
static size_t add_field(char *buf, size_t len, size_t cap,
                        const struct pw_log_field *f) {
  if(len + strlen(f->key) + 40 >= cap)
    return len;
  buf[len++] = ',';
  buf[len++] = '"';
  len = json_escape(buf, len, cap, f->key);
  buf[len++] = '"';
  buf[len++] = ':';
  if(f->is_str) {
    buf[len++] = '"';
    len = json_escape(buf, len, cap - 1, f->s ? f->s : "");
    buf[len++] = '"';
  }
  else if(isfinite(f->v)) {
    int w = snprintf(buf + len, cap - len, "%.15g", f->v);
    len += w > 0 && (size_t)w < cap - len ? (size_t)w : 0;
  }
  else {
    memcpy(buf + len, "null", 4);
    len += 4;
  }
  return len;
}

void pw_log_write(enum pw_log_level level, const struct pw_log_field *f,
                  size_t nf, const char *fmt, ...) {
  char msg[2048], line[4096];
  const size_t cap = sizeof(line) - 3;  /* room for "}\n" and the NUL */
  struct timespec ts;
  struct tm tm;
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(line, sizeof(line), "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ\",\"level\":\"%s\"",
                        ts.tv_nsec / 1000000L, level_names[level]);
  if(log_target)
    n = add_field(line, n, cap, &PW_LF_STR("target", log_target));
  n = add_field(line, n, cap, &PW_LF_STR("message", msg));
  for(size_t i = 0; i < nf; i++)
    n = add_field(line, n, cap, &f[i]);
  memcpy(line + n, "}\n", 3);
  fputs(line, pw_log_stream ? pw_log_stream : stderr);
}
