#include "pw_csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pw_alloc.h"

/* Reader state: one line buffer and its fields, reused for every row. */
struct reader {
  FILE *fp;
  const char *path;
  char *line;
  size_t cap;
  unsigned long lineno;
  char *fields[PW_CSV_MAX_FIELDS];
  int nfields;
  char *err;
  size_t errlen;
};

static int fail(struct reader *r, int rc, const char *fmt, ...)
  PW_PRINTF(3, 4);

static int fail(struct reader *r, int rc, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  if(r->lineno)
    snprintf(r->err, r->errlen, "%s:%lu: %s", r->path, r->lineno, what);
  else
    snprintf(r->err, r->errlen, "%s: %s", r->path, what);
  return rc;
}

/*
 * Reads the next physical line into r->line without its line end.
 * Returns 1 on a line, 0 at end of file, or a negative error.
 */
static int read_line(struct reader *r) {
  size_t len = 0;
  int c;

  while((c = getc(r->fp)) != EOF && c != '\n') {
    if(len + 2 > r->cap) {
      if(r->cap >= PW_CSV_MAX_LINE)
        return fail(r, PW_ETOOBIG, "line longer than %u bytes",
                    PW_CSV_MAX_LINE);
      size_t ncap = r->cap ? r->cap * 2 : 256;
      char *p = pw_realloc(r->line, ncap);
      if(!p)
        return fail(r, PW_ENOMEM, "%s", "out of memory");
      r->line = p;
      r->cap = ncap;
    }
    r->line[len++] = (char)c;
  }
  if(ferror(r->fp)) {
    int e = errno;
    if(r->lineno)
      return fail(r, PW_EIO, "cannot read the next line: %s", strerror(e));
    return fail(r, PW_EIO, "cannot read: %s", strerror(e));
  }
  if(c == EOF && len == 0)
    return 0;
  if(len && r->line[len - 1] == '\r')
    len--;
  if(!r->line) {
    r->line = pw_malloc(256);
    if(!r->line)
      return fail(r, PW_ENOMEM, "%s", "out of memory");
    r->cap = 256;
  }
  r->line[len] = '\0';
  r->lineno++;
  return 1;
}

/* Splits r->line in place into r->fields, removing RFC 4180 quotes. */
static int split(struct reader *r) {
  char *p = r->line, *w;
  r->nfields = 0;
  for(;;) {
    if(r->nfields == PW_CSV_MAX_FIELDS)
      return fail(r, PW_ETOOBIG, "more than %d fields", PW_CSV_MAX_FIELDS);
    r->fields[r->nfields++] = w = p;
    if(*p == '"') {
      p++;
      for(;;) {
        if(*p == '\0')
          return fail(r, PW_EPARSE, "%s", "unterminated quoted field");
        if(*p == '"' && p[1] == '"') {
          *w++ = '"';
          p += 2;
        }
        else if(*p == '"') {
          p++;
          break;
        }
        else {
          *w++ = *p++;
        }
      }
      if(*p != ',' && *p != '\0')
        return fail(r, PW_EPARSE, "%s", "text after a closing quote");
    }
    else {
      while(*p && *p != ',')
        p++;
      w = p;
    }
    char sep = *p;
    *w = '\0';
    if(sep == '\0')
      return 0;
    p++;
  }
}

static char *trim(char *s) {
  while(*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while(n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  return s;
}

int pw_csv_parse_value(const char *cell, double *out, const char **why) {
  char *end;
  while(*cell == ' ' || *cell == '\t')
    cell++;
  if(*cell == '\0' || strcasecmp(cell, "nan") == 0 ||
     strcasecmp(cell, "na") == 0) {
    *out = (double)NAN;
    return 0;
  }
  errno = 0;
  double v = strtod(cell, &end);
  while(*end == ' ' || *end == '\t')
    end++;
  if(end == cell || *end != '\0') {
    *why = "is not a number";
    return PW_EPARSE;
  }
  if(!isfinite(v) || errno == ERANGE) {
    *why = "is not a finite number";
    return PW_EPARSE;
  }
  *out = v;
  return 0;
}

static int find_column(struct reader *r, const char *column, int *idx) {
  if(!column) {
    *idx = r->nfields - 1;
    return 0;
  }
  for(int i = 0; i < r->nfields; i++) {
    if(strcmp(trim(r->fields[i]), column) == 0) {
      *idx = i;
      return 0;
    }
  }
  /* Name the columns there are, as far as the message has room. */
  char have[400];
  size_t used = 0;
  have[0] = '\0';
  for(int i = 0; i < r->nfields && used < sizeof(have); i++) {
    int k = snprintf(have + used, sizeof(have) - used, "%s'%s'",
                     i ? ", " : "", r->fields[i]);
    if(k < 0 || (size_t)k >= sizeof(have) - used) {
      snprintf(have + (used < sizeof(have) - 4 ? used : sizeof(have) - 4),
               4, "...");
      break;
    }
    used += (size_t)k;
  }
  return fail(r, PW_ENOTFOUND, "no column named '%.100s' in the header; "
              "the columns are %s", column, have);
}

/*
 * A header whose value column holds a number is a data row: the file has
 * no header, and its first value would silently become the column's name.
 */
static int check_header(struct reader *r, int idx) {
  double v;
  const char *why;
  if(pw_csv_parse_value(r->fields[idx], &v, &why) != 0 || isnan(v))
    return 0;
  return fail(r, PW_EPARSE, "the first row holds data ('%.40s' in column "
              "%d is a number), but the file needs a header row naming its "
              "columns (for example: time,load)", trim(r->fields[idx]),
              idx + 1);
}

/* Grows the output arrays to hold at least need rows. */
static int grow(struct reader *r, struct pw_csv_column *out, size_t *cap,
                size_t need, int want_labels) {
  if(need <= *cap)
    return 0;
  if(need > PW_CSV_MAX_ROWS)
    return fail(r, PW_ETOOBIG, "more than %u rows", PW_CSV_MAX_ROWS);
  size_t ncap = *cap ? *cap * 2 : 1024;
  double *v = pw_realloc(out->values, ncap * sizeof(*v));
  if(!v)
    return fail(r, PW_ENOMEM, "%s", "out of memory");
  out->values = v;
  if(want_labels) {
    char **l = pw_realloc(out->labels, ncap * sizeof(*l));
    if(!l)
      return fail(r, PW_ENOMEM, "%s", "out of memory");
    out->labels = l;
  }
  *cap = ncap;
  return 0;
}

/*
 * Blank lines at the end of a file (an editor's, a tool's) are not rows.
 * Inside the data a blank line is a row with nothing in it: a missing
 * value in a one-column file, an error in a wider one, as it was.  So a
 * run of blank lines counts only once a row follows it.
 */
static int blank_rows(struct reader *r, unsigned long blank, int width,
                      int want_labels, size_t *cap,
                      struct pw_csv_column *out) {
  if(blank && width > 1)
    return fail(r, PW_EPARSE, "a blank line (line %lu) inside the data",
                r->lineno - blank);
  for(; blank; blank--) {
    int rc = grow(r, out, cap, out->n + 1, want_labels);
    if(rc)
      return rc;
    out->values[out->n] = (double)NAN;
    if(want_labels && !(out->labels[out->n] = pw_strdup("")))
      return fail(r, PW_ENOMEM, "%s", "out of memory");
    out->n++;
  }
  return 0;
}

static int read_rows(struct reader *r, int idx, int want_labels,
                     struct pw_csv_column *out) {
  size_t cap = 0;
  unsigned long blank = 0;
  int width = r->nfields;  /* the header's */
  int rc;
  while((rc = read_line(r)) == 1) {
    if(r->line[strspn(r->line, " \t")] == '\0') {
      blank++;
      continue;
    }
    rc = blank_rows(r, blank, width, want_labels, &cap, out);
    blank = 0;
    if(rc == 0)
      rc = split(r);
    if(rc)
      return rc;
    if(r->nfields <= idx)
      return fail(r, PW_EPARSE, "row has %d fields, the column is field %d",
                  r->nfields, idx + 1);
    rc = grow(r, out, &cap, out->n + 1, want_labels);
    if(rc)
      return rc;
    const char *why = NULL;
    if(pw_csv_parse_value(r->fields[idx], &out->values[out->n], &why))
      return fail(r, PW_EPARSE, "value '%.200s' %s", r->fields[idx], why);
    if(want_labels) {
      out->labels[out->n] = pw_strdup(trim(r->fields[0]));
      if(!out->labels[out->n])
        return fail(r, PW_ENOMEM, "%s", "out of memory");
    }
    out->n++;
  }
  return rc;
}

int pw_csv_read_stream(FILE *fp, const char *name, const char *column,
                       int want_labels, struct pw_csv_column *out, char *err,
                       size_t errlen) {
  struct reader r = {.fp = fp, .path = name, .err = err, .errlen = errlen};
  int idx = 0, rc;

  memset(out, 0, sizeof(*out));
  rc = read_line(&r);
  if(rc == 0)
    rc = fail(&r, PW_EPARSE, "%s", "empty file (a header row is required)");
  if(rc < 0)
    goto out;
  rc = split(&r);
  if(rc == 0)
    rc = find_column(&r, column, &idx);
  if(rc == 0)
    rc = check_header(&r, idx);
  if(rc)
    goto out;
  out->name = pw_strdup(trim(r.fields[idx]));
  if(!out->name) {
    rc = fail(&r, PW_ENOMEM, "%s", "out of memory");
    goto out;
  }
  rc = read_rows(&r, idx, want_labels, out);

out:
  pw_free(r.line);
  if(rc)
    pw_csv_column_cleanup(out);
  return rc;
}

int pw_csv_read_column(const char *path, const char *column, int want_labels,
                       struct pw_csv_column *out, char *err, size_t errlen) {
  int is_stdin = strcmp(path, "-") == 0;
  FILE *fp = is_stdin ? stdin : fopen(path, "r");
  if(!fp) {
    memset(out, 0, sizeof(*out));
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return PW_EIO;
  }
  int rc = pw_csv_read_stream(fp, path, column, want_labels, out, err,
                              errlen);
  if(!is_stdin)
    fclose(fp);
  return rc;
}

void pw_csv_column_cleanup(struct pw_csv_column *col) {
  if(col->labels) {
    for(size_t i = 0; i < col->n; i++)
      pw_free(col->labels[i]);
  }
  pw_free(col->labels);
  pw_free(col->values);
  pw_free(col->name);
  memset(col, 0, sizeof(*col));
}

void pw_csv_write_field(FILE *fp, const char *s) {
  if(!strpbrk(s, ",\"\r\n")) {
    fputs(s, fp);
    return;
  }
  fputc('"', fp);
  for(; *s; s++) {
    if(*s == '"')
      fputc('"', fp);
    fputc(*s, fp);
  }
  fputc('"', fp);
}
