/*
 * `prewarm plan`: capacity planning.  Replays a load trace through the
 * control loop on a simulated clock and compares the predictive policy
 * with reactive, static, seasonal-naive and oracle policies on the same
 * platform model (actuators/act_sim.h).
 */
#ifndef CTL_PLAN_H
#define CTL_PLAN_H

#include <stddef.h>

#include "../actuators/act_sim.h"

/* The policies a plan compares, in report order. */
enum ctl_plan_policy {
  CTL_PLAN_PREDICTIVE = 0,
  CTL_PLAN_REACTIVE,
  CTL_PLAN_STATIC,
  CTL_PLAN_SNAIVE,
  CTL_PLAN_ORACLE,
  CTL_PLAN_ON_DEMAND,   /* Lambda only: no provisioning */
  CTL_PLAN_NPOLICIES
};

extern const char *const ctl_plan_policy_names[CTL_PLAN_NPOLICIES];

/* Everything a finished plan knows, for the outputs and the report. */
struct ctl_plan_result {
  const char *trace;
  size_t n, start;             /* steps, first scored step */
  double step_s;
  struct act_sim_model model;
  int period, period2;         /* in use at the end; 0 = none found */
  int period_given;
  const char *model_name;      /* "none" while the loop never fitted */
  long refits, fallback_steps;
  double replay_ms;
  const double *load;
  char **labels;               /* the trace's first column, or NULL */
  const double *quantile;      /* predictive forecast at the lead time */
  const unsigned *reasons;
  int have[CTL_PLAN_NPOLICIES];
  double *desired[CTL_PLAN_NPOLICIES];
  double *ready[CTL_PLAN_NPOLICIES];
  double *lost[CTL_PLAN_NPOLICIES];   /* unserved load or cold starts */
  struct act_sim_score score[CTL_PLAN_NPOLICIES];
};

/* Runs the command; returns the process exit status (0, 1 or 2). */
int ctl_plan_main(int argc, char **argv);

#endif
