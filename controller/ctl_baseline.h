/*
 * The baseline policies that `prewarm plan` compares the predictive
 * policy with, on the instances a trace needs (act_sim_needed()).
 * Pure functions of their arguments; any thread.
 */
#ifndef CTL_BASELINE_H
#define CTL_BASELINE_H

#include <stddef.h>

/*
 * Baselines on the needed instances n[0..len) (act_sim_needed()):
 *   reactive: ceil(n[t-1] / 0.7), the highest of the last 300 s (HPA);
 *   static:   the highest n of the first `start` steps, held;
 *   snaive:   ceil(1.2 * max(n[lo], n[lo+1])) with lo = t+w-k*period,
 *             k the smallest that puts lo before t (1 when w < period;
 *             more for a warm-up longer than the season), and
 *             ceil(n[t-1] / 0.7) until that season has been seen (and
 *             throughout when period < 1);
 *   oracle:   max(n[t .. t+w]), perfect foresight.
 * Each writes len values into out and reads need[0..len) only, for any
 * w, period and step_s (a negative w counts as 0; a step_s that is not
 * above zero makes reactive look back one step).
 */
void ctl_baseline_reactive(const double *need, size_t len, double step_s,
                           double *out);
/* reactive at utilisation target util (0 < util <= 1) instead of 0.7:
 * ceil(n[t-1] / util), the highest of the last 300 s. */
void ctl_baseline_reactive_at(const double *need, size_t len, double step_s,
                              double util, double *out);
void ctl_baseline_static(const double *need, size_t len, size_t start,
                         double *out);
void ctl_baseline_snaive(const double *need, size_t len, int w, int period,
                         double step_s, double *out);
void ctl_baseline_oracle(const double *need, size_t len, int w, double *out);

#endif
