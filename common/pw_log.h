/*
 * Logging: one JSON object per line on stderr, with the time, the level and
 * the message.  The level test runs before any formatting.
 *
 * Never pass credentials, tokens or secrets to pw_log().
 */
#ifndef PW_LOG_H
#define PW_LOG_H

#include "pw_err.h"

enum pw_log_level {
  PW_LOG_DEBUG = 0,
  PW_LOG_INFO = 1,
  PW_LOG_WARN = 2,
  PW_LOG_ERROR = 3,
  PW_LOG_OFF = 4
};

/* The threshold; messages below it are dropped.  Default PW_LOG_INFO. */
extern enum pw_log_level pw_log_threshold;

#define pw_log(level, ...)                      \
  do {                                          \
    if((level) >= pw_log_threshold)             \
      pw_log_write((level), __VA_ARGS__);       \
  } while(0)

/* Formats and writes one line; thread-safe (one fputs of a whole line). */
void pw_log_write(enum pw_log_level level, const char *fmt, ...)
  PW_PRINTF(2, 3);

/* Parses "debug", "info", "warn", "error" or "off"; PW_EINVAL otherwise. */
int pw_log_level_parse(const char *name, enum pw_log_level *out) PW_WUR;

#endif
