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
 *   snaive:   ceil(1.2 * max(n[t+w-period], n[t+w-period+1])), and
 *             ceil(n[t-1] / 0.7) until a season has passed;
 *   oracle:   max(n[t .. t+w]), perfect foresight.
 * Each writes len values into out.
 */
void ctl_baseline_reactive(const double *need, size_t len, double step_s,
                           double *out);
void ctl_baseline_static(const double *need, size_t len, size_t start,
                         double *out);
void ctl_baseline_snaive(const double *need, size_t len, int w, int period,
                         double step_s, double *out);
void ctl_baseline_oracle(const double *need, size_t len, int w, double *out);

#endif
