/*
 * The reactive frontier and prewarm's curve for `prewarm plan`: the
 * HPA-like policy (ctl_baseline_reactive_at()) at every utilisation target
 * 0.30..1.00, its lower-left envelope of (instance-seconds, loss), prewarm
 * replayed over a range of quantiles and headrooms, the comparison at
 * equal cost and at equal loss, the cheapest setting that meets an SLO,
 * and what each costs in money.  Loss is the unserved fraction
 * (Kubernetes) or the cold-start fraction (Lambda), on the platform model
 * of actuators/act_sim.h.  The definitions match the independent scorer's
 * (score_plan.py --frontier): envelope over targets pct/100 for pct
 * 30..100, points sorted by (cost, loss, target), kept while the loss
 * strictly falls; linear interpolation between envelope points, nothing
 * outside the envelope's cost range.
 */
#ifndef CTL_FRONTIER_H
#define CTL_FRONTIER_H

#include <stddef.h>

#include "../actuators/act_sim.h"
#include <stdint.h>

#include "../common/pw_err.h"
#include "../config/cfg.h"

/* One policy setting and its score. */
struct ctl_frontier_point {
  double utilization;          /* frontier: the target; NAN on the curve */
  double quantile, headroom;   /* curve: prewarm's settings; NAN else */
  double instance_seconds;
  double loss;                 /* unserved or cold-start fraction */
};

/*
 * Prices, in US dollars.  The defaults (ctl_frontier_prices_default())
 * are AWS us-east-1 public list prices as known to the authors (not
 * fetched at run time): see README.md, "What it costs".
 */
struct ctl_frontier_prices {
  double instance_hour;        /* Kubernetes: one instance (pod), an hour */
  double memory_mb;            /* Lambda: a function's memory */
  double pc_gb_s;              /* provisioned concurrency, a GB-second */
  double pc_duration_gb_s;     /* duration on provisioned concurrency */
  double od_duration_gb_s;     /* on-demand duration */
  double request;              /* one request */
};

#define CTL_FRONTIER_PRICE_INSTANCE_HOUR 0.048
#define CTL_FRONTIER_PRICE_PC_GB_S 0.0000041667
#define CTL_FRONTIER_PRICE_PC_DURATION_GB_S 0.0000097222
#define CTL_FRONTIER_PRICE_OD_DURATION_GB_S 0.0000166667
#define CTL_FRONTIER_PRICE_REQUEST (0.20 / 1e6)

void ctl_frontier_prices_default(struct ctl_frontier_prices *p);

/* Money over the scored steps of one policy, in dollars. */
struct ctl_frontier_money {
  double capacity;             /* instances (k8s) or provisioned conc. */
  double duration;             /* Lambda: provisioned + on-demand duration */
  double requests;             /* Lambda */
  double total;
};

/* Everything the outputs show; owned by a ctl_plan_result. */
struct ctl_frontier {
  int lambda;
  struct act_sim_model model;
  struct ctl_frontier_point *frontier;  /* the envelope, cost ascending */
  size_t nfrontier;
  struct ctl_frontier_point *curve;     /* prewarm, in setting order */
  size_t ncurve;
  struct ctl_frontier_point chosen;     /* prewarm as configured */
  struct ctl_frontier_point hpa;        /* the reactive policy at 0.70 */
  double at_cost_loss;          /* frontier's loss at chosen's cost; NAN */
  double equal_cost_loss_ratio; /* chosen loss / that; NAN: null */
  double at_loss_cost;          /* frontier's cost at chosen's loss; NAN */
  double equal_loss_cost_ratio; /* chosen cost / that; NAN: null */
  double slo;                   /* <= 0: none asked */
  long rec_curve, rec_frontier; /* cheapest meeting slo; -1: none */
  struct ctl_frontier_prices prices;
  double scale_30d;             /* 30 days / scored seconds */
  struct ctl_frontier_money money_chosen, money_hpa;
  double curve_ms;              /* wall time of the curve's replays */
};

/*
 * The lower-left envelope of pts[0..n) (sorted in place by cost, loss,
 * utilisation) written into out (n slots): 0 or more points with costs
 * strictly ascending and losses strictly descending.  Returns the count.
 */
size_t ctl_frontier_envelope(struct ctl_frontier_point *pts, size_t n,
                             struct ctl_frontier_point *out);

/*
 * The envelope's loss at cost (np.interp within the cost range): 0, or
 * -1 when cost is outside [first, last] or n is 0.
 */
int ctl_frontier_loss_at(const struct ctl_frontier_point *env, size_t n,
                         double cost, double *loss);

/* The envelope's cheapest cost at loss (linear between points): 0, or -1
 * when loss is above the first point's or below the last's. */
int ctl_frontier_cost_at(const struct ctl_frontier_point *env, size_t n,
                         double loss, double *cost);

/* The index of the cheapest of pts[0..n) with loss <= slo, or -1. */
long ctl_frontier_cheapest(const struct ctl_frontier_point *pts, size_t n,
                           double slo);

/*
 * The reactive frontier on load[0..n) scored from start on model m: the
 * envelope into *out (caller frees with pw_free()), its length in *nout,
 * and the 0.70 point in *hpa.  0 or PW_ENOMEM.  Any thread.
 */
int ctl_frontier_reactive(const struct act_sim_model *m, const double *load,
                          size_t n, size_t start,
                          struct ctl_frontier_point **out, size_t *nout,
                          struct ctl_frontier_point *hpa) PW_WUR;

/*
 * Prewarm's curve: load replayed through the engine (ctl_replay_run())
 * once per setting, with *t changed only in quantile and headroom:
 * quantiles 0.5 .. 0.995 at t's headroom, then headroom 0.1, 0.25, 0.5
 * at the top quantile; a setting equal to t's own is not replayed but
 * given *chosen.  Replays run on up to `threads` threads (each
 * independent and deterministic, so the result does not depend on it).
 * *out (caller frees with pw_free()) gets *nout points in setting order.
 * 0, PW_EINVAL (err says why) or PW_ENOMEM.
 */
int ctl_frontier_curve(const struct cfg_target *t, const double *load,
                       size_t n, int64_t start_ms,
                       const struct act_sim_model *m, size_t start,
                       const struct ctl_frontier_point *chosen, int threads,
                       struct ctl_frontier_point **out, size_t *nout,
                       char *err, size_t errlen) PW_WUR;

/*
 * Money for desired[0..n) with per-step ready[] on model m from step
 * start: Kubernetes, instance-hours at p->instance_hour; Lambda,
 * provisioned concurrency (instance-seconds x unit x GB), the busy
 * seconds served on provisioned and on on-demand environments at their
 * duration prices, and one request per invocation (with duration_ms set;
 * without it load is concurrency and requests are not known: 0).
 */
void ctl_frontier_money(const struct act_sim_model *m,
                        const struct ctl_frontier_prices *p,
                        const double *load, const double *desired,
                        const double *ready, size_t n, size_t start,
                        struct ctl_frontier_money *out);

/* Dollars of instance_seconds of capacity alone (the frontier's points). */
double ctl_frontier_capacity_cost(const struct act_sim_model *m,
                                  const struct ctl_frontier_prices *p,
                                  double instance_seconds);

/* Dollars per 30 days of capacity prewarm saves against the frontier at
 * its loss (negative: costs more); NAN when the frontier does not reach
 * that loss. */
double ctl_frontier_saving_equal_loss(const struct ctl_frontier *f);

/* The headline sentence (UTF-8, one line, ends with a period) into buf:
 * prewarm against the frontier at equal cost and at equal loss, and the
 * money at equal loss; says plainly where the frontier does not reach. */
void ctl_frontier_headline(const struct ctl_frontier *f, char *buf,
                           size_t len);

/* The comparisons of f->chosen with f->frontier (the ratios and the
 * recommendation at f->slo); call after filling both. */
void ctl_frontier_compare(struct ctl_frontier *f);

/* Frees what f holds; f may be NULL. */
void ctl_frontier_free(struct ctl_frontier *f);

#endif
