#include "pw_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "pw_alloc.h"
#include "pw_buf.h"

struct ctx {
  yaml_parser_t p;
  const char *text;     /* the input, to look at the character at fault */
  size_t len;
  char *err;
  size_t errlen;
  int depth;            /* collections open around the current event */
  long nodes;           /* nodes built so far */
};

void pw_yaml_free(struct pw_yaml **np) {
  struct pw_yaml *n = *np;
  if(!n)
    return;
  for(size_t i = 0; i < n->nkids; i++)
    pw_yaml_free(&n->kids[i]);
  pw_free(n->kids);
  pw_free(n->key);
  pw_free(n->value);
  pw_free(n);
  *np = NULL;
}

static struct pw_yaml *node_new(enum pw_yaml_type t, const yaml_event_t *e) {
  struct pw_yaml *n = pw_calloc(1, sizeof(*n));
  if(n) {
    n->type = t;
    n->line = e->start_mark.line + 1;
    n->col = e->start_mark.column + 1;
  }
  return n;
}

/* The kids array holds 4, then doubles when full (its capacity is the
 * larger of 4 and the next power of two of nkids), so that a long list
 * costs linear time, not quadratic. */
static int add_kid(struct pw_yaml *parent, struct pw_yaml *kid) {
  size_t n = parent->nkids;
  if(n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
    struct pw_yaml **k = pw_realloc(parent->kids,
                                    (n ? 2 * n : 4) * sizeof(*k));
    if(!k)
      return PW_ENOMEM;
    parent->kids = k;
  }
  parent->kids[parent->nkids++] = kid;
  return 0;
}

/* libyaml's problems, in the terms of someone editing the file.  The
 * first entry whose problem (and context, when given) is a prefix of
 * libyaml's wins; at_context reports where the construct began (the
 * opening quote or bracket) rather than where libyaml gave up. */
static const struct {
  const char *problem, *context, *say;
  int at_context;
} problems[] = {
  {"found unexpected end of stream", "while scanning a quoted",
   "a quoted string is not closed", 1},
  {"found unexpected document indicator", "while scanning a quoted",
   "a quoted string is not closed", 1},
  {"found unknown escape character", NULL, NULL, 0},  /* see describe() */
  {"found a tab character", NULL,
   "a tab character is used for indentation; indent with spaces", 0},
  {"could not find expected ':'", NULL,
   "a key is missing its ': ' or the indentation is inconsistent", 0},
  {"did not find expected key", NULL,
   "a key is missing its ': ' or the indentation is inconsistent", 0},
  {"did not find expected '-' indicator", NULL,
   "a list item is missing its '- ' or the indentation is inconsistent",
   0},
  {"did not find expected ',' or ']'", NULL,
   "a [ list ] is not closed, or an item lacks its ','", 1},
  {"did not find expected ',' or '}'", NULL,
   "a { map } is not closed, or an entry lacks its ','", 1},
  {"mapping values are not allowed", NULL,
   "a value holds ': '; quote it", 0},
  {"block sequence entries are not allowed", NULL,
   "a '- ' list item follows a key on the same line; start the list on "
   "the next line, indented", 0},
  {"did not find expected node content", NULL,
   "a value is missing (or starts with a character that needs quotes)", 0},
  {"found undefined tag handle", NULL,
   "a value starts with '!'; quote it", 0},
  {"found unexpected ':'", NULL, "a value holds ':'; quote it", 0},
  {"did not find expected alphabetic or numeric character",
   "while scanning an a", "a value starts with '&' or '*'; quote it", 0},
};

/* Writes "LINE:COL: problem" for libyaml's error into c->err. */
static void describe(struct ctx *c) {
  const yaml_parser_t *p = &c->p;
  const char *prob = p->problem ? p->problem : "malformed YAML";
  const char *ctxt = p->context ? p->context : "";
  yaml_mark_t at = p->problem_mark;
  char say[160];
  if(p->error == YAML_READER_ERROR) {
    /* The reader gives a byte offset, not a mark: count the lines. */
    size_t line = 0, col = 0;
    for(size_t i = 0; i < p->problem_offset && i < c->len; i++)
      if(c->text[i] == '\n') {
        line++;
        col = 0;
      } else {
        col++;
      }
    snprintf(c->err, c->errlen, "%zu:%zu: the file holds a control "
             "character or is not UTF-8 text", line + 1, col + 1);
    return;
  }
  snprintf(say, sizeof(say), "%s", prob);
  char ch = at.index < c->len ? c->text[at.index] : '\0';
  if(strcmp(prob, "found character that cannot start any token") == 0) {
    if(ch == '\t')
      snprintf(say, sizeof(say), "a tab character is used for "
               "indentation; indent with spaces");
    else if(ch > ' ' && ch < 0x7f)
      snprintf(say, sizeof(say), "a value cannot start with '%c'; quote "
               "it", ch);
  } else if(strcmp(prob, "found unknown escape character") == 0) {
    /* The mark is at the backslash; the letter follows it. */
    ch = at.index + 1 < c->len ? c->text[at.index + 1] : '\0';
    snprintf(say, sizeof(say), "a double-quoted string holds an unknown "
             "escape (\\%c); write \\\\ or use single quotes",
             ch > ' ' && ch < 0x7f ? ch : '?');
    at = p->context_mark;
  } else if(at.index >= c->len &&
            strcmp(prob, "did not find expected node content") == 0) {
    snprintf(say, sizeof(say), "the file ends inside a value: a [ list ] "
             "or { map } is not closed");
  } else {
    for(size_t i = 0; i < sizeof(problems) / sizeof(problems[0]); i++) {
      if(!problems[i].say ||
         strncmp(prob, problems[i].problem, strlen(problems[i].problem)) ||
         (problems[i].context && strncmp(ctxt, problems[i].context,
                                         strlen(problems[i].context))))
        continue;
      snprintf(say, sizeof(say), "%s", problems[i].say);
      if(problems[i].at_context)
        at = p->context_mark;
      break;
    }
  }
  snprintf(c->err, c->errlen, "%zu:%zu: %s", at.line + 1, at.column + 1,
           say);
}

static int next(struct ctx *c, yaml_event_t *e) {
  if(yaml_parser_parse(&c->p, e))
    return 0;
  describe(c);
  return PW_EPARSE;
}

static int parse_node(struct ctx *c, yaml_event_t *e, struct pw_yaml **out);

static int parse_children(struct ctx *c, struct pw_yaml *n) {
  yaml_event_t e;
  for(;;) {
    int rc = next(c, &e);
    if(rc)
      return rc;
    if(e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&e);
      return 0;
    }
    char *key = NULL;
    size_t kl = 0, kc = 0;
    if(n->type == PW_YAML_MAP) {
      if(e.type != YAML_SCALAR_EVENT) {
        snprintf(c->err, c->errlen, "%zu:%zu: a key must be a plain value",
                 e.start_mark.line + 1, e.start_mark.column + 1);
        yaml_event_delete(&e);
        return PW_EPARSE;
      }
      key = pw_strdup((const char *)e.data.scalar.value);
      kl = e.start_mark.line + 1;
      kc = e.start_mark.column + 1;
      yaml_event_delete(&e);
      if(!key)
        return PW_ENOMEM;
      if((rc = next(c, &e)) != 0) {
        pw_free(key);
        return rc;
      }
    }
    struct pw_yaml *kid = NULL;
    rc = parse_node(c, &e, &kid);
    if(rc == 0) {
      kid->key = key;
      kid->key_line = kl;
      kid->key_col = kc;
      key = NULL;
      rc = add_kid(n, kid);
      if(rc)
        pw_yaml_free(&kid);
    }
    pw_free(key);
    if(rc)
      return rc;
  }
}

/* Builds the node that starts with event e (which it deletes). */
static int parse_node(struct ctx *c, yaml_event_t *e, struct pw_yaml **out) {
  struct pw_yaml *n = NULL;
  int rc = 0;
  *out = NULL;
  if(++c->nodes > PW_YAML_MAX_NODES) {
    snprintf(c->err, c->errlen, "%zu:%zu: more than %d values; the file is "
             "too large", e->start_mark.line + 1, e->start_mark.column + 1,
             PW_YAML_MAX_NODES);
    yaml_event_delete(e);
    return PW_EPARSE;
  }
  switch(e->type) {
  case YAML_SCALAR_EVENT:
    if((n = node_new(PW_YAML_SCALAR, e)) != NULL) {
      n->quoted = e->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                  e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
      n->value = pw_strdup((const char *)e->data.scalar.value);
      if(!n->value)
        rc = PW_ENOMEM;
    }
    break;
  case YAML_MAPPING_START_EVENT:
  case YAML_SEQUENCE_START_EVENT:
    /* The builder recurses once a level: the bound keeps the stack
     * small whatever the file holds. */
    if(c->depth >= PW_YAML_MAX_DEPTH) {
      snprintf(c->err, c->errlen, "%zu:%zu: nesting deeper than %d levels",
               e->start_mark.line + 1, e->start_mark.column + 1,
               PW_YAML_MAX_DEPTH);
      rc = PW_EPARSE;
      break;
    }
    n = node_new(e->type == YAML_MAPPING_START_EVENT ? PW_YAML_MAP
                                                     : PW_YAML_SEQ, e);
    break;
  default:
    snprintf(c->err, c->errlen, "%zu:%zu: anchors and aliases are not "
             "supported", e->start_mark.line + 1, e->start_mark.column + 1);
    rc = PW_EPARSE;
  }
  int nested = e->type != YAML_SCALAR_EVENT;
  yaml_event_delete(e);
  if(!n && rc == 0)
    rc = PW_ENOMEM;
  if(rc == 0 && nested) {
    c->depth++;
    rc = parse_children(c, n);
    c->depth--;
  }
  if(rc) {
    pw_yaml_free(&n);
    return rc;
  }
  *out = n;
  return 0;
}

static int parse_doc(struct ctx *c, struct pw_yaml **out) {
  yaml_event_t e;
  int rc;
  /* stream start, then a document start or the stream end */
  if((rc = next(c, &e)) != 0)
    return rc;
  yaml_event_delete(&e);
  if((rc = next(c, &e)) != 0)
    return rc;
  if(e.type == YAML_STREAM_END_EVENT) {
    yaml_event_delete(&e);
    *out = pw_calloc(1, sizeof(**out));
    if(!*out)
      return PW_ENOMEM;
    (*out)->type = PW_YAML_MAP;
    return 0;
  }
  yaml_event_delete(&e);
  if((rc = next(c, &e)) != 0)
    return rc;
  if((rc = parse_node(c, &e, out)) != 0)
    return rc;
  /* The document's end, then the stream's: a second document would be
   * silently ignored, so it is refused. */
  for(int i = 0; i < 2 && rc == 0; i++) {
    if((rc = next(c, &e)) != 0)
      break;
    if(e.type == YAML_DOCUMENT_START_EVENT) {
      snprintf(c->err, c->errlen, "%zu:%zu: a second YAML document (---) "
               "is not supported; keep one document in the file",
               e.start_mark.line + 1, e.start_mark.column + 1);
      rc = PW_EPARSE;
    }
    yaml_event_delete(&e);
  }
  if(rc)
    pw_yaml_free(out);
  return rc;
}

int pw_yaml_parse(const char *text, size_t len, struct pw_yaml **out,
                  char *err, size_t errlen) {
  struct ctx c = {.text = text, .len = len, .err = err, .errlen = errlen};
  *out = NULL;
  if(!yaml_parser_initialize(&c.p))
    return PW_ENOMEM;
  yaml_parser_set_input_string(&c.p, (const unsigned char *)text, len);
  int rc = parse_doc(&c, out);
  yaml_parser_delete(&c.p);
  if(rc == 0 && (*out)->type == PW_YAML_SCALAR &&
     !(*out)->value[0] && !(*out)->quoted)
    (*out)->type = PW_YAML_MAP;  /* "---" alone: an empty document */
  if(rc == PW_ENOMEM)
    snprintf(err, errlen, "out of memory");
  return rc;
}

int pw_yaml_load(const char *path, size_t max, struct pw_yaml **out,
                 char *err, size_t errlen) {
  char inner[256];
  struct pw_buf b;
  pw_buf_init(&b, max);
  errno = 0;
  int rc = pw_buf_read_file(&b, path);
  int why = errno;  /* fopen's or fread's reason */
  *out = NULL;
  if(rc == PW_EIO) {
    snprintf(err, errlen, "%s: cannot read: %s", path,
             why ? strerror(why) : "read error");
  } else if(rc == PW_ETOOBIG) {
    snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
  } else if(rc) {
    snprintf(err, errlen, "%s: out of memory", path);
  } else {
    rc = pw_yaml_parse(pw_buf_str(&b), b.len, out, inner, sizeof(inner));
    if(rc)
      snprintf(err, errlen, "%s:%s", path, inner);
  }
  pw_buf_cleanup(&b);
  return rc;
}

const struct pw_yaml *pw_yaml_get(const struct pw_yaml *n, const char *key) {
  if(!n || n->type != PW_YAML_MAP)
    return NULL;
  for(size_t i = 0; i < n->nkids; i++)
    if(strcmp(n->kids[i]->key, key) == 0)
      return n->kids[i];
  return NULL;
}

const char *pw_yaml_str(const struct pw_yaml *n, const char *key) {
  const struct pw_yaml *v = pw_yaml_get(n, key);
  return v && v->type == PW_YAML_SCALAR ? v->value : NULL;
}

static int b64_value(char ch) {
  if(ch >= 'A' && ch <= 'Z')
    return ch - 'A';
  if(ch >= 'a' && ch <= 'z')
    return ch - 'a' + 26;
  if(ch >= '0' && ch <= '9')
    return ch - '0' + 52;
  if(ch == '+')
    return 62;
  if(ch == '/')
    return 63;
  return -1;
}

int pw_base64_decode(const char *in, char **out, size_t *outlen) {
  size_t n = strlen(in), w = 0;
  unsigned acc = 0;
  int bits = 0;
  char *r = pw_malloc(n / 4 * 3 + 4);
  *out = NULL;
  if(!r)
    return PW_ENOMEM;
  for(; *in && *in != '='; in++) {
    if(strchr(" \t\r\n", *in))
      continue;
    int v = b64_value(*in);
    if(v < 0) {
      pw_free(r);
      return PW_EPARSE;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if(bits >= 8) {
      bits -= 8;
      r[w++] = (char)((acc >> bits) & 0xff);
    }
  }
  r[w] = '\0';
  *out = r;
  if(outlen)
    *outlen = w;
  return 0;
}

int pw_base64_encode(struct pw_buf *out, const void *data, size_t n) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789+/";
  const unsigned char *p = data;
  int rc = 0;
  for(size_t i = 0; rc == 0 && i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if(i + 1 < n)
      v |= (unsigned)p[i + 1] << 8;
    if(i + 2 < n)
      v |= p[i + 2];
    char q[4] = {a[v >> 18], a[(v >> 12) & 63],
                 i + 1 < n ? a[(v >> 6) & 63] : '=',
                 i + 2 < n ? a[v & 63] : '='};
    rc = pw_buf_append(out, q, 4);
  }
  return rc;
}
