#include "pw_yaml.h"

#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "pw_alloc.h"
#include "pw_buf.h"

struct ctx {
  yaml_parser_t p;
  char *err;
  size_t errlen;
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

static int add_kid(struct pw_yaml *parent, struct pw_yaml *kid) {
  struct pw_yaml **k = pw_realloc(parent->kids,
                                  (parent->nkids + 1) * sizeof(*k));
  if(!k)
    return PW_ENOMEM;
  parent->kids = k;
  k[parent->nkids++] = kid;
  return 0;
}

static int next(struct ctx *c, yaml_event_t *e) {
  if(yaml_parser_parse(&c->p, e))
    return 0;
  snprintf(c->err, c->errlen, "%zu:%zu: %s", c->p.problem_mark.line + 1,
           c->p.problem_mark.column + 1,
           c->p.problem ? c->p.problem : "malformed YAML");
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
  if(rc == 0 && nested)
    rc = parse_children(c, n);
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
  return parse_node(c, &e, out);
}

int pw_yaml_parse(const char *text, size_t len, struct pw_yaml **out,
                  char *err, size_t errlen) {
  struct ctx c = {.err = err, .errlen = errlen};
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
  int rc = pw_buf_read_file(&b, path);
  *out = NULL;
  if(rc == PW_EIO) {
    snprintf(err, errlen, "%s: cannot read", path);
  } else if(rc) {
    snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
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
