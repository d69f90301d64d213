/*
 * Reads one numeric column of a CSV file with a header row, one row a step.
 *
 * Empty cells, "NaN" and "NA" (any case) are missing values and come back as
 * NAN.  Anything else that is not a finite decimal number is an error that
 * names the file, the line and the problem.  Quoted fields (RFC 4180) and
 * CRLF line ends are accepted.  Numbers are parsed in the C locale.
 */
#ifndef PW_CSV_H
#define PW_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "pw_err.h"

/* Limits on what a file may make us allocate. */
#define PW_CSV_MAX_LINE (1u << 20)
#define PW_CSV_MAX_ROWS 20000000u
#define PW_CSV_MAX_FIELDS 8192

struct pw_csv_column {
  double *values;  /* n values, NAN where missing; owned */
  char **labels;   /* n copies of the first field of each row, or NULL */
  size_t n;
  char *name;      /* header of the column read; owned */
};

/*
 * Reads the column named `column`, or the last column when it is NULL, from
 * `path` ("-" reads standard input).  With want_labels, also keeps the first
 * field of every row (the timestamp, usually).
 *
 * Returns 0, or PW_EIO (cannot open or read; err has the system's reason),
 * PW_EPARSE (bad header, a first row that is data rather than a header, a
 * row too short, a non-numeric value), PW_ENOTFOUND (no such column; err
 * lists the columns there are), PW_ETOOBIG or PW_ENOMEM; on error `err`
 * holds "FILE:LINE: problem" ("FILE: problem" before the first line) and
 * *out is empty.  A file with only a header gives 0 and out->n == 0.
 * On success the caller owns *out and frees it with pw_csv_column_cleanup().
 */
int pw_csv_read_column(const char *path, const char *column, int want_labels,
                       struct pw_csv_column *out, char *err,
                       size_t errlen) PW_WUR;

/* As pw_csv_read_column() on an open stream; `name` is used in messages.
 * The caller keeps and closes fp. */
int pw_csv_read_stream(FILE *fp, const char *name, const char *column,
                       int want_labels, struct pw_csv_column *out, char *err,
                       size_t errlen) PW_WUR;

/* Frees what *col owns and zeroes it; safe on a zeroed struct. */
void pw_csv_column_cleanup(struct pw_csv_column *col);

/*
 * Parses one cell as pw_csv_read_column() does: 0 with *out set (NAN for a
 * missing value), or PW_EPARSE with a short reason in *why.
 */
int pw_csv_parse_value(const char *cell, double *out, const char **why) PW_WUR;

/* Writes s as one CSV field, quoted when it needs to be (RFC 4180). */
void pw_csv_write_field(FILE *fp, const char *s);

#endif
