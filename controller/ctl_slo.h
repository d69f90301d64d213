/*
 * SLO feedback: a target that declares an objective ("at most 0.1% of the
 * load unserved", "at most 1% of invocations cold") measures what it
 * misses step by step and moves its forecast quantile, then its headroom,
 * within configured bounds until the miss sits inside a band around the
 * objective.
 *
 * The controller:
 *   - measures, for each step, the load missed against the capacity that
 *     was ready: Kubernetes, load above ready * unit; Lambda, cold starts
 *     by the replay's platform model (concurrency above the provisioned
 *     environments spills to on-demand ones, which stay warm for the
 *     keep-alive; each one beyond those is a cold start);
 *   - judges only what was measured since its last move (at most one
 *     window), and at most once every hold (a quarter of the window), so
 *     that a move is judged by its own effect;
 *   - moves up when the miss is above UP_BAND times the objective, by a
 *     step that grows with how far above it is; moves down, by a smaller
 *     fixed step, when it is below DOWN_BAND times the objective; holds
 *     in between (the hysteresis);
 *   - moves down only when the objective allowed at least
 *     CTL_SLO_DOWN_EVIDENCE of the largest recent step misses over what
 *     it judged: a rare, lumpy miss needs a long quiet spell;
 *   - halves its steps at each turn of direction and doubles them after
 *     two moves on in one direction, so it closes in on a setting that
 *     lies between two steps instead of circling it;
 *   - works in normal-quantile space (z), so a step means the same
 *     change of band width at 0.6 and at 0.99; past quantile_max it adds
 *     headroom up to headroom_max, and gives headroom back first.
 *
 * Pure: no I/O, no clock, no allocation after ctl_slo_init().
 */
#ifndef CTL_SLO_H
#define CTL_SLO_H

#include <stddef.h>

#include "../common/pw_err.h"

enum ctl_slo_kind { CTL_SLO_NONE = 0, CTL_SLO_UNSERVED, CTL_SLO_COLD_START };

/* Miss above this multiple of the objective moves the quantile up... */
#define CTL_SLO_UP_BAND 1.5
/* ...below this multiple moves it down; in between it holds. */
#define CTL_SLO_DOWN_BAND 0.5
/* A move down, in z; a move up is 0.25 * log2(miss / objective), from
 * CTL_SLO_Z_UP_MIN to CTL_SLO_Z_UP_MAX. */
#define CTL_SLO_Z_DOWN 0.1
#define CTL_SLO_Z_UP_MIN 0.1
#define CTL_SLO_Z_UP_MAX 0.5
/* A move down needs the miss the objective allows over what was judged
 * to be at least this many of the largest step misses seen lately. */
#define CTL_SLO_DOWN_EVIDENCE 3
/* Headroom added or given back in one move past quantile_max. */
#define CTL_SLO_HEADROOM_STEP 0.05
/* Each turn of direction halves the steps, down to this fraction. */
#define CTL_SLO_GAIN_MIN 0.125

struct ctl_slo_cfg {
  enum ctl_slo_kind kind;
  double objective;        /* the share allowed to miss, (0, 1) */
  int window_steps;        /* the trailing window measured, >= 4 */
  double quantile_min;     /* bounds on the quantile, 0 < min <= max < 1 */
  double quantile_max;
  double headroom_max;     /* headroom past quantile_max, >= the start */
  /* The platform model the miss is measured with. */
  double unit;             /* load one instance serves, > 0 */
  double k;                /* instances = load * k / unit (Little's law on
                            * Lambda, else 1) */
  int keepalive_steps;     /* cold starts: on-demand keep-alive, >= 0 */
};

struct ctl_slo {
  struct ctl_slo_cfg cfg;
  /* The trailing window of (miss, total), a ring, for the exported miss;
   * and sums of the steps since the last move, which the moves judge. */
  double *miss, *total;
  size_t n, head;
  double sum_miss, sum_total;
  double move_miss, move_total;
  int since_move;          /* steps measured since the last move */
  double quantum;          /* the largest step miss seen lately */
  /* Cold starts: the last keepalive_steps spills, a ring. */
  double *spill;
  size_t spill_head;
  /* The setting. */
  double z, z_min, z_max;
  double quantile, headroom, headroom_start;
  long moves_up, moves_down;
  int last_move;           /* +1, -1, 0 before any */
  double gain;             /* steps are scaled by this, in
                            * [CTL_SLO_GAIN_MIN, 1] */
  int run;                 /* moves in a row in one direction */
};

/* Checks cfg; 0 or PW_EINVAL with the problem in err. */
int ctl_slo_check(const struct ctl_slo_cfg *cfg, char *err, size_t errlen)
  PW_WUR;

/* Starts at (quantile, headroom), each clamped into the bounds.  0,
 * PW_EINVAL (cfg does not check) or PW_ENOMEM.  Free with
 * ctl_slo_cleanup(). */
int ctl_slo_init(struct ctl_slo *s, const struct ctl_slo_cfg *cfg,
                 double quantile, double headroom) PW_WUR;
void ctl_slo_cleanup(struct ctl_slo *s);

/*
 * Takes one step's load (NAN when missing: nothing is measured) and the
 * capacity that was ready for it (< 0 when unknown: nothing is measured),
 * and moves the setting when due.  Returns +1 after a move up, -1 after
 * a move down, else 0.  ctl_slo_quantile() and ctl_slo_headroom() give
 * the setting to use from now.
 */
int ctl_slo_observe(struct ctl_slo *s, double load, long ready);

static inline double ctl_slo_quantile(const struct ctl_slo *s) {
  return s->quantile;
}
static inline double ctl_slo_headroom(const struct ctl_slo *s) {
  return s->headroom;
}

/* The share missed over the trailing window; NAN before any load. */
double ctl_slo_measured(const struct ctl_slo *s);

/* The steps judged at a time: a quarter of the window, at least 1. */
int ctl_slo_hold_steps(const struct ctl_slo_cfg *cfg);

#endif
