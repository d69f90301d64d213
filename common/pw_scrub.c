#include "pw_scrub.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Messages are short (a why[] of 256 or 512 bytes); a longer one is cut
 * here before it is scrubbed, never passed through unscrubbed. */
#define SCRUB_MAX 2048

struct out {
  char *p;
  size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n) {
  for(size_t i = 0; i < n && o->len + 1 < o->cap; i++)
    o->p[o->len++] = s[i];
}

static int name_char(char c) {
  return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static int secret_name(const char *s, size_t n) {
  static const char *const part[] = {"pass", "pwd", "secret", "token",
                                     "signature", "credential", NULL};
  static const char *const whole[] = {"key", "sig", "auth", "apikey",
                                      "api_key", "api-key", NULL};
  char low[64];
  if(n == 0 || n >= sizeof(low))
    return 0;
  for(size_t i = 0; i < n; i++)
    low[i] = (char)tolower((unsigned char)s[i]);
  low[n] = '\0';
  for(int i = 0; part[i]; i++)
    if(strstr(low, part[i]))
      return 1;
  for(int i = 0; whole[i]; i++)
    if(strcmp(low, whole[i]) == 0)
      return 1;
  return 0;
}

/* At "://": the length of the userinfo with its '@', or 0. */
static size_t userinfo_len(const char *s) {
  size_t n = strcspn(s, "/?#\"' \t\r\n<>()[],");
  size_t at = 0;
  for(size_t i = 0; i < n; i++)
    if(s[i] == '@')
      at = i + 1;
  return at;
}

/* The length of a parameter's value: a libpq quoted value ('a \' b'), or
 * up to a separator (a URL query's '&' and '#' only when in_url). */
static size_t value_len(const char *s, int in_url) {
  size_t i = 0;
  if(!in_url && s[0] == '\'') {
    for(i = 1; s[i] && s[i] != '\''; i++)
      if(s[i] == '\\' && s[i + 1])
        i++;
    return s[i] ? i + 1 : i;
  }
  while(s[i] && !isspace((unsigned char)s[i]) && s[i] != '"' &&
        !(in_url && (s[i] == '&' || s[i] == '#' || s[i] == '\'')))
    i++;
  return i;
}

/* At the start of a word: "name=value" or "name = value" with a secret
 * name?  Returns the bytes consumed (the name, '=' and value), writing
 * "name=***", or 0. */
static size_t secret_param(struct out *o, const char *s, int in_url) {
  size_t n = 0, i;
  while(name_char(s[n]))
    n++;
  if(n == 0)
    return 0;
  i = n;
  while(!in_url && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if(s[i] != '=' || !secret_name(s, n))
    return 0;
  i++;
  while(!in_url && (s[i] == ' ' || s[i] == '\t'))
    i++;
  put(o, s, n);
  put(o, "=***", 4);
  return i + value_len(s + i, in_url);
}

/* libpq quoting what it could not parse: `after "..."` and the like. */
static size_t echo_len(const char *s) {
  static const char *const lead[] = {"after \"", "URI: \"", "token: \"",
                                     "parameter: \"", "value: \"", NULL};
  for(int k = 0; lead[k]; k++) {
    size_t ln = strlen(lead[k]);
    if(strncmp(s, lead[k], ln) == 0) {
      const char *q = strchr(s + ln, '"');
      /* An unterminated quote hides the rest of the message. */
      return q ? (size_t)(q - s) : strlen(s);
    }
  }
  return 0;
}

static void scrub_pass(char *msg, size_t size) {
  char tmp[SCRUB_MAX];
  struct out o = {tmp, 0, size < sizeof(tmp) ? size : sizeof(tmp)};
  const char *s = msg;
  while(*s && o.len + 1 < o.cap) {
    int word_start = s == msg || isspace((unsigned char)s[-1]) ||
                     s[-1] == '"' || s[-1] == '(' || s[-1] == ',';
    int url_param = s > msg && (s[-1] == '?' || s[-1] == '&');
    size_t n;
    if(strncmp(s, "://", 3) == 0 && (n = userinfo_len(s + 3)) > 0) {
      put(&o, "://***@", 7);
      s += 3 + n;
    } else if((word_start || url_param) &&
              (n = secret_param(&o, s, url_param)) > 0) {
      s += n;
    } else if((n = echo_len(s)) > 0) {
      const char *q = strchr(s, '"');
      put(&o, s, (size_t)(q - s) + 1);
      put(&o, "***", 3);
      s += n;
    } else {
      put(&o, s++, 1);
    }
  }
  tmp[o.len] = '\0';
  memcpy(msg, tmp, o.len + 1);
}

static void scrub_known(char *msg, size_t size, const char *known) {
  size_t kn = known ? strlen(known) : 0;
  char *hit;
  if(kn < 4)
    return;
  while((hit = strstr(msg, known)) != NULL) {
    size_t rest = strlen(hit + kn);
    memcpy(hit, "***", 3);
    memmove(hit + 3, hit + kn, rest + 1);  /* kn >= 4: never grows */
  }
  (void)size;
}

void pw_scrub_secret(char *msg, size_t size, const char *known) {
  if(!msg || size == 0)
    return;
  if(strnlen(msg, size) >= size)
    msg[size - 1] = '\0';
  if(size > SCRUB_MAX && strlen(msg) >= SCRUB_MAX)
    msg[SCRUB_MAX - 1] = '\0';
  scrub_known(msg, size, known);
  scrub_pass(msg, size);
}
