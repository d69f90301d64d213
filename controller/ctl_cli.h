/*
 * Helpers shared by the subcommands: strict number parsing and the one
 * error line a command prints before exiting with status 2.
 */
#ifndef CTL_CLI_H
#define CTL_CLI_H

#include "../common/pw_err.h"

/* Exit statuses of every subcommand. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1   /* an internal failure (memory, numerics) */
#define CTL_EXIT_USAGE 2  /* bad arguments or bad input */

/* Prints "prewarm CMD: message" on stderr; returns CTL_EXIT_USAGE. */
int ctl_cli_fail(const char *cmd, const char *fmt, ...) PW_PRINTF(2, 3);

/* Parses a whole decimal number in [lo, hi]; 0 or PW_EINVAL. */
int ctl_cli_long(const char *s, long lo, long hi, long *out) PW_WUR;

/* Parses a finite number in [lo, hi] (inclusive) or (lo, hi) (not);
 * 0 or PW_EINVAL. */
int ctl_cli_double(const char *s, double lo, double hi, int inclusive,
                   double *out) PW_WUR;

#endif
