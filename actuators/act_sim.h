/*
 * The platform model of `prewarm plan`, as an actuator for the replay loop
 * and as pure scoring functions for any column of decisions.
 *
 *   n[t]     = ceil(load[t] / unit)             instances the load needs
 *              (Lambda with duration D: ceil(load * D / 1000 / step / unit))
 *   ready[t] = min(desired[t-w .. t])            a request serves only after
 *              it was held w = warm-up / step steps in a row; the first w
 *              steps start warm at what was asked so far
 *   cost     = sum desired * step                instance-seconds
 *   Kubernetes: unserved[t] = max(0, load[t] - ready[t] * unit)
 *   Lambda: spill[t] = max(0, n[t] - ready[t]) runs on on-demand
 *     environments, which stay warm for K = keep-alive / step steps after
 *     use: warm[t] = max(spill[t-K .. t-1]), and each one beyond that is a
 *     cold start: cold[t] = max(0, spill[t] - warm[t]).
 * Sums are taken from step `start` on.  Missing loads count as zero.
 */
#ifndef ACT_SIM_H
#define ACT_SIM_H

#include <stddef.h>

#include "act_actuator.h"

enum act_platform { ACT_KUBERNETES = 0, ACT_LAMBDA = 1 };

struct act_sim_model {
  enum act_platform platform;
  double unit;            /* load one instance serves, > 0 */
  double duration_ms;     /* Lambda: mean duration, 0 if load is already
                           * in concurrency units */
  double step_s;
  int warmup_steps;       /* w >= 0 */
  int keepalive_steps;    /* K >= 0 (Lambda) */
  /* A warm-up that varies (NULL: w throughout): step t's capacity must
   * have been requested for warmup_seq[t % nwarmup_seq] steps; borrowed. */
  const int *warmup_seq;
  size_t nwarmup_seq;
};

struct act_sim_score {
  double instance_seconds;
  double load;            /* sum of load scored */
  double unserved;        /* Kubernetes: load not served */
  double unserved_fraction;
  double cold_starts;     /* Lambda */
  double cold_start_fraction;
};

/* n[t] for every step. */
void act_sim_needed(const struct act_sim_model *m, const double *load,
                    size_t n, double *needed);

/*
 * Scores desired[0..n) against load[0..n) from step start.  ready and
 * lost, when not NULL, receive per-step ready capacity and unserved load
 * (Kubernetes) or cold starts (Lambda).  Returns 0 or PW_ENOMEM.
 */
int act_sim_score(const struct act_sim_model *m, const double *load,
                  const double *desired, size_t n, size_t start,
                  double *ready, double *lost, struct act_sim_score *out)
  PW_WUR;

/*
 * Hybrid: a container tier (Kubernetes, model m) overflowing to a
 * function.  Ready containers serve min(load, ready * unit); the excess
 *   excess[t] = max(0, load[t] - ready[t] * unit)
 * is invoked on the function (duration_ms > 0 each, on-demand only),
 * and its environments are the Lambda model above with nothing
 * provisioned: concurrency ceil(excess * D / 1000 / step) by Little's
 * law, kept warm keepalive_steps after use, one cold start per new one.
 */
struct act_sim_overflow {
  double invocations;     /* sum of excess scored */
  double busy_seconds;    /* invocations * duration: GB-s at 1 GB */
  double cold_starts;
  double load;            /* sum of load scored (both tiers) */
  double cold_start_fraction;  /* cold starts / all load scored */
};

/*
 * Scores the overflow of ready[0..n) (the container tier's ready
 * instances, from act_sim_score()) against load from step start.
 * excess and cold, when not NULL, receive the per-step invocations sent
 * to the function and its cold starts.  m must be Kubernetes.  Returns
 * 0 or PW_ENOMEM.
 */
int act_sim_overflow(const struct act_sim_model *m, double duration_ms,
                     int keepalive_steps, const double *load,
                     const double *ready, size_t n, size_t start,
                     double *excess, double *cold,
                     struct act_sim_overflow *out) PW_WUR;

/*
 * The model as an actuator for the replay loop: set() records a request
 * and answers with what is ready under the warm-up rule.  Returns 0,
 * PW_EINVAL or PW_ENOMEM; the caller frees it with act_free().
 */
int act_sim_new(int warmup_steps, struct act **out) PW_WUR;

/* The same with a warm-up that varies as in act_sim_model: the k-th
 * request's readiness is judged over seq[k % nseq] + 1 requests (each
 * >= 0; seq is copied).  nseq 0 is act_sim_new(). */
int act_sim_new_seq(int warmup_steps, const int *seq, size_t nseq,
                    struct act **out) PW_WUR;

#endif
