#include "act_knative.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/pw_log.h"
#include "act_int.h"
#include "act_kfloor_int.h"

int act_knative_parse_service(const char *b, size_t len, char *rev,
                              size_t rlen) {
  cJSON *j = cJSON_ParseWithLength(b, len);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(st,
                                                    "latestReadyRevisionName");
  int rc = cJSON_IsObject(j) && (!r || (cJSON_IsString(r) &&
                                        strlen(r->valuestring) < rlen))
             ? 0 : PW_EPARSE;
  snprintf(rev, rlen, "%s", rc == 0 && r ? r->valuestring : "");
  cJSON_Delete(j);
  return rc;
}

/* An annotation holding a count (Knative parses them with ParseInt): the
 * value in *out and the text in raw (when given); -1 and "" when absent. */
static int ann_count(const cJSON *an, const char *key, long *out, char *raw,
                     size_t rlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(an, key);
  *out = -1;
  if(raw)
    raw[0] = '\0';
  if(!v)
    return 0;
  if(!cJSON_IsString(v))
    return PW_EPARSE;
  size_t n = strspn(v->valuestring, "0123456789");
  if(n == 0 || n > 9 || v->valuestring[n])
    return PW_EPARSE;
  *out = strtol(v->valuestring, NULL, 10);
  if(raw)
    snprintf(raw, rlen, "%s", v->valuestring);
  return 0;
}

int act_knative_parse_revision(const char *b, size_t len,
                               struct act_knative_rev *out) {
  cJSON *j = cJSON_ParseWithLength(b, len);
  const cJSON *md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  const cJSON *rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");
  const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
  const cJSON *mk = cJSON_GetObjectItemCaseSensitive(an, ACT_KNATIVE_MARK);
  long min, max, legacy_max, mark;
  memset(out, 0, sizeof(*out));
  int rc = cJSON_IsObject(md) && cJSON_IsString(rv) &&
           kfloor_plain(rv->valuestring) &&
           strlen(rv->valuestring) < sizeof(out->rv) &&
           (!an || cJSON_IsObject(an)) ? 0 : PW_EPARSE;
  /* min-scale wins over the older minScale (kmap.KeyPriority). */
  if(rc == 0)
    rc = ann_count(an, ACT_KNATIVE_MIN, &min, out->min_raw,
                   sizeof(out->min_raw));
  if(rc == 0)
    rc = ann_count(an, "autoscaling.knative.dev/minScale", &out->legacy_min,
                   NULL, 0);
  if(rc == 0)
    rc = ann_count(an, "autoscaling.knative.dev/max-scale", &max, NULL, 0);
  if(rc == 0)
    rc = ann_count(an, "autoscaling.knative.dev/maxScale", &legacy_max,
                   NULL, 0);
  /* Our mark: the user's min-scale as written, or "" when there was none. */
  out->marked = mk != NULL;
  if(rc == 0 && mk && (!cJSON_IsString(mk) || (mk->valuestring[0] &&
     ann_count(an, ACT_KNATIVE_MARK, &mark, out->mark_raw,
               sizeof(out->mark_raw)))))
    rc = PW_EPARSE;
  if(rc == 0)
    rc = act_json_count(st, "desiredReplicas", 0, &out->desired);
  if(rc == 0)
    rc = act_json_count(st, "actualReplicas", 0, &out->actual);
  if(rc == 0) {
    out->min = min >= 0 ? min : out->legacy_min >= 0 ? out->legacy_min : 0;
    /* max-scale 0 means no limit. */
    out->max = max >= 0 ? max : legacy_max;
    if(out->max == 0)
      out->max = -1;
    snprintf(out->rv, sizeof(out->rv), "%s", rv->valuestring);
  }
  cJSON_Delete(j);
  return rc;
}

static int knative_read(struct kfloor *k, struct kfloor_state *st) {
  struct act_knative_rev r;
  char rev[254];
  const char *b;
  size_t len;
  snprintf(st->path, sizeof(st->path), "/apis/serving.knative.dev/v1/"
           "namespaces/%s/services/%s", k->ns, k->name);
  int rc = kfloor_get_body(k, st->path, &b, &len);
  if(rc)
    return rc;
  if((rc = act_knative_parse_service(b, len, rev, sizeof(rev))) != 0) {
    act_why(&k->base, "kubernetes GET %s: not a Knative Service", st->path);
    return rc;
  }
  if(!rev[0]) {
    act_why(&k->base, "knative: Service %s/%s has no ready revision yet",
            k->ns, k->name);
    return PW_ENOTFOUND;
  }
  snprintf(st->path, sizeof(st->path), "/apis/serving.knative.dev/v1/"
           "namespaces/%s/revisions/%s", k->ns, rev);
  snprintf(st->what, sizeof(st->what), "Revision %s/%s", k->ns, rev);
  if((rc = kfloor_get_body(k, st->path, &b, &len)) != 0)
    return rc;
  if((rc = act_knative_parse_revision(b, len, &r)) != 0) {
    act_why(&k->base, "kubernetes GET %s: not a Knative Revision", st->path);
    return rc;
  }
  /* A new revision became the latest while the previous one was raised
   * (k->st is still the previous reading): set() gives that one back
   * (settle), never a read. */
  if(k->have && k->st.raised && k->seen[0] && strcmp(k->seen, rev) != 0 &&
     !k->left[0])
    snprintf(k->left, sizeof(k->left), "%s", k->seen);
  snprintf(k->seen, sizeof(k->seen), "%s", rev);
  st->floor = r.min;
  st->max = r.max;
  st->current = r.desired;
  st->ready = r.actual;
  st->raised = r.marked;
  if(r.marked) {
    snprintf(st->user_raw, sizeof(st->user_raw), "%s", r.mark_raw);
    st->user = r.mark_raw[0] ? strtol(r.mark_raw, NULL, 10)
                             : r.legacy_min >= 0 ? r.legacy_min : 0;
  } else {
    snprintf(st->user_raw, sizeof(st->user_raw), "%s", r.min_raw);
    st->user = r.min;
  }
  snprintf(st->rv, sizeof(st->rv), "%s", r.rv);
  return 0;
}

static void knative_body(const struct kfloor *k, long n, char *buf,
                         size_t len) {
  char min[40], mark[40];
  if(n == k->st.user) {
    /* Give back the user's annotation as written, or none. */
    if(k->st.user_raw[0] && k->restore_min < 0)
      snprintf(min, sizeof(min), "\"%s\"", k->st.user_raw);
    else if(k->restore_min >= 0)
      snprintf(min, sizeof(min), "\"%ld\"", n);
    else
      snprintf(min, sizeof(min), "null");
    snprintf(mark, sizeof(mark), "null");
  } else {
    snprintf(min, sizeof(min), "\"%ld\"", n);
    snprintf(mark, sizeof(mark), "\"%s\"", k->st.user_raw);
  }
  snprintf(buf, len, "{\"metadata\":{\"resourceVersion\":\"%s\","
           "\"annotations\":{\"" ACT_KNATIVE_MIN "\":%s,\"" ACT_KNATIVE_MARK
           "\":%s}}}", k->st.rv, min, mark);
}

/*
 * Gives back the floor prewarm left on k->left, the revision that was the
 * latest when it was raised: its min-scale back as the user wrote it (or
 * restore_min), our mark removed, with its resourceVersion.  Done (left
 * forgotten) when that revision is gone or no longer marked; a failure
 * is logged at warn and tried again at the next set().
 */
static void knative_settle(struct kfloor *k) {
  struct act_knative_rev r;
  char path[700], body[400], min[40], why[sizeof(k->base.why)];
  const char *b;
  size_t len;
  if(!k->left[0])
    return;
  snprintf(why, sizeof(why), "%s", k->base.why);
  snprintf(path, sizeof(path), "/apis/serving.knative.dev/v1/namespaces/%s/"
           "revisions/%s", k->ns, k->left);
  int rc = kfloor_get_body(k, path, &b, &len);
  if(rc == 0 && (rc = act_knative_parse_revision(b, len, &r)) == 0 &&
     r.marked) {
    if(k->restore_min >= 0)
      snprintf(min, sizeof(min), "\"%ld\"", k->restore_min);
    else if(r.mark_raw[0])
      snprintf(min, sizeof(min), "\"%s\"", r.mark_raw);
    else
      snprintf(min, sizeof(min), "null");
    snprintf(body, sizeof(body), "{\"metadata\":{\"resourceVersion\":"
             "\"%s\",\"annotations\":{\"" ACT_KNATIVE_MIN "\":%s,\""
             ACT_KNATIVE_MARK "\":null}}}", r.rv, min);
    rc = kfloor_patch(k, path, body);
  }
  if(rc == 0 || rc == PW_ENOTFOUND) {
    k->left[0] = '\0';
  } else {
    pw_logf(PW_LOG_WARN, PW_LF(PW_LF_STR("revision", k->left)),
            "knative: floor on the previous revision not given back yet: "
            "%s", k->base.why);
  }
  snprintf(k->base.why, sizeof(k->base.why), "%s", why);
}

static const struct kfloor_ops knative_floor = {knative_read, knative_body,
                                                "max-scale", knative_settle};

int act_knative_new(const struct act_knative_cfg *c, struct act **out,
                    char *err, size_t errlen) {
  struct kfloor_cfg f = {c->namespace_, c->name, c->kubeconfig, c->sa_dir,
                         c->restore_min, c->timeout_ms, c->retry_base_ms};
  return kfloor_new(&f, "knative", &knative_floor, out, err, errlen);
}
