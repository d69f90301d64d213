/*
 * libFuzzer harness: the whole configuration load (cfg_load_text, which
 * is cfg_load without the file read: the YAML tree, every section's
 * validation) on arbitrary bytes.  It
 * must return a struct cfg or errors naming the file, never crash, leak,
 * recurse without bound or echo a URL's password.
 *
 * The first byte picks how the rest is used: as the whole file; spliced
 * into a valid configuration as the value of one of its keys; or
 * appended to it as more lines (the last two reach the validation of
 * each section sooner than bytes from nothing would).  The valid
 * configuration carries a password in a URL that must never be echoed,
 * and libFuzzer's default -max_len of 4096 bytes is enough for nesting
 * past PW_YAML_MAX_DEPTH.
 */
#define _GNU_SOURCE  /* memmem */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/pw_buf.h"
#include "../../config/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char path[] = "fuzz.yaml";

/* The templates: %s is where the fuzzer's bytes go (mode 1), or the
 * valid value from fills[] (mode 2). */
static const char *const fills[] = {"'[::1]:0'", "60s", "{a: b}",
                                    "[{start: '2026-01-01T00:00:00Z', "
                                    "end: '2026-01-02T00:00:00Z', min: 2}]",
                                    "auto"};
static const char *const templates[] = {
  "listen: %s\ntargets:\n- name: a\n  step: 60s\n"
  "  source: {demo: {days: 21}}\n  actuator: {dryrun: {}}\n"
  "  policy: {unit_capacity: 1, warmup: 60s, max: 9}\n",
  "targets:\n- name: a\n  step: %s\n"
  "  source: {prometheus: {url: 'http://127.0.0.1:9090', query: up, "
  "basic_user: u, basic_password_file: /p}}\n  actuator: {dryrun: {}}\n"
  "  policy: {unit_capacity: 1, warmup: 60s, max: 9}\n",
  "targets:\n- name: a\n  step: 60s\n"
  "  source: {remote_write: {metric: m, labels: %s}}\n"
  "  actuator: {kubernetes: {mode: replicas, name: w}}\n"
  "  policy: {unit_capacity: 1, warmup: 60s, max: 9}\n",
  "targets:\n- name: a\n  step: 60s\n"
  "  source: {postgres: {conninfo_env: PG, query: 'q $1 $2'}}\n"
  "  actuator: {lambda: {function: f, qualifier: live}}\n"
  "  policy:\n    unit_capacity: 1\n    warmup: 60s\n    max: 9\n"
  "    schedule: %s\n",
  "targets:\n- name: a\n  step: 60s\n"
  "  source: {prometheus: {url: 'http://u:hunter2@127.0.0.1:9090', "
  "query: up}}\n  actuator: {dryrun: {}}\n"
  "  forecast: {history: 7d, period: %s}\n"
  "  policy: {unit_capacity: 1, warmup: 60s, max: 9}\n"
  "leader_election: {name: l}\ndecision_log: {path: /tmp/x}\n",
};
#define NT (sizeof(templates) / sizeof(templates[0]))

/* The file's text for this input, in b. */
static void build(const uint8_t *data, size_t size, struct pw_buf *b) {
  unsigned mode = size ? data[0] % 3 : 0;
  unsigned t = size > 1 ? data[1] % NT : 0;
  const uint8_t *rest = size > 2 ? data + 2 : data + size;
  size_t n = size > 2 ? size - 2 : 0;
  if(mode == 0) {
    if(pw_buf_append(b, data, size))
      abort();
  } else if(mode == 1) {
    const char *at = strstr(templates[t], "%s");
    if(pw_buf_append(b, templates[t], (size_t)(at - templates[t])) ||
       pw_buf_append(b, rest, n) || pw_buf_append(b, at + 2, strlen(at + 2)))
      abort();
  } else {
    const char *at = strstr(templates[t], "%s");
    if(pw_buf_append(b, templates[t], (size_t)(at - templates[t])) ||
       pw_buf_append(b, fills[t], strlen(fills[t])) ||
       pw_buf_append(b, at + 2, strlen(at + 2)) || pw_buf_append(b, rest, n))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct pw_buf text, errors;
  pw_buf_init(&text, 1u << 24);
  build(data, size, &text);
  pw_buf_init(&errors, 1u << 20);
  struct cfg *c = NULL;
  int rc = cfg_load_text(path, pw_buf_str(&text), text.len, &c, &errors);
  const char *e = pw_buf_str(&errors);
  if(rc == 0) {
    if(!c || errors.len || c->ntargets == 0 || !c->listen ||
       strcmp(c->path, path) != 0)
      abort();  /* a loaded config is whole, with no errors */
    cfg_free(&c);
  } else {
    if(c || rc != PW_EINVAL)
      abort();  /* a refusal leaves nothing behind, and is PW_EINVAL
                 * (ENOMEM cannot happen here; the file is small) */
    /* Every error line names the file. */
    for(const char *l = e; *l; l = strchr(l, '\n') + 1) {
      if(strncmp(l, path, strlen(path)) != 0 || !strchr(l, '\n'))
        abort();
    }
    if(!memmem(data, size, "hunter2", 7) && strstr(e, "hunter2"))
      abort();  /* the template's password was echoed */
  }
  pw_buf_cleanup(&errors);
  pw_buf_cleanup(&text);
  return 0;
}
