#include "pb_decision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "prewarm.pb-c.h"

#define MAX_RECORD (1u << 20)

int pb_decision_encode(const struct pb_decision *d, struct pw_buf *out) {
  Prewarm__Decision m;
  char *reasons = pw_strdup(d->reasons ? d->reasons : "");
  char *parts[32];
  size_t n = 0;
  prewarm__decision__init(&m);
  if(!reasons)
    return PW_ENOMEM;
  for(char *save = NULL, *r = strtok_r(reasons, ",", &save); r && n < 32;
      r = strtok_r(NULL, ",", &save))
    parts[n++] = r;
  m.target = (char *)(uintptr_t)(d->target ? d->target : "");
  m.time_ms = d->time_ms;
  m.load = d->load;
  m.desired = d->desired;
  m.reasons = parts;
  m.n_reasons = n;
  m.forecast_mean = d->forecast_mean;
  m.forecast_upper = d->forecast_upper;
  m.requested = d->requested;
  m.ready = d->ready;
  m.actuator = (char *)(uintptr_t)(d->actuator ? d->actuator : "");
  m.leader = d->leader != 0;
  size_t len = prewarm__decision__get_packed_size(&m);
  uint8_t hdr[10], *buf = pw_malloc(len ? len : 1);
  size_t h = 0;
  int rc = buf ? 0 : PW_ENOMEM;
  if(rc == 0) {
    prewarm__decision__pack(&m, buf);
    for(size_t v = len; ; v >>= 7) {
      hdr[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      if(v <= 0x7f)
        break;
    }
    rc = pw_buf_append(out, hdr, h);
  }
  if(rc == 0)
    rc = pw_buf_append(out, buf, len);
  pw_free(buf);
  pw_free(reasons);
  return rc;
}


static int json_num(struct pw_buf *b, const char *k, double v) {
  return isfinite(v) ? pw_buf_printf(b, ",\"%s\":%.10g", k, v)
                     : pw_buf_printf(b, ",\"%s\":null", k);
}

static int to_json(const Prewarm__Decision *m, struct pw_buf *b) {
  int rc = pw_buf_printf(b, "{\"target\":");
  if(rc == 0)
    rc = pw_buf_json_str(b, m->target);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"time_ms\":%lld", (long long)m->time_ms);
  if(rc == 0)
    rc = json_num(b, "load", m->load);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"desired\":%lld,\"reasons\":[",
                       (long long)m->desired);
  for(size_t i = 0; rc == 0 && i < m->n_reasons; i++) {
    if(i)
      rc = pw_buf_append(b, ",", 1);
    if(rc == 0)
      rc = pw_buf_json_str(b, m->reasons[i]);
  }
  if(rc == 0)
    rc = pw_buf_append(b, "]", 1);
  if(rc == 0)
    rc = json_num(b, "forecast_mean", m->forecast_mean);
  if(rc == 0)
    rc = json_num(b, "forecast_upper", m->forecast_upper);
  if(rc == 0)
    rc = pw_buf_printf(b, ",\"requested\":%lld,\"ready\":%lld,\"leader\":%s,"
                       "\"actuator\":", (long long)m->requested,
                       (long long)m->ready, m->leader ? "true" : "false");
  if(rc == 0)
    rc = pw_buf_json_str(b, m->actuator);
  return rc ? rc : pw_buf_printf(b, "}\n");
}

int pb_decision_read_json(FILE *fp, struct pw_buf *json, char *err,
                          size_t errlen) {
  long at = ftell(fp);
  size_t len = 0;
  int shift = 0, c;
  for(;;) {
    c = fgetc(fp);
    if(c == EOF) {
      if(shift == 0)
        return 1;
      snprintf(err, errlen, "byte %ld: the file ends inside a record's "
               "length", at);
      return PW_EPARSE;
    }
    len |= (size_t)(c & 0x7f) << shift;
    shift += 7;
    if(!(c & 0x80))
      break;
    if(shift > 28) {
      snprintf(err, errlen, "byte %ld: a record length that is not a varint",
               at);
      return PW_EPARSE;
    }
  }
  if(len > MAX_RECORD) {
    snprintf(err, errlen, "byte %ld: a record of %zu bytes, over the limit",
             at, len);
    return PW_EPARSE;
  }
  uint8_t *buf = pw_malloc(len ? len : 1);
  if(!buf)
    return PW_ENOMEM;
  if(fread(buf, 1, len, fp) != len) {
    pw_free(buf);
    snprintf(err, errlen, "byte %ld: the file ends inside a %zu-byte record",
             at, len);
    return PW_EPARSE;
  }
  Prewarm__Decision *m = prewarm__decision__unpack(NULL, len, buf);
  pw_free(buf);
  if(!m) {
    snprintf(err, errlen, "byte %ld: not a prewarm.Decision", at);
    return PW_EPARSE;
  }
  int rc = to_json(m, json);
  prewarm__decision__free_unpacked(m, NULL);
  return rc;
}
