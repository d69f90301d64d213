/*
 * `prewarm plan`: capacity planning.  Replays a load trace through the
 * control loop on a simulated clock and compares the predictive policy
 * with reactive, static, seasonal-naive and oracle policies on the same
 * platform model (actuators/act_sim.h).
 */
#ifndef CTL_PLAN_H
#define CTL_PLAN_H

#include <stddef.h>

#include <stdint.h>

#include "../actuators/act_sim.h"
#include "../config/cfg.h"
#include "../forecast/fc_model.h"
#include "ctl_frontier.h"
#include "ctl_hybrid.h"

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
  const char *trace;           /* the trace file or the target's name */
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
  double *quantile;            /* predictive forecast at the lead time */
  unsigned *reasons;
  double *q_used, *h_used;     /* the setting each step was decided with */
  /* SLO feedback in the predictive replay (objective 0: none). */
  double slo_objective;
  int slo_cold_start;          /* the objective is on cold starts */
  int slo_window_steps;
  long slo_moves_up, slo_moves_down;
  /* Measured warm-up in the predictive replay (NAN: none timed). */
  double warmup_measured_s;
  long warmup_samples;
  int lead_steps;              /* the lead time at the end */
  int have[CTL_PLAN_NPOLICIES];
  double *desired[CTL_PLAN_NPOLICIES];
  double *ready[CTL_PLAN_NPOLICIES];
  double *lost[CTL_PLAN_NPOLICIES];   /* unserved load or cold starts */
  struct act_sim_score score[CTL_PLAN_NPOLICIES];
  struct ctl_frontier *frontier;  /* NULL unless asked (ctl_plan_input) */
  struct ctl_hybrid *hybrid;   /* NULL unless a function tier was given */
};

/* The most values --warmup-dist takes. */
#define CTL_PLAN_WARMUP_SEQ 1024

/* What a plan is asked to do (the command's options). */
struct ctl_plan_opts {
  const char *trace, *column, *decisions, *report;
  double step_s, unit, warmup_s, duration_ms, keepalive_s;
  double quantile;           /* <= 0: 0.95 (kubernetes), 0.99 (lambda) */
  double headroom, stabilization_s, floor_util, momentum;
  double surge_ratio, surge_factor, surge_hold_s;  /* ratio 0: default */
  double surge_pay;          /* < 0: the default (ctl_settings.h) */
  long min, max;
  int period;                /* 0 = detect as the replay goes */
  int json, platform_set, model_auto, progress;
  int no_frontier;           /* --no-frontier: skip the curves */
  double slo;                /* --slo-unserved / --slo-cold-start; 0: none */
  int slo_lambda;            /* which of the two was given */
  int feedback;              /* --feedback: replay with SLO feedback
                              * toward slo */
  double slo_window_s;       /* its window */
  double warmup_dist_s[CTL_PLAN_WARMUP_SEQ];  /* --warmup-dist */
  int warmup_seq[CTL_PLAN_WARMUP_SEQ];  /* the same in steps */
  size_t nwarmup_seq;
  int hybrid;                /* --platform hybrid: platform is the
                              * container tier (Kubernetes) */
  struct ctl_frontier_prices prices;
  enum fc_kind kind;
  enum act_platform platform;
};

/* The defaults of the command's optional settings. */
void ctl_plan_defaults(struct ctl_plan_opts *o);

/* One history to plan on, and the target it is planned for. */
struct ctl_plan_input {
  const struct cfg_target *target;  /* the settings and the platform */
  const char *name;          /* the trace file or the target, for outputs */
  const double *load;        /* n steps, NAN where missing */
  size_t n;
  char **labels;             /* the time of each step, or NULL */
  int64_t start_ms;          /* the time of load[0]: 0 for a trace */
  double step_s;             /* 0: the target's step */
  double keepalive_s;        /* Lambda: an on-demand environment's */
  int progress;              /* a progress bar on stderr (long replays) */
  int frontier;              /* also the reactive frontier and prewarm's
                              * curve (ctl_frontier.h) into r->frontier */
  double slo;                /* with frontier: the loss to recommend for */
  const struct ctl_frontier_prices *prices;  /* NULL: the defaults */
  const int *warmup_seq;     /* the platform's warm-up varies: step t's is
                              * warmup_seq[t % n] steps (act_sim_model);
                              * NULL: the target's warm-up throughout */
  size_t nwarmup_seq;
  const struct ctl_hybrid_fn *overflow;  /* a function tier the
                              * containers overflow to (ctl_hybrid.h);
                              * NULL: none */
};

/*
 * The plan's core: replays in->load through the loop engine with the
 * target's settings (ctl_settings_target(), as the daemon derives them)
 * and scores every policy into *r on the target's platform model: Lambda
 * when cfg_target_lambda(), the unit capacity, duration and warm-up
 * configured, in->keepalive_s.  Everything in *in is borrowed; name,
 * load and labels must outlive *r until ctl_plan_result_cleanup().
 * Returns 0, or PW_EINVAL / PW_ENOMEM with a message in err (then *r
 * holds nothing to clean up).  Any thread; one plan per result.
 */
int ctl_plan_replay(const struct ctl_plan_input *in,
                    struct ctl_plan_result *r, char *err, size_t errlen)
  PW_WUR;

/*
 * prewarm plan --trace: the options stated as a target (plan_target())
 * and planned with ctl_plan_replay().  Replays load[0..n) and scores
 * every policy into *r (labels may be NULL; both are borrowed until
 * ctl_plan_result_cleanup()).  Returns 0, or PW_EINVAL / PW_ENOMEM with
 * a message in err.
 */
int ctl_plan_run(const struct ctl_plan_opts *o, const double *load,
                 size_t n, char **labels, struct ctl_plan_result *r,
                 char *err, size_t errlen) PW_WUR;
void ctl_plan_result_cleanup(struct ctl_plan_result *r);

/* The outputs, shared by --trace and --config (stdout). */
void ctl_plan_print_text(const struct ctl_plan_result *r);
/* The JSON object's members, without the braces. */
void ctl_plan_print_json_fields(const struct ctl_plan_result *r);
/* A JSON string, quoted, control characters dropped. */
void ctl_plan_json_string(const char *s);

/* The progress bar on stderr: arg is the label (NULL: "replaying"); a
 * line ends when done == total.  Call only when stderr is a terminal. */
void ctl_plan_progress(void *arg, size_t done, size_t total);

/* Runs the command; returns the process exit status (0, 1 or 2). */
int ctl_plan_main(int argc, char **argv);

#endif
