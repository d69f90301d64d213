#include "ctl_lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../common/pw_kube.h"
#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_log.h"

struct ctl_lease {
  struct ctl_lease_cfg cfg;
  char *ns, *name, *identity;
  struct pw_kube *kube;
  pthread_t thread;
  pthread_mutex_t mu;        /* guards the fields below */
  int stop;
  double renewed_ms;         /* monotonic; 0 when not leading */
  long transitions;
  /* the last record seen, and when (monotonic) it last changed */
  char observed[512];
  double observed_ms;
  uint64_t rng;
};

void ctl_lease_micro_now(char *buf, size_t len) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, len - n, ".%06ldZ", ts.tv_nsec / 1000);
}

const char *ctl_lease_str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

double ctl_lease_num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

void ctl_lease_set_str(cJSON *o, const char *k, const char *v) {
  cJSON_DeleteItemFromObjectCaseSensitive(o, k);
  cJSON_AddStringToObject(o, k, v);
}

void ctl_lease_set_num(cJSON *o, const char *k, double v) {
  cJSON_DeleteItemFromObjectCaseSensitive(o, k);
  cJSON_AddNumberToObject(o, k, v);
}

static void path_of(const struct ctl_lease *l, char *buf, size_t len,
                    int item) {
  snprintf(buf, len, "/apis/coordination.k8s.io/v1/namespaces/%s/leases%s%s",
           l->ns, item ? "/" : "", item ? l->name : "");
}

static int create(struct ctl_lease *l) {
  char now[64], path[600];
  ctl_lease_micro_now(now, sizeof(now));
  cJSON *o = cJSON_CreateObject(), *md, *sp;
  cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1");
  cJSON_AddStringToObject(o, "kind", "Lease");
  md = cJSON_AddObjectToObject(o, "metadata");
  cJSON_AddStringToObject(md, "name", l->name);
  cJSON_AddStringToObject(md, "namespace", l->ns);
  sp = cJSON_AddObjectToObject(o, "spec");
  cJSON_AddStringToObject(sp, "holderIdentity", l->identity);
  cJSON_AddNumberToObject(sp, "leaseDurationSeconds",
                          (double)(l->cfg.duration_ms / 1000));
  cJSON_AddStringToObject(sp, "acquireTime", now);
  cJSON_AddStringToObject(sp, "renewTime", now);
  cJSON_AddNumberToObject(sp, "leaseTransitions", 0);
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if(!body)
    return PW_ENOMEM;
  path_of(l, path, sizeof(path), 0);
  int rc = pw_kube_call(l->kube, "POST", path, body, "application/json");
  cJSON_free(body);
  if(rc)
    return rc;
  return pw_kube_resp(l->kube)->status == 201 ? 0 : PW_EBUSY;
}

/* Takes over or renews the lease read in o; 0 when it is ours now. */
static int update(struct ctl_lease *l, cJSON *o, int mine) {
  char now[64], path[600];
  cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "spec");
  ctl_lease_micro_now(now, sizeof(now));
  if(!cJSON_IsObject(sp))
    sp = cJSON_AddObjectToObject(o, "spec");
  if(!mine) {
    ctl_lease_set_str(sp, "acquireTime", now);
    ctl_lease_set_num(sp, "leaseTransitions",
                      ctl_lease_num(sp, "leaseTransitions") + 1);
  }
  ctl_lease_set_str(sp, "holderIdentity", l->identity);
  ctl_lease_set_str(sp, "renewTime", now);
  ctl_lease_set_num(sp, "leaseDurationSeconds",
                    (double)(l->cfg.duration_ms / 1000));
  char *body = cJSON_PrintUnformatted(o);
  if(!body)
    return PW_ENOMEM;
  path_of(l, path, sizeof(path), 1);
  /* The resourceVersion read comes along in metadata: a stale one is a
   * 409, someone else won. */
  int rc = pw_kube_call(l->kube, "PUT", path, body, "application/json");
  cJSON_free(body);
  if(rc)
    return rc;
  return pw_kube_resp(l->kube)->status == 200 ? 0 : PW_EBUSY;
}

/* One round of client-go's tryAcquireOrRenew; 0 when leading after it. */
static int try_acquire_or_renew(struct ctl_lease *l) {
  char path[600], rec[512];
  path_of(l, path, sizeof(path), 1);
  int rc = pw_kube_call(l->kube, "GET", path, NULL, NULL);
  if(rc)
    return rc;
  const struct pw_http_resp *r = pw_kube_resp(l->kube);
  if(r->status == 404)
    return create(l);
  if(r->status != 200)
    return PW_EREMOTE;
  cJSON *o = cJSON_ParseWithLength(pw_buf_str(&r->body), r->body.len);
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "spec");
  if(!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return PW_EPARSE;
  }
  const char *holder = ctl_lease_str(sp, "holderIdentity");
  double dur_ms = ctl_lease_num(sp, "leaseDurationSeconds") * 1000;
  snprintf(rec, sizeof(rec), "%s|%s|%s|%g|%g", holder,
           ctl_lease_str(sp, "renewTime"), ctl_lease_str(sp, "acquireTime"),
           dur_ms, ctl_lease_num(sp, "leaseTransitions"));
  double now = pw_clock_mono_ms();
  pthread_mutex_lock(&l->mu);
  if(strcmp(rec, l->observed) != 0) {
    snprintf(l->observed, sizeof(l->observed), "%s", rec);
    l->observed_ms = now;
  }
  double seen = l->observed_ms;
  pthread_mutex_unlock(&l->mu);
  int mine = strcmp(holder, l->identity) == 0;
  /* Someone else holds it and it has not expired by our own clock. */
  if(holder[0] && !mine && seen + dur_ms > now) {
    cJSON_Delete(o);
    return PW_EBUSY;
  }
  rc = update(l, o, mine);
  cJSON_Delete(o);
  return rc;
}

static double jitter(struct ctl_lease *l) {
  l->rng ^= l->rng << 13;
  l->rng ^= l->rng >> 7;
  l->rng ^= l->rng << 17;
  return (double)(l->rng >> 11) * 0x1.0p-53;
}

static void *run(void *arg) {
  struct ctl_lease *l = arg;
  for(;;) {
    pthread_mutex_lock(&l->mu);
    int stop = l->stop, was = l->renewed_ms > 0;
    pthread_mutex_unlock(&l->mu);
    if(stop)
      break;
    int rc = try_acquire_or_renew(l);
    double now = pw_clock_mono_ms();
    pthread_mutex_lock(&l->mu);
    if(rc == 0) {
      if(!was) {
        l->transitions++;
        pw_logf(PW_LOG_INFO,
                PW_LF(PW_LF_STR("identity", l->identity),
                      PW_LF_STR("lease", l->name),
                      PW_LF_STR("namespace", l->ns)),
                "leader election: this replica leads");
      }
      l->renewed_ms = now;
    } else if(was && now - l->renewed_ms >= (double)l->cfg.renew_ms) {
      l->renewed_ms = 0;
      l->transitions++;
      pw_logf(PW_LOG_WARN,
              PW_LF(PW_LF_STR("identity", l->identity),
                    PW_LF_NUM("renew_deadline_ms", (double)l->cfg.renew_ms),
                    PW_LF_STR("error", rc == PW_EBUSY
                                         ? "another replica holds the lease"
                                         : pw_kube_why(l->kube))),
              "leader election: could not renew, this replica stops acting");
    }
    int leading = l->renewed_ms > 0;
    pthread_mutex_unlock(&l->mu);
    /* Followers wait a jittered retry period, as client-go does. */
    double wait = (double)l->cfg.retry_ms * (leading ? 1 : 1 + 1.2 *
                                                         jitter(l));
    for(double end = pw_clock_mono_ms() + wait; pw_clock_mono_ms() < end;) {
      pthread_mutex_lock(&l->mu);
      stop = l->stop;
      pthread_mutex_unlock(&l->mu);
      if(stop)
        break;
      pw_sleep_ms(20);
    }
  }
  return NULL;
}

int ctl_lease_leading(struct ctl_lease *l) {
  pthread_mutex_lock(&l->mu);
  int yes = l->renewed_ms > 0 &&
            pw_clock_mono_ms() - l->renewed_ms < (double)l->cfg.renew_ms;
  pthread_mutex_unlock(&l->mu);
  return yes;
}

long ctl_lease_transitions(struct ctl_lease *l) {
  pthread_mutex_lock(&l->mu);
  long n = l->transitions;
  pthread_mutex_unlock(&l->mu);
  return n;
}

static void release(struct ctl_lease *l) {
  char path[600];
  path_of(l, path, sizeof(path), 1);
  if(pw_kube_call(l->kube, "GET", path, NULL, NULL) ||
     pw_kube_resp(l->kube)->status != 200)
    return;
  const struct pw_http_resp *r = pw_kube_resp(l->kube);
  cJSON *o = cJSON_ParseWithLength(pw_buf_str(&r->body), r->body.len);
  cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "spec");
  if(cJSON_IsObject(sp) &&
     strcmp(ctl_lease_str(sp, "holderIdentity"), l->identity) == 0) {
    char now[64];
    ctl_lease_micro_now(now, sizeof(now));
    ctl_lease_set_str(sp, "holderIdentity", "");
    ctl_lease_set_num(sp, "leaseDurationSeconds", 1);
    ctl_lease_set_str(sp, "renewTime", now);
    ctl_lease_set_str(sp, "acquireTime", now);
    char *body = cJSON_PrintUnformatted(o);
    if(body && pw_kube_call(l->kube, "PUT", path, body, "application/json")
                 == 0 && pw_kube_resp(l->kube)->status == 200)
      pw_logf(PW_LOG_INFO, PW_LF(PW_LF_STR("identity", l->identity)),
              "leader election: released the lease");
    cJSON_free(body);
  }
  cJSON_Delete(o);
}

void ctl_lease_stop(struct ctl_lease **lp) {
  struct ctl_lease *l = *lp;
  if(!l)
    return;
  pthread_mutex_lock(&l->mu);
  l->stop = 1;
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  if(l->renewed_ms > 0)
    release(l);
  pw_kube_free(&l->kube);
  pthread_mutex_destroy(&l->mu);
  pw_free(l->ns);
  pw_free(l->name);
  pw_free(l->identity);
  pw_free(l);
  *lp = NULL;
}

int ctl_lease_start(const struct ctl_lease_cfg *c, struct ctl_lease **out,
                    char *err, size_t errlen) {
  *out = NULL;
  if(!(c->duration_ms > c->renew_ms && c->renew_ms * 10 > c->retry_ms * 12 &&
       c->retry_ms > 0 && c->duration_ms % 1000 == 0)) {
    snprintf(err, errlen, "leader_election: needs lease_duration > "
             "renew_deadline > 1.2 x retry_period, the duration in whole "
             "seconds");
    return PW_EINVAL;
  }
  if(!c->name || !c->identity || !*c->identity) {
    snprintf(err, errlen, "leader_election: a lease name and an identity "
             "are required");
    return PW_EINVAL;
  }
  struct ctl_lease *l = pw_calloc(1, sizeof(*l));
  if(!l)
    return PW_ENOMEM;
  pthread_mutex_init(&l->mu, NULL);
  l->cfg = *c;
  l->rng = (uint64_t)(pw_clock_mono_ms() * 1000) | 1;
  int rc = pw_kube_new(c->kubeconfig, c->sa_dir, c->namespace_, 5000, 100,
                        &l->kube, err, errlen);
  if(rc == 0) {
    l->ns = pw_strdup(pw_kube_namespace(l->kube));
    l->name = pw_strdup(c->name);
    l->identity = pw_strdup(c->identity);
    if(!l->ns || !l->name || !l->identity)
      rc = PW_ENOMEM;
  }
  if(rc == 0 && pthread_create(&l->thread, NULL, run, l) != 0)
    rc = PW_ENOMEM;
  if(rc) {
    pw_kube_free(&l->kube);
    pthread_mutex_destroy(&l->mu);
    pw_free(l->ns);
    pw_free(l->name);
    pw_free(l->identity);
    pw_free(l);
    return rc;
  }
  *out = l;
  return 0;
}
