/*
 * A growable byte buffer with a hard cap, for data whose size the network
 * or a file decides.  The contents are always NUL-terminated.
 *
 * The first error of an append is kept (as SQLite's sqlite3_str keeps
 * one) until pw_buf_reset(): pw_buf_adds(), pw_buf_addf() and
 * pw_buf_add_json() do nothing once it is set, so a writer of many pieces
 * appends without checking each and asks pw_buf_error() once at the end.
 * pw_buf_append() and pw_buf_printf() still try, and return their own
 * result (a caller may go on after a refused piece).
 */
#ifndef PW_BUF_H
#define PW_BUF_H

#include <stddef.h>

#include "pw_err.h"

struct pw_buf {
  char *p;       /* NULL until the first append; NUL-terminated after */
  size_t len;    /* bytes held, without the terminator */
  size_t cap;    /* bytes allocated */
  size_t max;    /* the most the buffer may hold */
  int err;       /* the first append error since init or reset, or 0 */
};

/* Initialises an empty buffer that refuses to grow past max bytes. */
void pw_buf_init(struct pw_buf *b, size_t max);

/* Appends n bytes.  PW_ETOOBIG past the cap, PW_ENOMEM; on error the
 * buffer keeps what it had, and the error is kept (see above). */
int pw_buf_append(struct pw_buf *b, const void *data, size_t n) PW_WUR;

/* Appends a formatted string (same errors as pw_buf_append). */
int pw_buf_printf(struct pw_buf *b, const char *fmt, ...) PW_PRINTF(2, 3)
  PW_WUR;

/* Appends the whole file at path.  PW_EIO when it cannot be opened or
 * read, PW_ETOOBIG past the cap, PW_ENOMEM. */
int pw_buf_read_file(struct pw_buf *b, const char *path) PW_WUR;

/*
 * Reads a secret (a token, a password, a connection string) from path
 * into b, which is emptied first, and removes trailing spaces and line
 * ends.  When the file is readable by group or others it logs a warning
 * naming what ("bearer token") and the file, never the content; with
 * warned non-NULL only once until the mode is fixed (*warned is the
 * caller's state, 0 at first), with NULL every time.  0, PW_EIO with
 * errno set when the file cannot be opened or read, PW_ETOOBIG past b's
 * cap, PW_ENOMEM.  The caller wipes b after use.
 */
int pw_buf_read_secret(struct pw_buf *b, const char *path, const char *what,
                       int *warned) PW_WUR;

/* Removes trailing spaces, tabs and line ends. */
void pw_buf_rtrim(struct pw_buf *b);

/* Appends s as a JSON string: quoted, with '"', '\\' and control
 * characters escaped.  Same errors as pw_buf_append. */
int pw_buf_json_str(struct pw_buf *b, const char *s) PW_WUR;

/* Appends without a result to check, for writers that ask
 * pw_buf_error() once at the end: a string, a formatted string, a JSON
 * string (as pw_buf_json_str()). */
void pw_buf_adds(struct pw_buf *b, const char *s);
void pw_buf_addf(struct pw_buf *b, const char *fmt, ...) PW_PRINTF(2, 3);
void pw_buf_add_json(struct pw_buf *b, const char *s);

/* The sticky error: 0, or the first append's PW_ETOOBIG / PW_ENOMEM. */
static inline int pw_buf_error(const struct pw_buf *b) {
  return b->err;
}

/* Empties the buffer, clears its error, and keeps its memory. */
void pw_buf_reset(struct pw_buf *b);

/* The contents ("" when empty); valid until the next append. */
const char *pw_buf_str(const struct pw_buf *b);

/* Frees the memory; the buffer is empty (and reusable) afterwards. */
void pw_buf_cleanup(struct pw_buf *b);

#endif
