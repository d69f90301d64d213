#include "ctl_shard.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/pw_alloc.h"
#include "../common/pw_clock.h"
#include "../common/pw_http.h"
#include "../common/pw_kube.h"
#include "../common/pw_log.h"
#include "ctl_lease.h"

/* Member Leases seen at most (replicas of one deployment). */
#define MAX_MEMBERS 256

/* A Lease as last read: its record and when (monotonic) it last changed,
 * which is what expiry is judged by. */
struct seen {
  char rec[400];
  double changed_ms;
  double dur_ms;
  char holder[128];
};

struct shard {
  struct seen seen;          /* the manager thread's */
  int present;               /* in the last list (else: to be created) */
  /* Under mu: */
  double renewed_ms;         /* monotonic, before the last renewal was
                              * sent; 0 when not held */
  int releasing, idle;
};

struct member {
  char name[256];
  struct seen seen;
};

struct ctl_shard {
  struct ctl_shard_cfg cfg;
  char *ns, *prefix, *identity, *member_name;
  struct pw_kube *kube;
  pthread_t thread;
  int running;
  uint64_t rng;
  struct member *mem;        /* the thread's */
  size_t nmem;
  pthread_mutex_t mu;        /* guards the fields below and the shards'
                              * renewed_ms, releasing, idle, holder copies */
  int stop;
  long n;
  struct shard *sh;
  char (*holder)[128];       /* per shard, for the view */
  long live, share, acquired, released, lost, errors;
  int failing;               /* a failure streak is logged once */
};

static double now_ms(void) {
  return pw_clock_mono_ms();
}

/* Records what the Lease's spec says; t is when it was read. */
static void observe(struct seen *w, const cJSON *spec, double t) {
  char rec[400];
  const char *holder = ctl_lease_str(spec, "holderIdentity");
  snprintf(rec, sizeof(rec), "%s|%s|%s|%g|%g", holder,
           ctl_lease_str(spec, "renewTime"), ctl_lease_str(spec, "acquireTime"),
           ctl_lease_num(spec, "leaseDurationSeconds"),
           ctl_lease_num(spec, "leaseTransitions"));
  if(strcmp(rec, w->rec) != 0) {
    snprintf(w->rec, sizeof(w->rec), "%s", rec);
    w->changed_ms = t;
  }
  snprintf(w->holder, sizeof(w->holder), "%s", holder);
  w->dur_ms = ctl_lease_num(spec, "leaseDurationSeconds") * 1000;
}

/* Whether a Lease seen as w binds its holder at t. */
static int alive(const struct seen *w, double t) {
  return w->holder[0] && w->changed_ms + w->dur_ms > t;
}

/* The upstream's own reason for a refusal: its Status message. */
static void why_of(struct ctl_shard *s, char *buf, size_t len) {
  const struct pw_http_resp *r = pw_kube_resp(s->kube);
  cJSON *o = cJSON_ParseWithLength(pw_buf_str(&r->body), r->body.len);
  const char *m = ctl_lease_str(o, "message");
  snprintf(buf, len, "HTTP %ld %s%s%s", (long)r->status,
           ctl_lease_str(o, "reason"), m[0] ? ": " : "", m);
  cJSON_Delete(o);
}

static void failed(struct ctl_shard *s, const char *lease, int rc,
                   const char *what) {
  char why[300];
  if(rc == PW_EBUSY)
    why_of(s, why, sizeof(why));
  else
    snprintf(why, sizeof(why), "%s", pw_kube_why(s->kube));
  pthread_mutex_lock(&s->mu);
  s->errors++;
  pthread_mutex_unlock(&s->mu);
  pw_logf(PW_LOG_WARN,
          PW_LF(PW_LF_STR("identity", s->identity),
                PW_LF_STR("lease", lease), PW_LF_STR("error", why)),
          "%s", what);
}

static int call(struct ctl_shard *s, const char *method, const char *name,
                cJSON *o, long want) {
  char path[512];
  snprintf(path, sizeof(path),
           "/apis/coordination.k8s.io/v1/namespaces/%s/leases%s%s", s->ns,
           name ? "/" : "", name ? name : "");
  char *body = o ? cJSON_PrintUnformatted(o) : NULL;
  if(o && !body)
    return PW_ENOMEM;
  int rc = pw_kube_call(s->kube, method, path, body,
                        body ? "application/json" : NULL);
  cJSON_free(body);
  if(rc)
    return rc;
  return pw_kube_resp(s->kube)->status == want ? 0 : PW_EBUSY;
}

/* Writes the Lease read as item (NULL: none yet, so it is created) with
 * holder (this replica, or "" to release).  0 when the server took it;
 * PW_EBUSY when it refused (a 409: someone else was first). */
static int write_lease(struct ctl_shard *s, const char *name, cJSON *item,
                       const char *holder, int takeover) {
  char now[64];
  ctl_lease_micro_now(now, sizeof(now));
  double dur = holder[0] ? (double)(s->cfg.duration_ms / 1000) : 1;
  cJSON *o = item ? cJSON_Duplicate(item, 1) : cJSON_CreateObject();
  if(!o)
    return PW_ENOMEM;
  ctl_lease_set_str(o, "apiVersion", "coordination.k8s.io/v1");
  ctl_lease_set_str(o, "kind", "Lease");
  cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
  if(!cJSON_IsObject(md)) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, "metadata");
    md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", s->ns);
  }
  cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "spec");
  if(!cJSON_IsObject(sp)) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, "spec");
    sp = cJSON_AddObjectToObject(o, "spec");
  }
  if(takeover || !item) {
    ctl_lease_set_str(sp, "acquireTime", now);
    ctl_lease_set_num(sp, "leaseTransitions",
            item ? ctl_lease_num(sp, "leaseTransitions") + 1 : 0);
  }
  ctl_lease_set_str(sp, "holderIdentity", holder);
  ctl_lease_set_str(sp, "renewTime", now);
  ctl_lease_set_num(sp, "leaseDurationSeconds", dur);
  int rc = item ? call(s, "PUT", name, o, 200) : call(s, "POST", NULL, o, 201);
  cJSON_Delete(o);
  return rc;
}

static double jitter(struct ctl_shard *s) {
  s->rng ^= s->rng << 13;
  s->rng ^= s->rng >> 7;
  s->rng ^= s->rng << 17;
  return (double)(s->rng >> 11) * 0x1.0p-53;
}

/* The shard a Lease name stands for, or -1. */
static long shard_of_name(const struct ctl_shard *s, const char *name) {
  size_t pl = strlen(s->prefix);
  if(strncmp(name, s->prefix, pl) != 0 || name[pl] != '-')
    return -1;
  const char *p = name + pl + 1;
  if(!*p || strlen(p) > 5)
    return -1;
  long k = 0;
  for(; *p; p++) {
    if(*p < '0' || *p > '9')
      return -1;
    k = k * 10 + (*p - '0');
  }
  return k < s->n ? k : -1;
}

static struct member *member_of(struct ctl_shard *s, const char *name) {
  for(size_t i = 0; i < s->nmem; i++)
    if(strcmp(s->mem[i].name, name) == 0)
      return &s->mem[i];
  if(s->nmem == MAX_MEMBERS)
    return NULL;
  struct member *m = &s->mem[s->nmem++];
  memset(m, 0, sizeof(*m));
  snprintf(m->name, sizeof(m->name), "%s", name);
  return m;
}

/* Live replicas at t: the holders of live member or shard Leases, and
 * this one. */
static long count_live(struct ctl_shard *s, double t) {
  const char **ids = pw_calloc(s->nmem + (size_t)s->n + 1, sizeof(*ids));
  if(!ids)
    return 1;
  size_t n = 0;
  ids[n++] = s->identity;
  for(size_t i = 0; i < s->nmem + (size_t)s->n; i++) {
    const struct seen *w = i < s->nmem ? &s->mem[i].seen
                                       : &s->sh[i - s->nmem].seen;
    if(!alive(w, t))
      continue;
    size_t j = 0;
    while(j < n && strcmp(ids[j], w->holder) != 0)
      j++;
    if(j == n)
      ids[n++] = w->holder;
  }
  pw_free(ids);
  return (long)n;
}

/* Reads every Lease of the namespace; items[k] points at shard k's in
 * *list (owned by the caller), and *self at this replica's member. */
static int read_all(struct ctl_shard *s, cJSON **list, cJSON **items,
                    cJSON **self) {
  *list = NULL;
  *self = NULL;
  int rc = call(s, "GET", NULL, NULL, 200);
  if(rc) {
    failed(s, s->prefix, rc, "sharding: cannot list the Leases; shards "
           "not renewed stop being acted on at the renew deadline");
    return rc;
  }
  const struct pw_http_resp *r = pw_kube_resp(s->kube);
  cJSON *o = cJSON_ParseWithLength(pw_buf_str(&r->body), r->body.len);
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "items");
  if(!cJSON_IsArray(arr)) {
    cJSON_Delete(o);
    pw_log(PW_LOG_WARN, "sharding: the Lease list has no items array");
    return PW_EPARSE;
  }
  double t = now_ms();
  for(long k = 0; k < s->n; k++)
    s->sh[k].present = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "spec");
    const char *name = ctl_lease_str(md, "name");
    char mp[256];
    snprintf(mp, sizeof(mp), "%s-member-", s->prefix);
    long k = shard_of_name(s, name);
    if(k >= 0) {
      observe(&s->sh[k].seen, sp, t);
      s->sh[k].present = 1;
      items[k] = it;
    } else if(strncmp(name, mp, strlen(mp)) == 0) {
      struct member *m = member_of(s, name);
      if(m)
        observe(&m->seen, sp, t);
      if(strcmp(name, s->member_name) == 0)
        *self = it;
    }
  }
  *list = o;
  return 0;
}

/* Renews or gives up the shards this replica holds; returns how many it
 * holds (not giving up) after. */
static long keep(struct ctl_shard *s, cJSON **items, double t) {
  long held = 0;
  for(long k = 0; k < s->n; k++) {
    struct shard *h = &s->sh[k];
    int mine = h->present && strcmp(h->seen.holder, s->identity) == 0;
    pthread_mutex_lock(&s->mu);
    double was = h->renewed_ms;
    int releasing = h->releasing, idle = h->idle;
    if(was > 0 && !mine) {
      h->renewed_ms = 0;  /* taken or released behind our back */
      h->releasing = 0;
      s->lost++;
    }
    pthread_mutex_unlock(&s->mu);
    if(was > 0 && !mine)
      pw_logf(PW_LOG_WARN,
              PW_LF(PW_LF_NUM("shard", k),
                    PW_LF_STR("holder", h->seen.holder)),
              "sharding: the shard's Lease is not ours any more; its "
              "targets stop");
    if(!mine)
      continue;
    char name[256];
    snprintf(name, sizeof(name), "%s-%ld", s->prefix, k);
    double before = now_ms();
    int release = releasing && idle;
    int rc = write_lease(s, name, items[k], release ? "" : s->identity, 0);
    pthread_mutex_lock(&s->mu);
    if(rc == 0 && release) {
      h->renewed_ms = 0;
      h->releasing = 0;
      s->released++;
    } else if(rc == 0) {
      if(h->renewed_ms <= 0)
        s->acquired++;  /* ours from before a restart */
      h->renewed_ms = before;
    } else if(h->renewed_ms > 0 &&
              t - h->renewed_ms >= (double)s->cfg.renew_ms) {
      h->renewed_ms = 0;
      h->releasing = 0;
      s->lost++;
    }
    held += h->renewed_ms > 0 && !h->releasing;
    pthread_mutex_unlock(&s->mu);
    if(rc)
      failed(s, name, rc, "sharding: cannot renew the shard's Lease");
    else if(release)
      pw_logf(PW_LOG_INFO, PW_LF(PW_LF_NUM("shard", k)),
              "sharding: released the shard");
  }
  return held;
}

/* Marks the surplus over share for giving up (highest shards first), or
 * takes back shards being given up while under it. */
static void balance(struct ctl_shard *s, long share) {
  pthread_mutex_lock(&s->mu);
  long held = 0;
  for(long k = 0; k < s->n; k++)
    held += s->sh[k].renewed_ms > 0 && !s->sh[k].releasing;
  for(long k = s->n - 1; k >= 0 && held != share; k--) {
    struct shard *h = &s->sh[k];
    if(held > share && h->renewed_ms > 0 && !h->releasing) {
      h->releasing = 1;
      held--;
      pw_logf(PW_LOG_INFO,
              PW_LF(PW_LF_NUM("shard", k), PW_LF_NUM("share", share)),
              "sharding: giving the shard up (over the fair share)");
    } else if(held < share && h->renewed_ms > 0 && h->releasing) {
      h->releasing = 0;
      held++;
    }
  }
  pthread_mutex_unlock(&s->mu);
}

/* Takes free or expired shards up to share, from an offset of this
 * replica's own so that replicas do not all race for shard 0. */
static void take(struct ctl_shard *s, cJSON **items, long held, long share,
                 double t) {
  long start = (long)(s->rng % (uint64_t)s->n);
  for(long j = 0; j < s->n && held < share; j++) {
    long k = (start + j) % s->n;
    struct shard *h = &s->sh[k];
    if(h->present && (alive(&h->seen, t) ||
                      strcmp(h->seen.holder, s->identity) == 0))
      continue;
    char name[256];
    snprintf(name, sizeof(name), "%s-%ld", s->prefix, k);
    double before = now_ms();
    int rc = write_lease(s, name, h->present ? items[k] : NULL, s->identity,
                         1);
    if(rc == PW_EBUSY && pw_kube_resp(s->kube)->status == 409)
      continue;  /* another replica was first: not a failure */
    if(rc) {
      failed(s, name, rc, "sharding: cannot take the shard's Lease");
      continue;
    }
    pthread_mutex_lock(&s->mu);
    h->renewed_ms = before;
    h->releasing = 0;
    h->idle = 0;
    s->acquired++;
    pthread_mutex_unlock(&s->mu);
    held++;
    pw_logf(PW_LOG_INFO,
            PW_LF(PW_LF_NUM("shard", k), PW_LF_STR("identity", s->identity)),
            "sharding: took the shard");
  }
}

/* One round: read, renew this replica's member Lease and shards, give up
 * the surplus, take the share. */
static void round_once(struct ctl_shard *s) {
  cJSON *items_buf[CTL_SHARD_MAX];
  cJSON **items = items_buf;
  cJSON *list, *self;
  memset(items, 0, sizeof(*items) * (size_t)s->n);
  if(read_all(s, &list, items, &self)) {
    double t = now_ms();
    pthread_mutex_lock(&s->mu);
    for(long k = 0; k < s->n; k++)
      if(s->sh[k].renewed_ms > 0 &&
         t - s->sh[k].renewed_ms >= (double)s->cfg.renew_ms) {
        s->sh[k].renewed_ms = 0;
        s->lost++;
      }
    pthread_mutex_unlock(&s->mu);
    return;
  }
  int rc = write_lease(s, s->member_name, self, s->identity, 0);
  if(rc)
    failed(s, s->member_name, rc, "sharding: cannot renew this replica's "
           "member Lease");
  double t = now_ms();
  long live = count_live(s, t);
  long share = (s->n + live - 1) / live;
  long held = keep(s, items, t);
  balance(s, share);
  pthread_mutex_lock(&s->mu);
  held = 0;
  for(long k = 0; k < s->n; k++) {
    held += s->sh[k].renewed_ms > 0 && !s->sh[k].releasing;
    snprintf(s->holder[k], sizeof(s->holder[k]), "%s",
             s->sh[k].present && alive(&s->sh[k].seen, t)
             ? s->sh[k].seen.holder : "");
  }
  s->live = live;
  s->share = share;
  pthread_mutex_unlock(&s->mu);
  take(s, items, held, share, t);
  pthread_mutex_lock(&s->mu);
  for(long k = 0; k < s->n; k++)
    if(s->sh[k].renewed_ms > 0)
      snprintf(s->holder[k], sizeof(s->holder[k]), "%s", s->identity);
  pthread_mutex_unlock(&s->mu);
  cJSON_Delete(list);
}

static void *run(void *arg) {
  struct ctl_shard *s = arg;
  for(;;) {
    double wait = (double)s->cfg.retry_ms * (1 + 0.2 * jitter(s));
    for(double end = now_ms() + wait; now_ms() < end;) {
      pthread_mutex_lock(&s->mu);
      int stop = s->stop;
      pthread_mutex_unlock(&s->mu);
      if(stop)
        return NULL;
      pw_sleep_ms(10);
    }
    round_once(s);
  }
}

int ctl_shard_held(struct ctl_shard *s, long k) {
  pthread_mutex_lock(&s->mu);
  const struct shard *h = &s->sh[k];
  int yes = h->renewed_ms > 0 && !h->releasing &&
            now_ms() - h->renewed_ms < (double)s->cfg.renew_ms;
  pthread_mutex_unlock(&s->mu);
  return yes;
}

void ctl_shard_set_idle(struct ctl_shard *s, long k, int idle) {
  pthread_mutex_lock(&s->mu);
  s->sh[k].idle = idle;
  pthread_mutex_unlock(&s->mu);
}

long ctl_shard_count(const struct ctl_shard *s) {
  return s->n;
}

int ctl_shard_view(struct ctl_shard *s, struct ctl_shard_view *v) {
  memset(v, 0, sizeof(*v));
  v->rows = pw_calloc((size_t)s->n, sizeof(*v->rows));
  if(!v->rows)
    return PW_ENOMEM;
  for(long k = 0; k < s->n; k++)
    v->rows[k].held = ctl_shard_held(s, k);
  pthread_mutex_lock(&s->mu);
  v->shards = s->n;
  v->live = s->live;
  v->share = s->share;
  v->acquired = s->acquired;
  v->released = s->released;
  v->lost = s->lost;
  v->errors = s->errors;
  snprintf(v->identity, sizeof(v->identity), "%s", s->identity);
  snprintf(v->namespace_, sizeof(v->namespace_), "%s", s->ns);
  snprintf(v->prefix, sizeof(v->prefix), "%s", s->prefix);
  for(long k = 0; k < s->n; k++) {
    v->rows[k].releasing = s->sh[k].releasing;
    memcpy(v->rows[k].holder, s->holder[k], sizeof(v->rows[k].holder));
  }
  pthread_mutex_unlock(&s->mu);
  return 0;
}

void ctl_shard_view_cleanup(struct ctl_shard_view *v) {
  pw_free(v->rows);
  v->rows = NULL;
}

static void destroy(struct ctl_shard *s) {
  pw_kube_free(&s->kube);
  pthread_mutex_destroy(&s->mu);
  pw_free(s->ns);
  pw_free(s->prefix);
  pw_free(s->identity);
  pw_free(s->member_name);
  pw_free(s->sh);
  pw_free(s->holder);
  pw_free(s->mem);
  pw_free(s);
}

/* Releases the shards held and the member Lease. */
static void release_all(struct ctl_shard *s) {
  cJSON *items_buf[CTL_SHARD_MAX];
  cJSON *list, *self;
  memset(items_buf, 0, sizeof(*items_buf) * (size_t)s->n);
  if(read_all(s, &list, items_buf, &self))
    return;
  long n = 0;
  for(long k = 0; k < s->n; k++) {
    if(!s->sh[k].present ||
       strcmp(s->sh[k].seen.holder, s->identity) != 0)
      continue;
    char name[256];
    snprintf(name, sizeof(name), "%s-%ld", s->prefix, k);
    if(write_lease(s, name, items_buf[k], "", 0) == 0)
      n++;
  }
  if(self)
    (void)write_lease(s, s->member_name, self, "", 0);
  cJSON_Delete(list);
  pw_logf(PW_LOG_INFO, PW_LF(PW_LF_NUM("shards", (double)n)),
          "sharding: released this replica's shards");
}

/* Stops the manager's thread, when it runs. */
static void join(struct ctl_shard *s) {
  if(!s->running)
    return;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
}

void ctl_shard_stop(struct ctl_shard **sp) {
  struct ctl_shard *s = *sp;
  if(!s)
    return;
  join(s);
  pthread_mutex_lock(&s->mu);
  for(long k = 0; k < s->n; k++)
    s->sh[k].renewed_ms = 0;  /* fenced before the Leases go */
  pthread_mutex_unlock(&s->mu);
  release_all(s);
  destroy(s);
  *sp = NULL;
}

void ctl_shard_abandon(struct ctl_shard **sp) {
  struct ctl_shard *s = *sp;
  if(!s)
    return;
  join(s);
  destroy(s);
  *sp = NULL;
}

static int dns_label(const char *p) {
  size_t n = strlen(p);
  if(n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
    return 0;
  for(size_t i = 0; i < n; i++)
    if(!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
         p[i] == '-' || p[i] == '.'))
      return 0;
  return 1;
}

int ctl_shard_start(const struct ctl_shard_cfg *c, struct ctl_shard **out,
                    char *err, size_t errlen) {
  *out = NULL;
  if(!(c->duration_ms > c->renew_ms && c->renew_ms * 10 > c->retry_ms * 12 &&
       c->retry_ms > 0 && c->duration_ms % 1000 == 0) ||
     c->shards < 1 || c->shards > CTL_SHARD_MAX || !c->prefix) {
    snprintf(err, errlen, "sharding: needs 1 to %d shards, a lease prefix, "
             "and lease_duration > renew_deadline > 1.2 x retry_period, "
             "the duration in whole seconds", CTL_SHARD_MAX);
    return PW_EINVAL;
  }
  if(!c->identity || !dns_label(c->identity)) {
    snprintf(err, errlen, "sharding: the identity must be a pod name "
             "(lower-case letters, digits, '-' and '.', at most 63; set "
             "POD_NAME)");
    return PW_EINVAL;
  }
  struct ctl_shard *s = pw_calloc(1, sizeof(*s));
  if(!s)
    return PW_ENOMEM;
  pthread_mutex_init(&s->mu, NULL);
  s->cfg = *c;
  s->n = c->shards;
  s->rng = 1469598103934665603u;
  for(const char *p = c->identity; *p; p++)
    s->rng = (s->rng ^ (unsigned char)*p) * 1099511628211u;
  s->rng |= 1;
  int rc = pw_kube_new(c->kubeconfig, c->sa_dir, c->namespace_, 5000, 100,
                        &s->kube, err, errlen);
  if(rc == 0) {
    size_t ml = strlen(c->prefix) + strlen(c->identity) + 16;
    s->ns = pw_strdup(pw_kube_namespace(s->kube));
    s->prefix = pw_strdup(c->prefix);
    s->identity = pw_strdup(c->identity);
    s->member_name = pw_malloc(ml);
    s->sh = pw_calloc((size_t)s->n, sizeof(*s->sh));
    s->holder = pw_calloc((size_t)s->n, sizeof(*s->holder));
    s->mem = pw_calloc(MAX_MEMBERS, sizeof(*s->mem));
    if(!s->ns || !s->prefix || !s->identity || !s->member_name || !s->sh ||
       !s->holder || !s->mem)
      rc = PW_ENOMEM;
    else
      snprintf(s->member_name, ml, "%s-member-%s", c->prefix, c->identity);
  }
  if(rc) {
    destroy(s);
    return rc;
  }
  s->live = s->share = 1;
  round_once(s);
  if(pthread_create(&s->thread, NULL, run, s) != 0) {
    release_all(s);
    destroy(s);
    return PW_ENOMEM;
  }
  s->running = 1;
  *out = s;
  return 0;
}
