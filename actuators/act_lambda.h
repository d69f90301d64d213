/*
 * Lambda provisioned concurrency of one alias or version (CONTRACTS.md 1).
 *
 * get() reads Get/ProvisionedConcurrencyConfig: a 404 means 0; capacity
 * still allocating is not ready (ready = Available).  While a change is
 * IN_PROGRESS it is polled at most every poll_ms; otherwise the reading is
 * trusted for refresh_ms.  set() writes Put (N >= 1) or Delete (N = 0;
 * a 404 is success) only when the request differs from what is there; a
 * 409 (a change in progress) is PW_EBUSY, to be retried next tick.
 *
 * plan() refuses before any write what AWS would refuse: a weighted
 * alias (GetAlias), and more than the function's reserved concurrency or
 * the account's unreserved concurrency minus 100, less what the
 * function's other aliases and versions hold (GetFunctionConcurrency,
 * GetAccountSettings, ListProvisionedConcurrencyConfigs).  An over-limit
 * request is cut to the limit and flagged ACT_F_LIMITED; the limits are
 * re-read every limits_ms and after any 400 from Put.
 *
 * Every request is signed with SigV4 (libcurl's, within the rules of
 * CONTRACTS.md 2.2: plain function name in the path, canonical query,
 * session token as a signed header, a reset handle per request) and takes
 * a token from one bucket shared by every Lambda actuator of the process,
 * so together they stay inside the 15 requests/s control-plane budget.
 */
#ifndef ACT_LAMBDA_H
#define ACT_LAMBDA_H

#include "../common/pw_aws.h"
#include "act_actuator.h"

struct act_lambda_cfg {
  const char *function;   /* the plain name, [A-Za-z0-9_-]{1,64} */
  const char *qualifier;  /* an alias or a version; never $LATEST */
  long poll_ms;           /* status polls while IN_PROGRESS; 0: 10 s */
  long refresh_ms;        /* how long a reading is trusted; 0: 60 s */
  long limits_ms;         /* how long limits are trusted; 0: 5 min */
  long timeout_ms;        /* per request; 0: 10 s */
  long retry_base_ms;     /* backoff base; 0: 200 ms */
};

/*
 * Makes the actuator.  aws is borrowed and must outlive it.  Returns 0,
 * or PW_EINVAL with err naming the bad field ($LATEST, a name AWS would
 * not accept), or PW_ENOMEM.  Free with act_free().
 */
int act_lambda_new(const struct act_lambda_cfg *cfg, struct pw_aws *aws,
                   struct act **out, char *err, size_t errlen) PW_WUR;

/* The shared control-plane budget, requests per second (default 10, so
 * that other tools keep a third of the 15/s); call before the first
 * actuator is made. */
void act_lambda_set_rate(double per_s);

/* Requests sent by every Lambda actuator of the process (for tests). */
long act_lambda_requests(void);

#endif
