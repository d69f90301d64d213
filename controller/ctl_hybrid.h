/*
 * The hybrid plan of `prewarm plan --platform hybrid` (and of a
 * configured Kubernetes actuator with `overflow: {lambda: ...}`): a
 * container tier sized by each policy, overflowing to a function that
 * takes the load above the ready containers (act_sim_overflow()).  Per
 * policy it scores the containers' instance-hours, the function's
 * GB-seconds, invocations and cold starts, and their cost at the
 * documented prices (ctl_frontier.h); it replays prewarm's container
 * tier at a range of quantiles and picks the cheapest in total that
 * meets an SLO on the cold-start fraction (cold starts over all load,
 * both tiers).  The daemon itself actuates only the container tier.
 */
#ifndef CTL_HYBRID_H
#define CTL_HYBRID_H

#include <stddef.h>
#include <stdio.h>

#include "../common/pw_err.h"
#include "ctl_frontier.h"

struct ctl_plan_result;
struct ctl_plan_input;

/* The function a container tier overflows to. */
struct ctl_hybrid_fn {
  double duration_ms;          /* mean duration of one invocation, > 0 */
  double memory_mb;            /* 0: the prices' (--memory-mb) */
  double slo;                  /* the cold-start fraction; <= 0: none */
};

/* One container tier and its overflow, over the scored steps. */
struct ctl_hybrid_row {
  double quantile;             /* the curve's; NAN for a policy */
  double instance_seconds;     /* containers */
  double unserved_fraction;    /* containers alone (no function) */
  double invocations;          /* sent to the function */
  double gb_seconds;           /* invocations * duration * memory */
  double cold_starts;
  double cold_start_fraction;  /* cold starts / all load scored */
  double cost_containers, cost_function, cost_total;  /* US dollars */
};

/* Quantiles of prewarm's container tier the search replays. */
#define CTL_HYBRID_NQ 9
/* Room for the plan's policies (ctl_plan.h, CTL_PLAN_NPOLICIES). */
#define CTL_HYBRID_MAXPOL 8

/* The hybrid part of a plan; owned by its ctl_plan_result. */
struct ctl_hybrid {
  struct ctl_hybrid_fn fn;     /* memory_mb resolved */
  int keepalive_steps;
  struct ctl_frontier_prices prices;
  double scale_30d;            /* 30 days / scored seconds */
  int have[CTL_HYBRID_MAXPOL];
  struct ctl_hybrid_row policy[CTL_HYBRID_MAXPOL];
  double *excess[CTL_HYBRID_MAXPOL];  /* per step, to the function */
  double *cold[CTL_HYBRID_MAXPOL];    /* per step, its cold starts */
  struct ctl_hybrid_row functions_only;  /* no containers at all */
  struct ctl_hybrid_row curve[CTL_HYBRID_NQ];
  long chosen;                 /* the curve's cheapest meeting slo; -1 */
  double *chosen_ready, *chosen_excess, *chosen_cold;  /* per step */
};

/*
 * Adds the function tier to the plan r just replayed from in (its
 * container tier is r's Kubernetes model): scores every policy's
 * overflow and replays the predictive policy at each curve quantile
 * (in->target's settings otherwise; its own quantile is not replayed
 * again), into a new r->hybrid.  prices: the plan's (NULL: defaults).
 * Returns 0, or PW_EINVAL / PW_ENOMEM with a message in err (r->hybrid
 * then may hold part, freed with r).  Calling thread; one at a time
 * per result.
 */
int ctl_hybrid_build(const struct ctl_plan_input *in,
                     struct ctl_plan_result *r, char *err, size_t errlen)
  PW_WUR;

/* Frees what h holds and h; NULL is a no-op. */
void ctl_hybrid_free(struct ctl_hybrid *h);

/* The text section and the JSON member (",\"hybrid\":{...}") on stdout. */
void ctl_hybrid_print_text(const struct ctl_plan_result *r);
void ctl_hybrid_print_json(const struct ctl_plan_result *r);

/*
 * The report's section drawing both tiers (load served by ready
 * containers, load sent to the function, its cold starts) for the
 * predictive policy and the chosen quantile, into fp (an HTML body).
 * Write errors are left in fp's error flag.
 */
void ctl_hybrid_report_html(FILE *fp, const struct ctl_plan_result *r);

/* hybrid.csv: per step, per policy and the chosen quantile, the ready
 * containers, the invocations sent to the function and its cold
 * starts.  0, or PW_EIO with a message in err. */
int ctl_hybrid_report_csv(const struct ctl_plan_result *r,
                          const char *path, char *err, size_t errlen)
  PW_WUR;

#endif
