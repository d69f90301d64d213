#include "act_actuator.h"
#include "act_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_log.h"
#include "../common/pw_scrub.h"

void act_why(struct act *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  /* A long name may cut the text short; that is fine for a message. */
  vsnprintf(a->why, sizeof(a->why), fmt, ap);
  va_end(ap);
  /* It quotes upstream replies and curl's errors, which may hold a URL's
   * userinfo or a signed query: never let a secret through. */
  pw_scrub_secret(a->why, sizeof(a->why), NULL);
}

int act_refusal_log(struct act *a, double now_ms) {
  if(strcmp(a->refusal, a->why) == 0 &&
     now_ms - a->refusal_ms < ACT_REFUSAL_REPEAT_MS)
    return 0;
  snprintf(a->refusal, sizeof(a->refusal), "%s", a->why);
  a->refusal_ms = now_ms;
  pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("error", a->why)),
          "actuation refused, capacity kept");
  return 1;
}

int act_json_count(const cJSON *o, const char *key, long dflt, long *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = dflt;
  if(!v)
    return 0;
  if(!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
     v->valuedouble - floor(v->valuedouble) > 0)
    return PW_EPARSE;
  *out = (long)v->valuedouble;
  return 0;
}
