/*
 * A YAML document as a tree (libyaml's parser underneath), with the line
 * and column of every node so that errors can name them.  Anchors and
 * aliases are refused; tags are ignored.  Used for kubeconfig files and
 * for prewarm's own configuration.
 */
#ifndef PW_YAML_H
#define PW_YAML_H

#include <stddef.h>

#include "pw_err.h"

enum pw_yaml_type { PW_YAML_SCALAR, PW_YAML_MAP, PW_YAML_SEQ };

struct pw_yaml {
  enum pw_yaml_type type;
  char *key;            /* the key, when this node is a map's value */
  char *value;          /* a scalar's text, else NULL */
  int quoted;           /* a scalar written in quotes */
  size_t line, col;     /* 1-based position in the file */
  size_t key_line, key_col; /* where its key is, for a map's value */
  struct pw_yaml **kids;/* a map's values (keys in kid->key) or a list */
  size_t nkids;
};

/* The most collections nested in one another, and the most nodes
 * (scalars, maps and lists) in a document.  Past either the parse fails
 * with PW_EPARSE; the builder recurses once a level, so the depth bound
 * is what keeps its stack small.  A node costs some 150 bytes. */
#define PW_YAML_MAX_DEPTH 64
#define PW_YAML_MAX_NODES 1000000

/*
 * Parses the one document of `text` (len bytes).  Returns 0 and *out,
 * or PW_EPARSE with err "LINE:COL: problem" (libyaml's problems said in
 * a YAML editor's terms; a second document, nesting deeper than
 * PW_YAML_MAX_DEPTH and more than PW_YAML_MAX_NODES nodes are refused),
 * or PW_ENOMEM.  Text with no document at all (empty, or only comments)
 * gives an empty map at line 0; "---" alone an empty map at its line.
 * Free with pw_yaml_free().  Reentrant: no shared state.
 */
int pw_yaml_parse(const char *text, size_t len, struct pw_yaml **out,
                  char *err, size_t errlen) PW_WUR;

/* Reads a whole file (at most max bytes) and parses it; err is prefixed
 * with the path.  PW_EIO ("PATH: cannot read: REASON", the system's
 * reason), PW_ETOOBIG, PW_ENOMEM, or pw_yaml_parse's errors. */
int pw_yaml_load(const char *path, size_t max, struct pw_yaml **out,
                 char *err, size_t errlen) PW_WUR;

void pw_yaml_free(struct pw_yaml **np);

/* The value under `key` in map n, or NULL (also when n is not a map). */
const struct pw_yaml *pw_yaml_get(const struct pw_yaml *n, const char *key);

/* The scalar text under `key`, or NULL when absent or not a scalar. */
const char *pw_yaml_str(const struct pw_yaml *n, const char *key);

/* Decodes base64 (standard alphabet, padding optional, whitespace
 * skipped) into a new NUL-terminated buffer the caller frees.
 * PW_EPARSE on a bad character, PW_ENOMEM. */
int pw_base64_decode(const char *in, char **out, size_t *outlen) PW_WUR;

/* Appends the base64 encoding (standard alphabet, padded) of n bytes. */
struct pw_buf;
int pw_base64_encode(struct pw_buf *out, const void *data, size_t n) PW_WUR;

#endif
