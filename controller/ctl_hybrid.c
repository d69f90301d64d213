#include "ctl_hybrid.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/pw_alloc.h"
#include "../common/pw_csv.h"
#include "ctl_plan.h"
#include "ctl_replay.h"
#include "ctl_settings.h"

_Static_assert(CTL_PLAN_NPOLICIES <= CTL_HYBRID_MAXPOL,
               "room for every policy");

/* The container tier's quantiles: lower ones than the frontier's curve,
 * since the function takes what the containers miss. */
static const double hybrid_q[CTL_HYBRID_NQ] = {0.5, 0.6, 0.7, 0.8, 0.9,
                                               0.95, 0.975, 0.99, 0.995};

/* One tier's row from its scores, at the plan's prices. */
static void row_fill(const struct ctl_hybrid *h,
                     const struct act_sim_model *m,
                     const struct act_sim_score *s,
                     const struct act_sim_overflow *o,
                     struct ctl_hybrid_row *row) {
  const struct ctl_frontier_prices *p = &h->prices;
  row->instance_seconds = s->instance_seconds;
  row->unserved_fraction = s->unserved_fraction;
  row->invocations = o->invocations;
  row->gb_seconds = o->busy_seconds * h->fn.memory_mb / 1024;
  row->cold_starts = o->cold_starts;
  row->cold_start_fraction = o->cold_start_fraction;
  row->cost_containers = ctl_frontier_capacity_cost(m, p,
                                                    s->instance_seconds);
  row->cost_function = row->gb_seconds * p->od_duration_gb_s +
                       row->invocations * p->request;
  row->cost_total = row->cost_containers + row->cost_function;
}

/* Scores desired as the container tier: its ready[] and its overflow
 * (excess, cold may be NULL) into *row. */
static int tier_score(const struct ctl_hybrid *h,
                      const struct ctl_plan_result *r, const double *desired,
                      double *ready, double *excess, double *cold,
                      struct ctl_hybrid_row *row) {
  struct act_sim_score s;
  struct act_sim_overflow o;
  int rc = act_sim_score(&r->model, r->load, desired, r->n, r->start, ready,
                         NULL, &s);
  if(rc == 0)
    rc = act_sim_overflow(&r->model, h->fn.duration_ms, h->keepalive_steps,
                          r->load, ready, r->n, r->start, excess, cold, &o);
  if(rc == 0) {
    row->quantile = (double)NAN;
    row_fill(h, &r->model, &s, &o, row);
  }
  return rc;
}

/* The predictive policy at quantile q as the container tier. */
static int curve_point(const struct ctl_plan_input *in,
                       struct ctl_plan_result *r, struct ctl_hybrid *h,
                       double q, double *ready, struct ctl_hybrid_row *row,
                       char *err, size_t errlen) {
  struct cfg_target t = *in->target;
  t.quantile = q;
  struct ctl_replay rp = {.load = in->load, .n = in->n,
                          .start_ms = in->start_ms, .target = &t,
                          .warmup_steps = r->model.warmup_steps,
                          .warmup_seq = r->model.warmup_seq,
                          .nwarmup_seq = r->model.nwarmup_seq};
  int rc = ctl_replay_run(&rp, err, errlen);
  if(rc == 0)
    rc = tier_score(h, r, rp.desired, ready, NULL, NULL, row);
  ctl_replay_cleanup(&rp);
  row->quantile = q;
  return rc;
}

/* The cheapest curve point in total whose cold-start fraction meets the
 * SLO (every point, without one); -1 when none does. */
static long cheapest(const struct ctl_hybrid *h) {
  long best = -1;
  for(long i = 0; i < CTL_HYBRID_NQ; i++) {
    const struct ctl_hybrid_row *c = &h->curve[i];
    if(h->fn.slo > 0 && c->cold_start_fraction > h->fn.slo)
      continue;
    if(best < 0 || c->cost_total < h->curve[best].cost_total)
      best = i;
  }
  return best;
}

/* The curve, then the chosen point's series again (for the report). */
static int search(const struct ctl_plan_input *in, struct ctl_plan_result *r,
                  struct ctl_hybrid *h, double *scratch, char *err,
                  size_t errlen) {
  double q0 = ctl_settings_quantile(in->target);
  for(int i = 0; i < CTL_HYBRID_NQ; i++) {
    if(fabs(hybrid_q[i] - q0) < 1e-12) {
      h->curve[i] = h->policy[CTL_PLAN_PREDICTIVE];
      h->curve[i].quantile = q0;
      continue;
    }
    int rc = curve_point(in, r, h, hybrid_q[i], scratch, &h->curve[i], err,
                         errlen);
    if(rc)
      return rc;
  }
  h->chosen = cheapest(h);
  if(h->chosen < 0)
    return 0;
  size_t sz = (r->n ? r->n : 1) * sizeof(double);
  h->chosen_ready = pw_malloc(sz);
  h->chosen_excess = pw_malloc(sz);
  h->chosen_cold = pw_malloc(sz);
  if(!h->chosen_ready || !h->chosen_excess || !h->chosen_cold)
    return PW_ENOMEM;
  struct cfg_target t = *in->target;
  t.quantile = hybrid_q[h->chosen];
  struct ctl_replay rp = {.load = in->load, .n = in->n,
                          .start_ms = in->start_ms, .target = &t,
                          .warmup_steps = r->model.warmup_steps,
                          .warmup_seq = r->model.warmup_seq,
                          .nwarmup_seq = r->model.nwarmup_seq};
  const double *desired = r->desired[CTL_PLAN_PREDICTIVE];
  int rc = 0;
  if(fabs(hybrid_q[h->chosen] - q0) >= 1e-12) {
    rc = ctl_replay_run(&rp, err, errlen);
    desired = rp.desired;
  }
  struct ctl_hybrid_row again;
  if(rc == 0)
    rc = tier_score(h, r, desired, h->chosen_ready, h->chosen_excess,
                    h->chosen_cold, &again);
  ctl_replay_cleanup(&rp);
  return rc;
}

int ctl_hybrid_build(const struct ctl_plan_input *in,
                     struct ctl_plan_result *r, char *err, size_t errlen) {
  struct ctl_hybrid *h = pw_calloc(1, sizeof(*h));
  size_t sz = (r->n ? r->n : 1) * sizeof(double);
  double *scratch = NULL;
  int rc = PW_ENOMEM;

  if(!h)
    goto fail;
  r->hybrid = h;
  h->fn = *in->overflow;
  if(in->prices)
    h->prices = *in->prices;
  else
    ctl_frontier_prices_default(&h->prices);
  if(!(h->fn.memory_mb > 0))
    h->fn.memory_mb = h->prices.memory_mb;
  h->keepalive_steps = r->model.keepalive_steps;
  double scored = (double)(r->n - r->start) * r->step_s;
  h->scale_30d = scored > 0 ? 30 * 86400.0 / scored : 0;
  h->chosen = -1;
  if(!(h->fn.duration_ms > 0) || r->model.platform != ACT_KUBERNETES) {
    snprintf(err, errlen, "hybrid: the container tier must be Kubernetes "
             "and the function's duration_ms above 0");
    return PW_EINVAL;
  }
  scratch = pw_malloc(sz);
  if(!scratch)
    goto fail;
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    h->excess[p] = pw_malloc(sz);
    h->cold[p] = pw_malloc(sz);
    if(!h->excess[p] || !h->cold[p])
      goto fail;
    rc = tier_score(h, r, r->desired[p], scratch, h->excess[p], h->cold[p],
                    &h->policy[p]);
    if(rc)
      goto fail;
    h->have[p] = 1;
  }
  /* Functions alone: no container is ever ready. */
  double *zero = pw_calloc(r->n ? r->n : 1, sizeof(double));
  rc = zero ? tier_score(h, r, zero, scratch, NULL, NULL,
                         &h->functions_only)
            : PW_ENOMEM;
  pw_free(zero);
  if(rc == 0)
    rc = search(in, r, h, scratch, err, errlen);
  pw_free(scratch);
  if(rc && rc != PW_EINVAL)
    snprintf(err, errlen, "hybrid: %s", pw_strerror(rc));
  return rc;
fail:
  pw_free(scratch);
  snprintf(err, errlen, "hybrid: out of memory");
  return rc;
}

void ctl_hybrid_free(struct ctl_hybrid *h) {
  if(!h)
    return;
  for(int p = 0; p < CTL_HYBRID_MAXPOL; p++) {
    pw_free(h->excess[p]);
    pw_free(h->cold[p]);
  }
  pw_free(h->chosen_ready);
  pw_free(h->chosen_excess);
  pw_free(h->chosen_cold);
  pw_free(h);
}

/* ---- text ---- */

static void text_row(const struct ctl_hybrid *h, const char *name,
                     const struct ctl_hybrid_row *w) {
  printf("%-16s %14.1f %12.0f %12.0f %11.0f %11.4f%% %10.2f %11.2f\n", name,
         w->instance_seconds / 3600, w->gb_seconds, w->invocations,
         w->cold_starts, 100 * w->cold_start_fraction, w->cost_total,
         w->cost_total * h->scale_30d);
}

static void text_head(const char *first) {
  printf("%-16s %14s %12s %12s %11s %12s %10s %11s\n", first,
         "instance-hours", "GB-seconds", "invocations", "cold starts",
         "cold start %", "total $", "$ / 30 days");
}

void ctl_hybrid_print_text(const struct ctl_plan_result *r) {
  const struct ctl_hybrid *h = r->hybrid;
  char name[32];
  if(!h)
    return;
  const struct ctl_hybrid_row *c = &h->policy[CTL_PLAN_PREDICTIVE];
  printf("\nhybrid    the containers above overflow to a function: %g ms, "
         "%g MB, keep-alive %d steps; $%g per instance-hour, $%.10g per "
         "GB-second, $%g per million requests (total $: the scored steps)\n",
         h->fn.duration_ms, h->fn.memory_mb, h->keepalive_steps,
         h->prices.instance_hour, h->prices.od_duration_gb_s,
         h->prices.request * 1e6);
  text_head("policy");
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++)
    if(h->have[p])
      text_row(h, ctl_plan_policy_names[p], &h->policy[p]);
  text_row(h, "functions alone", &h->functions_only);
  printf("containers alone (predictive, no function): %.1f instance-hours, "
         "$%.2f, %.3f%% of the load unserved\n", c->instance_seconds / 3600,
         c->cost_containers, 100 * c->unserved_fraction);
  printf("\nhybrid quantile search (prewarm's container tier replayed at "
         "each quantile):\n");
  text_head("quantile");
  for(int i = 0; i < CTL_HYBRID_NQ; i++) {
    snprintf(name, sizeof(name), "%g", h->curve[i].quantile);
    text_row(h, name, &h->curve[i]);
  }
  if(h->chosen < 0) {
    printf("chosen    no quantile meets at most %g%% cold starts; functions "
           "alone have %.4f%%\n", 100 * h->fn.slo,
           100 * h->functions_only.cold_start_fraction);
    return;
  }
  const struct ctl_hybrid_row *b = &h->curve[h->chosen];
  printf("chosen    quantile %g, the cheapest in total%s: $%.2f per 30 days "
         "(functions alone $%.2f, containers alone $%.2f)\n", b->quantile,
         h->fn.slo > 0 ? " within the cold-start SLO" : "",
         b->cost_total * h->scale_30d,
         h->functions_only.cost_total * h->scale_30d,
         c->cost_containers * h->scale_30d);
  if(h->fn.slo > 0)
    printf("          --slo-cold-start %g: %.4f%% cold starts\n", h->fn.slo,
           100 * b->cold_start_fraction);
}

/* ---- JSON ---- */

static void json_row(const struct ctl_hybrid *h,
                     const struct ctl_hybrid_row *w) {
  putchar('{');
  if(isfinite(w->quantile))
    printf("\"quantile\":%g,", w->quantile);
  printf("\"instance_seconds\":%.10g,\"function_gb_seconds\":%.10g,"
         "\"invocations\":%.10g,\"cold_starts\":%.10g,"
         "\"cold_start_fraction\":%.10g,\"cost_containers\":%.10g,"
         "\"cost_function\":%.10g,\"cost_total\":%.10g,"
         "\"cost_total_30d\":%.10g}", w->instance_seconds, w->gb_seconds,
         w->invocations, w->cold_starts, w->cold_start_fraction,
         w->cost_containers, w->cost_function, w->cost_total,
         w->cost_total * h->scale_30d);
}

void ctl_hybrid_print_json(const struct ctl_plan_result *r) {
  const struct ctl_hybrid *h = r->hybrid;
  if(!h)
    return;
  const struct ctl_hybrid_row *c = &h->policy[CTL_PLAN_PREDICTIVE];
  printf(",\"hybrid\":{\"duration_ms\":%g,\"memory_mb\":%g,"
         "\"keepalive_steps\":%d,\"currency\":\"USD\","
         "\"price_instance_hour\":%.10g,"
         "\"price_on_demand_duration_gb_s\":%.10g,"
         "\"price_request\":%.10g,\"scale_30d\":%.10g,\"slo_cold_start\":",
         h->fn.duration_ms, h->fn.memory_mb, h->keepalive_steps,
         h->prices.instance_hour, h->prices.od_duration_gb_s,
         h->prices.request, h->scale_30d);
  if(h->fn.slo > 0)
    printf("%g", h->fn.slo);
  else
    fputs("null", stdout);
  printf(",\"policies\":{");
  int first = 1;
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!h->have[p])
      continue;
    printf("%s\"%s\":", first ? "" : ",", ctl_plan_policy_names[p]);
    json_row(h, &h->policy[p]);
    first = 0;
  }
  printf("},\"functions_only\":");
  json_row(h, &h->functions_only);
  printf(",\"containers_only\":{\"instance_seconds\":%.10g,"
         "\"unserved_fraction\":%.10g,\"cost_total\":%.10g,"
         "\"cost_total_30d\":%.10g}", c->instance_seconds,
         c->unserved_fraction, c->cost_containers,
         c->cost_containers * h->scale_30d);
  printf(",\"curve\":[");
  for(int i = 0; i < CTL_HYBRID_NQ; i++) {
    if(i)
      putchar(',');
    json_row(h, &h->curve[i]);
  }
  printf("],\"chosen\":");
  if(h->chosen >= 0)
    json_row(h, &h->curve[h->chosen]);
  else
    fputs("null", stdout);
  putchar('}');
}

/* ---- the report ---- */

#define PANEL_W 960
#define PANEL_H 200
#define PAD_L 64
#define PAD_B 26
#define PAD_T 10
#define MAX_BINS 480

/* One tier's series at the step of each bin's peak load. */
struct bins {
  size_t nb;
  double top;                  /* the highest load, the y scale */
  double served[MAX_BINS], fn[MAX_BINS], cold[MAX_BINS];
};

static double load_or_zero(const double *load, size_t i) {
  return isnan(load[i]) ? 0 : load[i];
}

static void bins_fill(const struct ctl_plan_result *r, const double *excess,
                      const double *cold, struct bins *b) {
  b->nb = r->n < MAX_BINS ? r->n : MAX_BINS;
  b->top = 0;
  for(size_t i = 0; i < r->n; i++)
    b->top = fmax(b->top, load_or_zero(r->load, i));
  if(!(b->top > 0))
    b->top = 1;
  for(size_t k = 0; k < b->nb; k++) {
    size_t i0 = k * r->n / b->nb, i1 = (k + 1) * r->n / b->nb, pk = i0;
    b->cold[k] = 0;
    for(size_t i = i0; i < i1; i++) {
      if(load_or_zero(r->load, i) > load_or_zero(r->load, pk))
        pk = i;
      b->cold[k] += cold[i];
    }
    b->fn[k] = excess[pk];
    b->served[k] = load_or_zero(r->load, pk) - excess[pk];
  }
}

static double bx(const struct bins *b, size_t k) {
  return PAD_L + (double)k * (PANEL_W - PAD_L - 8) / (double)b->nb;
}

static double by(const struct bins *b, double v) {
  return PANEL_H - PAD_B - v / b->top * (PANEL_H - PAD_B - PAD_T);
}

/* A filled step area of v (plus base when given) over the bins. */
static void area(FILE *fp, const struct bins *b, const double *v,
                 const double *base, const char *cls) {
  fprintf(fp, "<path class=\"%s\" d=\"M%.1f %.1f", cls, bx(b, 0),
          by(b, 0));
  for(size_t k = 0; k < b->nb; k++) {
    double y = by(b, v[k] + (base ? base[k] : 0));
    fprintf(fp, "L%.1f %.1fL%.1f %.1f", bx(b, k), y, bx(b, k + 1), y);
  }
  fprintf(fp, "L%.1f %.1fZ\"/>\n", bx(b, b->nb), by(b, 0));
}

static void panel(FILE *fp, const struct ctl_plan_result *r,
                  const char *title, const double *excess,
                  const double *cold) {
  struct bins *b = pw_malloc(sizeof(*b));
  if(!b)
    return;
  bins_fill(r, excess, cold, b);
  fprintf(fp, "<h3>%s</h3>\n<svg class=\"chart\" data-kind=\"hybrid-tiers\" "
          "viewBox=\"0 0 %d %d\" role=\"img\">\n", title, PANEL_W, PANEL_H);
  if(r->start > 0)
    fprintf(fp, "<rect class=\"unscored\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
            "height=\"%d\"/>\n", PAD_L, PAD_T,
            (double)r->start / (double)r->n * (PANEL_W - PAD_L - 8),
            PANEL_H - PAD_B - PAD_T);
  area(fp, b, b->fn, b->served, "tier-fn");
  area(fp, b, b->served, NULL, "tier-pods");
  for(size_t k = 0; k < b->nb; k++)
    if(b->cold[k] > 0)
      fprintf(fp, "<line class=\"lost\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
              "y2=\"%d\"><title>%.0f cold starts</title></line>\n",
              bx(b, k), PAD_T, bx(b, k), PAD_T + 8, b->cold[k]);
  for(int i = 0; i <= 2; i++) {
    double v = b->top * i / 2;
    fprintf(fp, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
            "y2=\"%.1f\"/><text class=\"lbl\" x=\"%d\" y=\"%.1f\">%.0f"
            "</text>\n", PAD_L - 4, by(b, v), PAD_L, by(b, v), PAD_L - 30,
            by(b, v) + 4, v);
  }
  fprintf(fp, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
          "<text class=\"lbl\" x=\"%d\" y=\"%d\">step 0</text>"
          "<text class=\"lbl\" x=\"%d\" y=\"%d\">step %zu</text></svg>\n",
          PAD_L, PANEL_H - PAD_B, PANEL_W - 8, PANEL_H - PAD_B, PAD_L + 20,
          PANEL_H - 8, PANEL_W - 40, PANEL_H - 8, r->n);
  pw_free(b);
}

static void html_row(FILE *fp, const struct ctl_hybrid *h, const char *name,
                     const struct ctl_hybrid_row *w) {
  fprintf(fp, "<tr><td>%s</td><td>%.1f</td><td>%.0f</td><td>%.0f</td>"
          "<td>%.0f</td><td>%.4f%%</td><td>%.2f</td></tr>\n", name,
          w->instance_seconds / 3600, w->gb_seconds, w->invocations,
          w->cold_starts, 100 * w->cold_start_fraction,
          w->cost_total * h->scale_30d);
}

void ctl_hybrid_report_html(FILE *fp, const struct ctl_plan_result *r) {
  const struct ctl_hybrid *h = r->hybrid;
  char title[160];
  if(!h)
    return;
  fprintf(fp, "<h2 id=\"hybrid\">Containers and a function</h2>\n"
          "<p class=\"note\">The pods' ready capacity serves what it can "
          "(<span class=\"sw tier-pods\"></span>blue); the rest is invoked "
          "on a function of %g ms and %g MB (<span class=\"sw tier-fn\">"
          "</span>orange), whose new environments are cold starts (red "
          "marks). Each bin shows its step of peak load, in requests a "
          "step.</p>\n<style>.tier-pods{fill:#4c78a8;background:#4c78a8}"
          ".tier-fn{fill:#f58518;background:#f58518}</style>\n",
          h->fn.duration_ms, h->fn.memory_mb);
  fputs("<table data-kind=\"hybrid\"><tr><th>containers</th>"
        "<th>instance-hours</th><th>GB-seconds</th><th>invocations</th>"
        "<th>cold starts</th><th>cold start %</th><th>$ / 30 days</th>"
        "</tr>\n", fp);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++)
    if(h->have[p])
      html_row(fp, h, ctl_plan_policy_names[p], &h->policy[p]);
  html_row(fp, h, "none (functions alone)", &h->functions_only);
  if(h->chosen >= 0) {
    snprintf(title, sizeof(title), "predictive at quantile %g (chosen)",
             h->curve[h->chosen].quantile);
    html_row(fp, h, title, &h->curve[h->chosen]);
  }
  fputs("</table>\n", fp);
  panel(fp, r, "predictive, as configured", h->excess[CTL_PLAN_PREDICTIVE],
        h->cold[CTL_PLAN_PREDICTIVE]);
  if(h->chosen >= 0) {
    snprintf(title, sizeof(title), "predictive at quantile %g, the cheapest "
             "in total%s", h->curve[h->chosen].quantile,
             h->fn.slo > 0 ? " within the cold-start SLO" : "");
    panel(fp, r, title, h->chosen_excess, h->chosen_cold);
  }
  fputs("<p class=\"note\"><a href=\"hybrid.csv\">hybrid.csv</a>: per step, "
        "per policy the ready pods, the invocations sent to the function "
        "and its cold starts.</p>\n", fp);
}

int ctl_hybrid_report_csv(const struct ctl_plan_result *r, const char *path,
                          char *err, size_t errlen) {
  const struct ctl_hybrid *h = r->hybrid;
  FILE *fp = fopen(path, "w");
  if(!fp) {
    snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    return PW_EIO;
  }
  fputs("time,load", fp);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++)
    if(h->have[p])
      fprintf(fp, ",ready_%s,function_%s,cold_%s", ctl_plan_policy_names[p],
              ctl_plan_policy_names[p], ctl_plan_policy_names[p]);
  if(h->chosen >= 0)
    fputs(",ready_chosen,function_chosen,cold_chosen", fp);
  fputc('\n', fp);
  for(size_t i = 0; i < r->n; i++) {
    if(r->labels)
      pw_csv_write_field(fp, r->labels[i]);
    else
      fprintf(fp, "%.0f", (double)i * r->step_s);
    fprintf(fp, ",%.10g", load_or_zero(r->load, i));
    for(int p = 0; p < CTL_PLAN_NPOLICIES; p++)
      if(h->have[p])
        fprintf(fp, ",%.0f,%.10g,%.0f", r->ready[p][i], h->excess[p][i],
                h->cold[p][i]);
    if(h->chosen >= 0)
      fprintf(fp, ",%.0f,%.10g,%.0f", h->chosen_ready[i],
              h->chosen_excess[i], h->chosen_cold[i]);
    fputc('\n', fp);
  }
  int bad = ferror(fp);
  bad |= fclose(fp);
  if(bad) {
    snprintf(err, errlen, "%s: write error", path);
    return PW_EIO;
  }
  return 0;
}
