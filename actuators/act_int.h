/*
 * Helpers shared by the actuators, for this directory only.
 */
#ifndef ACT_INT_H
#define ACT_INT_H

#include <cjson/cJSON.h>

/*
 * Reads o[key] as a count: a whole number in 0..1e9.  An absent key (or
 * a NULL o) gives dflt; anything else is PW_EPARSE.  0 on success.
 */
int act_json_count(const cJSON *o, const char *key, long dflt, long *out);

#endif
