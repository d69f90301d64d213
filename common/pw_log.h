/*
 * Logging: one JSON object per line on stderr:
 *
 *   {"time":"2026-11-23T06:00:00.000Z","level":"warn","target":"checkout",
 *    "message":"actuation failed, capacity kept","desired":12,...}
 *
 * "target" is the target the logging thread works for (pw_log_target());
 * fields given to pw_logf() follow the message as top-level keys, so a
 * log pipeline can filter on them without parsing the text.  The level
 * test runs before any formatting.
 *
 * Never pass credentials, tokens or secrets to pw_log().
 */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <stddef.h>
#include <stdio.h>

#include "pw_err.h"

enum pw_log_level {
  PW_LOG_DEBUG = 0,
  PW_LOG_INFO = 1,
  PW_LOG_WARN = 2,
  PW_LOG_ERROR = 3,
  PW_LOG_OFF = 4
};

/* The threshold; messages below it are dropped.  Default PW_LOG_INFO.
 * Atomic: a reload sets it while other threads log. */
extern _Atomic enum pw_log_level pw_log_threshold;

/* Where lines go; NULL (the default) is stderr.  Set before threads
 * start (tests capture the log with it). */
extern FILE *pw_log_stream;

/* One extra key of a line: a string (NULL is written as "") or a number
 * (NaN and infinities are written as null). */
struct pw_log_field {
  const char *key;
  const char *s;
  double v;
  int is_str;
};
#define PW_LF_STR(k, str) ((struct pw_log_field){(k), (str), 0, 1})
#define PW_LF_NUM(k, num) ((struct pw_log_field){(k), NULL, (double)(num), 0})
/* The fields argument of pw_logf(): PW_LF(PW_LF_NUM("desired", 3), ...). */
#define PW_LF(...)                                                   \
  (const struct pw_log_field[]){__VA_ARGS__},                        \
    sizeof((const struct pw_log_field[]){__VA_ARGS__}) /             \
      sizeof(struct pw_log_field)

#define pw_log(level, ...)                      \
  do {                                          \
    if((level) >= pw_log_threshold)             \
      pw_log_write((level), NULL, 0, __VA_ARGS__); \
  } while(0)

#define pw_logf(level, fields, ...)             \
  do {                                          \
    if((level) >= pw_log_threshold)             \
      pw_log_write((level), fields, __VA_ARGS__); \
  } while(0)

/* Formats and writes one line; thread-safe (one fputs of a whole line,
 * at most 4 KiB: a longer message or field is cut). */
void pw_log_write(enum pw_log_level level, const struct pw_log_field *f,
                  size_t nf, const char *fmt, ...) PW_PRINTF(4, 5);

/* The target the calling thread now works for (NULL: none); name is
 * borrowed and must outlive its use.  Returns the previous one. */
const char *pw_log_target(const char *name);

/* Parses "debug", "info", "warn", "error" or "off"; PW_EINVAL otherwise. */
int pw_log_level_parse(const char *name, enum pw_log_level *out) PW_WUR;

#endif
