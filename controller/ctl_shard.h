/*
 * Sharding: the targets are split into N shards (cfg_shard_of()), and
 * each shard is owned through its own coordination.k8s.io/v1 Lease
 * "<prefix>-<shard>", taken and renewed as client-go's leader election
 * does (CONTRACTS.md 4.4): an update carries the resourceVersion read,
 * times are MicroTime, and expiry is judged by the local monotonic clock
 * at observation, never by the server's renewTime.
 *
 * Who is alive: each replica also renews a Lease of its own,
 * "<prefix>-member-<identity>".  A replica is live while its member Lease
 * or any shard Lease it holds was renewed (seen to change) within the
 * lease duration.  Each replica holds at most ceil(N / live) shards: it
 * takes free or expired shards up to that share and gives up its surplus
 * (highest shard numbers first), so a replica that joins gets shards from
 * the others, and the shards of one that died are taken once expired.
 *
 * Giving a shard up is fenced in two steps: the shard stops counting as
 * held at once (ctl_shard_held() is 0: no actuation from here on); the
 * Lease is released only after the daemon has said that none of the
 * shard's targets is stepping any more (ctl_shard_set_idle()), so no
 * actuation can be in flight when another replica takes it.
 *
 * One thread does every request (one round every retry period, jittered);
 * the state it publishes is guarded by the manager's mutex, held for
 * memory only: ctl_shard_held() and ctl_shard_view() may be called from
 * any thread, including HTTP handlers.
 */
#ifndef CTL_SHARD_H
#define CTL_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"

#define CTL_SHARD_MAX 4096

struct ctl_shard_cfg {
  long shards;               /* N, 1..CTL_SHARD_MAX */
  const char *prefix;        /* Lease names "<prefix>-<k>" */
  const char *namespace_;    /* NULL: the pod's or the context's */
  const char *identity;      /* this replica (the pod name, DNS-1123) */
  int64_t duration_ms;       /* lease duration, whole seconds */
  int64_t renew_ms;          /* renew deadline, < duration */
  int64_t retry_ms;          /* retry period, renew > 1.2 x retry */
  const char *kubeconfig;    /* NULL: in-cluster or the usual places */
  const char *sa_dir;        /* NULL: the standard folder */
};

struct ctl_shard;

/*
 * Checks the settings, connects, runs one round at once (so the first
 * tick already knows its shards) and starts the thread.  0, PW_EINVAL /
 * PW_EIO with err, or PW_ENOMEM.  Stop with ctl_shard_stop().
 */
int ctl_shard_start(const struct ctl_shard_cfg *cfg, struct ctl_shard **out,
                    char *err, size_t errlen) PW_WUR;

/* Stops the thread and releases every shard held and the member Lease
 * (holder "", a one-second duration), so the others need not wait for
 * them to expire.  Call it once no target is stepping.  NULL-safe. */
void ctl_shard_stop(struct ctl_shard **sp);

/* Stops the thread and releases nothing, as a replica that dies does
 * (the tests and the benchmark).  NULL-safe. */
void ctl_shard_abandon(struct ctl_shard **sp);

/* N. */
long ctl_shard_count(const struct ctl_shard *s);

/*
 * The fence: 1 while this replica holds shard k, renewed within the
 * renew deadline (measured from before the renewal was sent), and is not
 * giving it up.  A replica that cannot renew stops acting before anyone
 * else may take the shard over (renew deadline < lease duration).
 */
int ctl_shard_held(struct ctl_shard *s, long k);

/* The daemon says whether any target of shard k is still built or
 * stepping (idle 0) or none is (idle 1); a shard being given up is
 * released only once idle. */
void ctl_shard_set_idle(struct ctl_shard *s, long k, int idle);

/* What /metrics and /api show, per shard and overall. */
struct ctl_shard_row {
  int held;                  /* ctl_shard_held() */
  int releasing;             /* being given up */
  char holder[128];          /* the Lease's holder as last read, "" */
};
struct ctl_shard_view {
  long shards, live, share;  /* N, live replicas, ceil(N / live) */
  long acquired, released, lost;  /* shards taken, given up, lost (could
                                   * not renew, or taken) so far */
  long errors;               /* requests that failed or were refused */
  char identity[128], namespace_[128], prefix[192];
  struct ctl_shard_row *rows;  /* shards rows, owned by the view */
};

/* Fills v (free with ctl_shard_view_cleanup()).  0 or PW_ENOMEM. */
int ctl_shard_view(struct ctl_shard *s, struct ctl_shard_view *v) PW_WUR;
void ctl_shard_view_cleanup(struct ctl_shard_view *v);

#endif
