#include "ctl_slo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "../common/pw_alloc.h"

int ctl_slo_check(const struct ctl_slo_cfg *c, char *err, size_t errlen) {
  const char *what = NULL;
  if(c->kind != CTL_SLO_UNSERVED && c->kind != CTL_SLO_COLD_START)
    what = "the objective must be unserved or cold_start";
  else if(!(c->objective > 0 && c->objective < 1))
    what = "the objective must be a fraction strictly between 0 and 1";
  else if(c->window_steps < 4)
    what = "the window must hold at least 4 steps";
  else if(!(c->quantile_min > 0 && c->quantile_min <= c->quantile_max &&
            c->quantile_max < 1))
    what = "quantile bounds must satisfy 0 < min <= max < 1";
  else if(!(c->headroom_max >= 0 && c->headroom_max <= 10))
    what = "headroom_max must be from 0 to 10";
  else if(!(c->unit > 0) || !isfinite(c->unit) || !(c->k > 0) ||
          !isfinite(c->k))
    what = "the unit capacity must be positive";
  else if(c->keepalive_steps < 0)
    what = "the keep-alive must not be negative";
  if(what) {
    snprintf(err, errlen, "%s", what);
    return PW_EINVAL;
  }
  return 0;
}

int ctl_slo_hold_steps(const struct ctl_slo_cfg *c) {
  return c->window_steps / 4 > 1 ? c->window_steps / 4 : 1;
}

static double clampd(double v, double lo, double hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

int ctl_slo_init(struct ctl_slo *s, const struct ctl_slo_cfg *cfg,
                 double quantile, double headroom) {
  char err[128];
  memset(s, 0, sizeof(*s));
  if(ctl_slo_check(cfg, err, sizeof(err)))
    return PW_EINVAL;
  s->cfg = *cfg;
  s->miss = pw_calloc((size_t)cfg->window_steps, sizeof(double));
  s->total = pw_calloc((size_t)cfg->window_steps, sizeof(double));
  s->spill = pw_calloc((size_t)cfg->keepalive_steps + 1, sizeof(double));
  if(!s->miss || !s->total || !s->spill) {
    ctl_slo_cleanup(s);
    return PW_ENOMEM;
  }
  s->z_min = gsl_cdf_ugaussian_Pinv(cfg->quantile_min);
  s->z_max = gsl_cdf_ugaussian_Pinv(cfg->quantile_max);
  s->quantile = clampd(quantile, cfg->quantile_min, cfg->quantile_max);
  s->z = gsl_cdf_ugaussian_Pinv(s->quantile);
  s->headroom_start = clampd(headroom, 0, cfg->headroom_max);
  s->headroom = s->headroom_start;
  s->gain = 1;
  return 0;
}

void ctl_slo_cleanup(struct ctl_slo *s) {
  pw_free(s->miss);
  pw_free(s->total);
  pw_free(s->spill);
  s->miss = s->total = s->spill = NULL;
}

/* What one step missed, by the platform model. */
static double missed(struct ctl_slo *s, double load, long ready) {
  if(s->cfg.kind == CTL_SLO_UNSERVED)
    return fmax(0, load - (double)ready * s->cfg.unit);
  /* Cold starts: environments needed beyond the provisioned ones spill
   * to on-demand environments; those used within the keep-alive are
   * warm, each one beyond them is a cold start. */
  double need = ceil(load * s->cfg.k / s->cfg.unit - 1e-9);
  double spill = fmax(0, need - (double)ready), warm = 0;
  size_t K = (size_t)s->cfg.keepalive_steps;
  for(size_t j = 0; j < K; j++)
    warm = fmax(warm, s->spill[j]);
  if(K > 0) {
    s->spill[s->spill_head] = spill;
    s->spill_head = (s->spill_head + 1) % K;
  }
  return fmax(0, spill - warm);
}

static void record(struct ctl_slo *s, double miss, double total) {
  size_t W = (size_t)s->cfg.window_steps;
  if(s->n == W) {
    s->sum_miss -= s->miss[s->head];
    s->sum_total -= s->total[s->head];
  } else {
    s->n++;
  }
  s->miss[s->head] = miss;
  s->total[s->head] = total;
  s->head = (s->head + 1) % W;
  s->sum_miss += miss;
  s->sum_total += total;
  /* Sums drift with rounding; a full window recomputes them now and
   * then (cheap: once a window). */
  if(s->head == 0) {
    s->sum_miss = s->sum_total = 0;
    for(size_t i = 0; i < s->n; i++) {
      s->sum_miss += s->miss[i];
      s->sum_total += s->total[i];
    }
  }
  /* The size of a miss when one comes: the largest of a step, forgotten
   * at e to the minus one a window. */
  s->quantum = fmax(miss, s->quantum * (1 - 1 / (double)W));
  if(s->since_move >= s->cfg.window_steps) {
    /* Judge at most one window: start over from the trailing window. */
    s->move_miss = s->sum_miss;
    s->move_total = s->sum_total;
  } else {
    s->move_miss += miss;
    s->move_total += total;
  }
  s->since_move++;
}

/* Moves the setting by dz in z, through the headroom past the top. */
static void move(struct ctl_slo *s, double dz) {
  double dh = CTL_SLO_HEADROOM_STEP * s->gain;
  if(dz > 0) {
    double room = s->z_max - s->z;
    if(room > 1e-12) {
      s->z = fmin(s->z_max, s->z + dz);
    } else {
      s->headroom = fmin(s->cfg.headroom_max, s->headroom + dh);
    }
  } else {
    if(s->headroom > s->headroom_start + 1e-12)
      s->headroom = fmax(s->headroom_start, s->headroom - dh);
    else
      s->z = fmax(s->z_min, s->z + dz);
  }
  s->quantile = clampd(gsl_cdf_ugaussian_P(s->z), s->cfg.quantile_min,
                       s->cfg.quantile_max);
}

int ctl_slo_observe(struct ctl_slo *s, double load, long ready) {
  if(!isfinite(load) || load < 0 || ready < 0)
    return 0;
  record(s, missed(s, load, ready), load);
  if(s->since_move < ctl_slo_hold_steps(&s->cfg) || !(s->move_total > 0))
    return 0;
  double r = s->move_miss / s->move_total / s->cfg.objective;
  int dir = r > CTL_SLO_UP_BAND ? 1 : r < CTL_SLO_DOWN_BAND ? -1 : 0;
  /* Few or no misses are evidence of being under the objective only
   * when the objective allowed several: with a small objective, misses
   * are rare and lumpy, and a quiet hold says nothing. */
  if(dir < 0 && s->move_total * s->cfg.objective <
                  CTL_SLO_DOWN_EVIDENCE * s->quantum)
    dir = 0;
  /* Going on in one direction needs a hold's evidence; turning back
   * needs a whole window's, so noise in a short measurement cannot make
   * the setting dither. */
  if(dir == 0 ||
     (dir == -s->last_move && s->since_move < s->cfg.window_steps))
    return 0;
  /* Each turn halves the steps, so a setting between two steps is
   * approached instead of circled; two moves on in one direction double
   * them again, so a real change is followed at full speed. */
  if(s->last_move && dir != s->last_move) {
    s->gain = fmax(CTL_SLO_GAIN_MIN, s->gain / 2);
    s->run = 0;
  } else if(++s->run >= 2) {
    s->gain = fmin(1, s->gain * 2);
  }
  double q0 = s->quantile, h0 = s->headroom;
  if(dir > 0)
    move(s, s->gain * clampd(0.25 * log2(r), CTL_SLO_Z_UP_MIN,
                             CTL_SLO_Z_UP_MAX));
  else
    move(s, -s->gain * CTL_SLO_Z_DOWN);
  s->since_move = 0;
  s->move_miss = s->move_total = 0;
  /* At a bound nothing moved: measure on, judge again after a hold. */
  if(fabs(s->quantile - q0) < 1e-12 && fabs(s->headroom - h0) < 1e-12)
    return 0;
  s->last_move = dir;
  if(dir > 0)
    s->moves_up++;
  else
    s->moves_down++;
  return dir;
}

double ctl_slo_measured(const struct ctl_slo *s) {
  return s->sum_total > 0 ? s->sum_miss / s->sum_total : (double)NAN;
}
