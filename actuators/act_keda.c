#include "act_keda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "act_int.h"
#include "act_kfloor_int.h"

/* A whole number 0..1e9 written as a string, as our mark is. */
static int count_str(const char *s, long *out) {
  char *end;
  size_t n = strspn(s, "0123456789");
  if(n == 0 || n > 9 || s[n])
    return PW_EPARSE;
  *out = strtol(s, &end, 10);
  return 0;
}

int act_keda_parse(const char *b, size_t len, struct act_keda_so *out) {
  cJSON *j = cJSON_ParseWithLength(b, len);
  const cJSON *md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "spec");
  const cJSON *rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");
  const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
  const cJSON *mk = cJSON_GetObjectItemCaseSensitive(an, ACT_KEDA_MARK);
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sp, "scaleTargetRef");
  const cJSON *rk = cJSON_GetObjectItemCaseSensitive(ref, "kind");
  const cJSON *rn = cJSON_GetObjectItemCaseSensitive(ref, "name");
  memset(out, 0, sizeof(*out));
  int rc = cJSON_IsObject(sp) && cJSON_IsString(rv) &&
           kfloor_plain(rv->valuestring) &&
           strlen(rv->valuestring) < sizeof(out->rv) ? 0 : PW_EPARSE;
  /* KEDA's defaults: minReplicaCount 0, maxReplicaCount 100. */
  if(rc == 0)
    rc = act_json_count(sp, "minReplicaCount", 0, &out->min);
  if(rc == 0)
    rc = act_json_count(sp, "maxReplicaCount", 100, &out->max);
  if(rc == 0)
    rc = act_json_count(sp, "idleReplicaCount", -1, &out->idle);
  out->mark = -1;
  if(rc == 0 && mk)
    rc = cJSON_IsString(mk) ? count_str(mk->valuestring, &out->mark)
                            : PW_EPARSE;
  if(rc == 0) {
    snprintf(out->rv, sizeof(out->rv), "%s", rv->valuestring);
    /* scaleTargetRef.kind defaults to Deployment. */
    snprintf(out->kind, sizeof(out->kind), "%s",
             cJSON_IsString(rk) ? rk->valuestring : "Deployment");
    snprintf(out->target, sizeof(out->target), "%s",
             cJSON_IsString(rn) ? rn->valuestring : "");
  }
  cJSON_Delete(j);
  return rc;
}

static int keda_read(struct kfloor *k, struct kfloor_state *st) {
  struct act_keda_so so;
  const char *b;
  size_t len;
  snprintf(st->path, sizeof(st->path), "/apis/keda.sh/v1alpha1/namespaces/"
           "%s/scaledobjects/%s", k->ns, k->name);
  snprintf(st->what, sizeof(st->what), "ScaledObject %s/%s", k->ns, k->name);
  int rc = kfloor_get_body(k, st->path, &b, &len);
  if(rc)
    return rc;
  if((rc = act_keda_parse(b, len, &so)) != 0) {
    act_why(&k->base, "kubernetes GET %s: not a keda.sh/v1alpha1 "
            "ScaledObject", st->path);
    return rc;
  }
  st->floor = so.min;
  st->max = so.max;
  st->idle = so.idle;
  st->raised = so.mark >= 0;
  st->user = st->raised ? so.mark : so.min;
  snprintf(st->rv, sizeof(st->rv), "%s", so.rv);
  /* Ready pods come from the scale target, when it is a workload. */
  return kfloor_workload(k, so.kind, so.target, &st->current, &st->ready);
}

static void keda_body(const struct kfloor *k, long n, char *buf,
                      size_t len) {
  char mark[32];
  if(n == k->st.user)
    snprintf(mark, sizeof(mark), "null");
  else
    snprintf(mark, sizeof(mark), "\"%ld\"", k->st.user);
  snprintf(buf, len, "{\"metadata\":{\"resourceVersion\":\"%s\","
           "\"annotations\":{\"" ACT_KEDA_MARK "\":%s}},"
           "\"spec\":{\"minReplicaCount\":%ld}}", k->st.rv, mark, n);
}

static const struct kfloor_ops keda_floor = {keda_read, keda_body,
                                             "maxReplicaCount", NULL};

int act_keda_new(const struct act_keda_cfg *c, struct act **out, char *err,
                 size_t errlen) {
  struct kfloor_cfg f = {c->namespace_, c->name, c->kubeconfig, c->sa_dir,
                         c->restore_min, c->timeout_ms, c->retry_base_ms};
  return kfloor_new(&f, "keda", &keda_floor, out, err, errlen);
}
