/*
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go does
 * it (CONTRACTS.md 4.4): a thread tries to acquire or renew every retry
 * period (with jitter while following); an update always carries the
 * resourceVersion it read; times are MicroTime with six fractional
 * digits; expiry is judged by the local monotonic clock at observation,
 * never by the server's renewTime.
 *
 * ctl_lease_leading() is true only while the last successful renewal is
 * younger than the renew deadline, which is shorter than the lease
 * duration: a leader that cannot renew stops acting before anyone else
 * may take over, so two replicas never act at once.
 *
 * Thread-safe: ctl_lease_leading() may be called from any thread.
 */
#ifndef CTL_LEASE_H
#define CTL_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pw_err.h"

struct ctl_lease_cfg {
  const char *namespace_;    /* NULL: the pod's or the context's */
  const char *name;          /* the Lease */
  const char *identity;      /* this replica (the pod name) */
  int64_t duration_ms;       /* lease duration, e.g. 15 s */
  int64_t renew_ms;          /* renew deadline, < duration, e.g. 10 s */
  int64_t retry_ms;          /* retry period, renew > 1.2 x retry */
  const char *kubeconfig;    /* NULL: in-cluster or the usual places */
  const char *sa_dir;        /* NULL: the standard folder */
};

struct ctl_lease;

/* Checks the timings, connects and starts the thread.  0, or PW_EINVAL /
 * PW_EIO with err, or PW_ENOMEM.  Stop with ctl_lease_stop(). */
int ctl_lease_start(const struct ctl_lease_cfg *cfg, struct ctl_lease **out,
                    char *err, size_t errlen) PW_WUR;

/* 1 while this replica holds a lease renewed within the renew deadline. */
int ctl_lease_leading(struct ctl_lease *l);

/* Leadership changes so far (for metrics). */
long ctl_lease_transitions(struct ctl_lease *l);

/* Stops the thread and, when leading, releases the lease (holder "" and
 * a one-second duration, as client-go's ReleaseOnCancel) so a successor
 * need not wait for it to expire.  NULL-safe. */
void ctl_lease_stop(struct ctl_lease **lp);

/* Now as a MicroTime ("2006-01-02T15:04:05.000000Z", UTC, six
 * fractional digits, as the API server requires) into buf (>= 32 bytes).
 * Thread-safe; shared with ctl_shard. */
void ctl_lease_micro_now(char *buf, size_t len);

/* A Lease object's fields, shared with ctl_shard: a string or number
 * member of o ("" or 0 when absent or of another type), and setting one
 * (replacing it).  o is a cJSON object. */
struct cJSON;
const char *ctl_lease_str(const struct cJSON *o, const char *k);
double ctl_lease_num(const struct cJSON *o, const char *k);
void ctl_lease_set_str(struct cJSON *o, const char *k, const char *v);
void ctl_lease_set_num(struct cJSON *o, const char *k, double v);

#endif
