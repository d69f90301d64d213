#include "pw_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum pw_log_level pw_log_threshold = PW_LOG_INFO;

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

/* Appends s to buf as the inside of a JSON string, truncating safely. */
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
    else if(c < 0x20) {
      len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
    }
    else {
      buf[len++] = (char)c;
    }
  }
  return len;
}

void pw_log_write(enum pw_log_level level, const char *fmt, ...) {
  char msg[2048], line[4400];
  struct timespec ts;
  struct tm tm;
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(line, sizeof(line), "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, sizeof(line) - n,
                        ".%03ldZ\",\"level\":\"%s\",\"msg\":\"",
                        ts.tv_nsec / 1000000L, level_names[level]);
  n = json_escape(line, n, sizeof(line) - 4, msg);
  memcpy(line + n, "\"}\n", 4);
  fputs(line, stderr);
}
