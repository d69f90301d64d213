#include "ctl_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/pw_alloc.h"
#include "../common/pw_csv.h"
#include "ctl_chart.h"

static const char *const colors[CTL_PLAN_NPOLICIES] = {
  "#1b7f3b", "#c05a00", "#6a5acd", "#8a6d00", "#555555", "#b03060"};

static void html_text(FILE *fp, const char *s) {
  for(; *s; s++) {
    switch(*s) {
    case '<': fputs("&lt;", fp); break;
    case '>': fputs("&gt;", fp); break;
    case '&': fputs("&amp;", fp); break;
    case '"': fputs("&quot;", fp); break;
    default: fputc(*s, fp);
    }
  }
}

/* The cost-against-loss chart's frame: plot area and ranges. */
#define FX0 64.0
#define FX1 620.0
#define FY0 20.0
#define FY1 300.0

struct frame {
  double xmax, ymax;      /* instance-hours, loss in % */
  double ymin;            /* log scale from here; 0 sits on the axis */
  double xcut;            /* policies above this are off the chart */
  double box[16][4];      /* label boxes placed so far */
  int nbox;
};

static double fx(const struct frame *f, double hours) {
  return FX0 + hours / f->xmax * (FX1 - FX0);
}

/* Loss on a log scale (decades from ymin), so both curves can be read;
 * a loss below ymin (0) is drawn on the axis. */
static double fy(const struct frame *f, double pct) {
  if(!(pct > f->ymin))
    return FY1;
  return FY1 - log10(pct / f->ymin) / log10(f->ymax / f->ymin) *
               (FY1 - FY0 - 18) - 18;
}

static double loss_pct(const struct ctl_plan_result *r, int p) {
  return 100 * (r->model.platform == ACT_KUBERNETES
                  ? r->score[p].unserved_fraction
                  : r->score[p].cold_start_fraction);
}

/* A round step for about n ticks up to top. */
static double tick_step(double top, int n) {
  double raw = top / n, mag = pow(10, floor(log10(raw)));
  double m = raw / mag;
  return mag * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

static void frame_take(double hours, double pct, double *x, double *ylo,
                       double *yhi) {
  *x = fmax(*x, hours);
  *yhi = fmax(*yhi, pct);
  if(pct > 0)
    *ylo = fmin(*ylo, pct);
}

/* The curves set the x range; a policy far beyond them (static) is marked
 * at the edge instead of squeezing the curves. */
static void frame_ranges(const struct ctl_plan_result *r, struct frame *f) {
  const struct ctl_frontier *fr = r->frontier;
  double x = 1e-9, ylo = (double)INFINITY, yhi = 1e-9;
  for(size_t i = 0; i < fr->nfrontier; i++)
    frame_take(fr->frontier[i].instance_seconds / 3600,
               100 * fr->frontier[i].loss, &x, &ylo, &yhi);
  for(size_t i = 0; i < fr->ncurve; i++)
    frame_take(fr->curve[i].instance_seconds / 3600, 100 * fr->curve[i].loss,
               &x, &ylo, &yhi);
  double xc = x * 1.3;
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    double h = r->score[p].instance_seconds / 3600;
    if(r->have[p] && h <= xc)
      frame_take(h, loss_pct(r, p), &x, &ylo, &yhi);
    else if(r->have[p])
      yhi = fmax(yhi, loss_pct(r, p));
  }
  double sx = tick_step(x, 5);
  f->xmax = ceil(x * 1.04 / sx) * sx;
  f->xcut = f->xmax;
  f->ymax = pow(10, ceil(log10(yhi * 1.05)));
  f->ymin = isfinite(ylo) ? pow(10, floor(log10(ylo))) : f->ymax / 1000;
  if(f->ymin >= f->ymax)
    f->ymin = f->ymax / 10;
  /* The key, top right, is taken. */
  f->box[0][0] = 380;
  f->box[0][1] = 20;
  f->box[0][2] = 300;
  f->box[0][3] = 40;
  f->nbox = 1;
}

static void frame_axes(FILE *fp, const struct frame *f, int k8s) {
  double sx = tick_step(f->xmax, 5);
  fprintf(fp, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
          "class=\"axis\"/><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" "
          "y2=\"%.0f\" class=\"axis\"/>\n", FX0, FY1, FX1, FY1, FX0, FY0,
          FX0, FY1);
  for(double v = 0; v <= f->xmax + sx / 2; v += sx)
    fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" "
            "class=\"axis\"/><text x=\"%.1f\" y=\"%.0f\" class=\"lbl\">"
            "%g</text>\n", fx(f, v), fx(f, v), FY1, FY1 + 4, fx(f, v),
            FY1 + 16, v);
  fprintf(fp, "<text x=\"%.0f\" y=\"%.1f\" class=\"pt\" text-anchor=\"end\">"
          "0</text>\n", FX0 - 6, FY1 + 4);
  for(double v = f->ymin; v <= f->ymax * 1.001; v *= 10)
    fprintf(fp, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
            "class=\"axis\"/><text x=\"%.0f\" y=\"%.1f\" class=\"pt\" "
            "text-anchor=\"end\">%g%%</text>\n", FX0 - 4, FX0, fy(f, v),
            fy(f, v), FX0 - 6, fy(f, v) + 4, v);
  fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">%s</text>"
          "<text x=\"14\" y=\"%.0f\" class=\"lbl\" transform=\"rotate(-90 "
          "14 %.0f)\">%s</text>\n", (FX0 + FX1) / 2, FY1 + 34,
          k8s ? "cost: pod-hours (instance-hours)"
              : "cost: provisioned-concurrency hours",
          (FY0 + FY1) / 2, (FY0 + FY1) / 2,
          k8s ? "unserved load (log scale)" : "cold starts (log scale)");
}

/* A label beside (x, y) where it overlaps no label placed before. */
static void place_label(FILE *fp, struct frame *f, double x, double y,
                        const char *text) {
  double w = 6.6 * (double)strlen(text), h = 14;
  static const double dx[] = {9, -9, 9, -9, 9, -9};
  static const double dy[] = {4, 4, -10, -10, 18, 18};
  int k = 0;
  double bx = 0, by = 0;
  for(; k < 6; k++) {
    bx = dx[k] > 0 ? x + dx[k] : x + dx[k] - w;
    by = y + dy[k] - 11;
    if(bx < FX0 || bx + w > FX1 + 30)
      continue;
    int clash = 0;
    for(int i = 0; i < f->nbox && !clash; i++)
      clash = bx < f->box[i][0] + f->box[i][2] && f->box[i][0] < bx + w &&
              by < f->box[i][1] + f->box[i][3] && f->box[i][1] < by + h;
    if(!clash)
      break;
  }
  if(k == 6) {  /* nowhere free: below the last one */
    bx = x + 9;
    by = y + 4 - 11 + 14 * f->nbox % 3;
  }
  if(f->nbox < 14) {
    f->box[f->nbox][0] = bx;
    f->box[f->nbox][1] = by;
    f->box[f->nbox][2] = w;
    f->box[f->nbox][3] = h;
    f->nbox++;
  }
  fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"pt\">", bx, by + 11);
  html_text(fp, text);
  fputs("</text>\n", fp);
}

static int by_hours(const void *a, const void *b) {
  const struct ctl_frontier_point *x = a, *y = b;
  return (x->instance_seconds > y->instance_seconds) -
         (x->instance_seconds < y->instance_seconds);
}

static void curve_path(FILE *fp, const struct frame *f, const char *id,
                       const char *color, const struct ctl_frontier_point *p,
                       size_t n) {
  struct ctl_frontier_point *sorted = pw_malloc((n ? n : 1) * sizeof(*p));
  size_t k = n;
  if(!sorted)
    return;  /* the chart goes without this curve */
  memcpy(sorted, p, k * sizeof(*p));
  qsort(sorted, k, sizeof(*sorted), by_hours);
  fprintf(fp, "<path id=\"%s\" fill=\"none\" stroke=\"%s\" "
          "stroke-width=\"2\" d=\"", id, color);
  for(size_t i = 0; i < k; i++)
    fprintf(fp, "%s%.1f,%.1f ", i ? "L" : "M",
            fx(f, sorted[i].instance_seconds / 3600),
            fy(f, 100 * sorted[i].loss));
  fputs("\"/>\n", fp);
  for(size_t i = 0; i < k; i++)
    fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">"
            "<title>%s %g%s: %.1f h, %.3f%%</title></circle>\n",
            fx(f, sorted[i].instance_seconds / 3600),
            fy(f, 100 * sorted[i].loss), color,
            isfinite(sorted[i].utilization) ? "utilisation" : "quantile",
            isfinite(sorted[i].utilization) ? sorted[i].utilization
                                            : sorted[i].quantile,
            isfinite(sorted[i].utilization) ? "" : " +headroom",
            sorted[i].instance_seconds / 3600, 100 * sorted[i].loss);
  pw_free(sorted);
}

/* Cost against loss with the reactive frontier and prewarm's curve. */
static void frontier_chart(FILE *fp, const struct ctl_plan_result *r) {
  const struct ctl_frontier *fr = r->frontier;
  int k8s = r->model.platform == ACT_KUBERNETES;
  struct frame f;
  frame_ranges(r, &f);
  fprintf(fp, "<svg class=\"scatter\" id=\"cost-loss\" viewBox=\"0 0 680 "
          "350\" role=\"img\" aria-label=\"cost against %s\">\n",
          k8s ? "unserved load" : "cold starts");
  frame_axes(fp, &f, k8s);
  curve_path(fp, &f, "frontier", colors[CTL_PLAN_REACTIVE], fr->frontier,
             fr->nfrontier);
  curve_path(fp, &f, "prewarm-curve", colors[CTL_PLAN_PREDICTIVE],
             fr->curve, fr->ncurve);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    char name[96];
    double hours = r->score[p].instance_seconds / 3600;
    double x = fx(&f, fmin(hours, f.xcut));
    double y = fy(&f, loss_pct(r, p));
    if(p == CTL_PLAN_PREDICTIVE)
      snprintf(name, sizeof(name), "prewarm (quantile %g)",
               fr->chosen.quantile);
    else if(hours > f.xcut)
      snprintf(name, sizeof(name), "%s \u2192 %.0f h", ctl_plan_policy_names[p],
               hours);
    else
      snprintf(name, sizeof(name), "%s", p == CTL_PLAN_REACTIVE
               ? "HPA at 70%" : ctl_plan_policy_names[p]);
    int mark = p == CTL_PLAN_PREDICTIVE || p == CTL_PLAN_REACTIVE;
    fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" "
            "%s><title>%s: %.1f h, %.3f%%</title></circle>\n", x, y,
            mark ? 7 : 5, colors[p],
            mark ? "stroke=\"#000\" stroke-width=\"1.5\"" : "", name,
            r->score[p].instance_seconds / 3600, loss_pct(r, p));
    place_label(fp, &f, x, y, name);
  }
  /* The key, top right. */
  fprintf(fp, "<g class=\"key\"><line x1=\"380\" x2=\"410\" y1=\"30\" "
          "y2=\"30\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"416\" "
          "y=\"34\" class=\"pt\">HPA frontier (30%%..100%%)</text>"
          "<line x1=\"380\" x2=\"410\" y1=\"48\" y2=\"48\" stroke=\"%s\" "
          "stroke-width=\"2\"/><text x=\"416\" y=\"52\" class=\"pt\">"
          "prewarm's curve (quantile, headroom)</text></g>\n",
          colors[CTL_PLAN_REACTIVE], colors[CTL_PLAN_PREDICTIVE]);
  fputs("</svg>\n", fp);
}

/* The headline and the comparison in words, under the summary table. */
static void headline(FILE *fp, const struct ctl_plan_result *r) {
  const struct ctl_frontier *f = r->frontier;
  char line[640];
  if(!f || !f->nfrontier)
    return;
  ctl_frontier_headline(f, line, sizeof(line));
  fputs("<p id=\"headline\" class=\"headline\"><strong>", fp);
  html_text(fp, line);
  fputs("</strong></p>\n<p class=\"note\">", fp);
  fprintf(fp, "The HPA frontier is the HPA-like policy at every utilisation "
          "target from 30%% to 100%%; prewarm's curve is the replay at "
          "%zu settings. equal_cost_loss_ratio ", f->ncurve);
  if(isfinite(f->equal_cost_loss_ratio))
    fprintf(fp, "%.4g", f->equal_cost_loss_ratio);
  else
    fputs("null (outside the frontier's range)", fp);
  fputs(", equal_loss_cost_ratio ", fp);
  if(isfinite(f->equal_loss_cost_ratio))
    fprintf(fp, "%.4g", f->equal_loss_cost_ratio);
  else
    fputs("null (the frontier does not reach prewarm's loss)", fp);
  if(f->lambda)
    fprintf(fp, ". Money: per 30 days at this trace's rate, %g MB, AWS "
            "us-east-1 list prices.</p>\n", f->prices.memory_mb);
  else
    fprintf(fp, ". Money: per 30 days at this trace's rate, $%g per "
            "pod-hour.</p>\n", f->prices.instance_hour);
}

static void scatter(FILE *fp, const struct ctl_plan_result *r) {
  if(r->frontier && r->frontier->nfrontier) {
    frontier_chart(fp, r);
    return;
  }
  int k8s = r->model.platform == ACT_KUBERNETES;
  double xmax = 1e-9, ymax = 1e-9;
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    xmax = fmax(xmax, r->score[p].instance_seconds / 3600);
    ymax = fmax(ymax, 100 * (k8s ? r->score[p].unserved_fraction
                                 : r->score[p].cold_start_fraction));
  }
  fprintf(fp, "<svg class=\"scatter\" viewBox=\"0 0 520 300\" role=\"img\" "
          "aria-label=\"cost against %s\">\n", k8s ? "unserved load"
                                                   : "cold starts");
  fputs("<line x1=\"50\" y1=\"260\" x2=\"510\" y2=\"260\" class=\"axis\"/>"
        "<line x1=\"50\" y1=\"10\" x2=\"50\" y2=\"260\" class=\"axis\"/>\n",
        fp);
  fprintf(fp, "<text x=\"280\" y=\"290\" class=\"lbl\">instance-hours "
          "(0 to %.0f)</text><text x=\"12\" y=\"140\" class=\"lbl\" "
          "transform=\"rotate(-90 12 140)\">%s %% (0 to %.2f)</text>\n",
          xmax, k8s ? "unserved" : "cold starts", ymax);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    double x = 50 + r->score[p].instance_seconds / 3600 / xmax * 440;
    double y = 260 - 100 * (k8s ? r->score[p].unserved_fraction
                                : r->score[p].cold_start_fraction) /
                       ymax * 240;
    /* Labels go left of points near the right edge. */
    int left = x > 380;
    fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" class=\"pt\"%s>%s</text>\n", x, y,
            colors[p], left ? x - 9 : x + 9, y + 4,
            left ? " text-anchor=\"end\"" : "", ctl_plan_policy_names[p]);
  }
  fputs("</svg>\n", fp);
}

/* $ per 30 days of policy p, "" without a frontier (no prices). */
static void money_cell(const struct ctl_plan_result *r, int p, char *b,
                       size_t len) {
  const struct ctl_frontier *f = r->frontier;
  struct ctl_frontier_money m;
  b[0] = 0;
  if(!f)
    return;
  ctl_frontier_money(&r->model, &f->prices, r->load, r->desired[p],
                     r->ready[p], r->n, r->start, &m);
  snprintf(b, len, "<td>$%.2f</td>", m.total * f->scale_30d);
}

static void table(FILE *fp, const struct ctl_plan_result *r) {
  int k8s = r->model.platform == ACT_KUBERNETES;
  double orc = r->score[CTL_PLAN_ORACLE].instance_seconds;
  fprintf(fp, "<table><tr><th>policy</th><th>instance-hours</th>"
          "<th>vs oracle</th><th>%s</th><th>%s</th>%s</tr>\n",
          k8s ? "unserved load" : "cold starts",
          k8s ? "unserved %" : "cold start %",
          r->frontier ? "<th>$ per 30 days</th>" : "");
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    const struct act_sim_score *s = &r->score[p];
    char usd[64];
    money_cell(r, p, usd, sizeof(usd));
    fprintf(fp, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>"
            "%s</td><td>%.1f</td><td>%s%.2fx</td><td>%.0f</td>"
            "<td>%.3f%%</td>%s</tr>\n", colors[p], ctl_plan_policy_names[p],
            s->instance_seconds / 3600, "",
            orc > 0 ? s->instance_seconds / orc : 0,
            k8s ? s->unserved : s->cold_starts,
            100 * (k8s ? s->unserved_fraction : s->cold_start_fraction), usd);
  }
  fputs("</table>\n", fp);
}

static const char css[] =
  "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;"
  "color:#222;padding:0 12px}h1{font-size:22px}h2{font-size:17px;"
  "margin-top:28px}h3{font-size:14px;margin:14px 0 4px}"
  ".chart{width:100%;height:auto;border:1px solid #ddd;background:#fff}"
  ".scatter{width:520px;max-width:100%;border:1px solid #ddd}"
  ".unscored{fill:#f2f2f2}.lost{stroke:#d11;stroke-width:1.2}"
  ".axis{stroke:#888}.lbl{font-size:12px;fill:#444;text-anchor:middle}"
  ".pt{font-size:12px;fill:#222}table{border-collapse:collapse}"
  "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}"
  "td:first-child,th:first-child{text-align:left}"
  ".sw{display:inline-block;width:10px;height:10px;margin-right:6px}"
  ".note{color:#555}";

/* The CSVs next to the page, linked, with what their columns hold. */
static void csv_links(FILE *fp, const struct ctl_plan_result *r) {
  int k8s = r->model.platform == ACT_KUBERNETES;
  fprintf(fp, "<h2 id=\"data\">Data</h2>\n<ul class=\"data\">"
          "<li><a href=\"series.csv\">series.csv</a>: one row per step: "
          "time, load, and per policy desired and ready instances and the "
          "%s in that step.</li>\n<li><a href=\"summary.csv\">summary.csv"
          "</a>: one row per policy: instance-seconds, unserved load and "
          "cold starts, as counts and fractions.</li></ul>\n",
          k8s ? "load left unserved" : "cold starts");
}

static int write_html(const struct ctl_plan_result *r, const char *path) {
  FILE *fp = fopen(path, "w");
  int k8s = r->model.platform == ACT_KUBERNETES;
  if(!fp)
    return PW_EIO;
  fprintf(fp, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>prewarm plan</title><style>%s%s</style></head><body>\n", css,
          ctl_chart_css);
  fputs("<h1>prewarm plan: ", fp);
  html_text(fp, r->trace);
  fputs("</h1>\n<p class=\"note\">", fp);
  fprintf(fp, "%zu steps of %g s (%.1f days), %s, unit capacity %g, warm-up "
          "%d step(s). ", r->n, r->step_s, (double)r->n * r->step_s / 86400,
          k8s ? "Kubernetes" : "Lambda", r->model.unit,
          r->model.warmup_steps);
  if(r->period)
    fprintf(fp, "Season %d steps (%s), model %s, %ld refits. ", r->period,
            r->period_given ? "given" : "detected", r->model_name, r->refits);
  else
    fputs("No season found: the predictive policy acted reactively. ", fp);
  fprintf(fp, "Scored from step %zu.</p>\n", r->start);
  fputs("<h2>Summary</h2>\n", fp);
  table(fp, r);
  headline(fp, r);
  fputs("<h2>Cost against ", fp);
  fputs(k8s ? "unserved load" : "cold starts", fp);
  fputs("</h2>\n", fp);
  scatter(fp, r);
  int rc = ctl_chart_write(fp, r);
  ctl_hybrid_report_html(fp, r);
  csv_links(fp, r);
  fputs("</body></html>\n", fp);
  int bad = ferror(fp) || rc;
  bad |= fclose(fp);
  return bad ? PW_EIO : 0;
}

static int write_series(const struct ctl_plan_result *r, const char *path) {
  FILE *fp = fopen(path, "w");
  if(!fp)
    return PW_EIO;
  fputs("time,load", fp);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      fprintf(fp, ",desired_%s,ready_%s,lost_%s", ctl_plan_policy_names[p],
              ctl_plan_policy_names[p], ctl_plan_policy_names[p]);
  }
  fputc('\n', fp);
  for(size_t i = 0; i < r->n; i++) {
    if(r->labels)
      pw_csv_write_field(fp, r->labels[i]);
    else
      fprintf(fp, "%.0f", (double)i * r->step_s);
    if(isnan(r->load[i]))
      fputs(",", fp);
    else
      fprintf(fp, ",%.10g", r->load[i]);
    for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
      if(r->have[p])
        fprintf(fp, ",%.0f,%.0f,%.6g", r->desired[p][i], r->ready[p][i],
                r->lost[p][i]);
    }
    fputc('\n', fp);
  }
  int bad = ferror(fp);
  bad |= fclose(fp);
  return bad ? PW_EIO : 0;
}

static int write_summary(const struct ctl_plan_result *r, const char *path) {
  FILE *fp = fopen(path, "w");
  if(!fp)
    return PW_EIO;
  fputs("policy,instance_seconds,unserved,unserved_fraction,cold_starts,"
        "cold_start_fraction\n", fp);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    const struct act_sim_score *s = &r->score[p];
    fprintf(fp, "%s,%.10g,%.10g,%.10g,%.10g,%.10g\n",
            ctl_plan_policy_names[p], s->instance_seconds, s->unserved,
            s->unserved_fraction, s->cold_starts, s->cold_start_fraction);
  }
  int bad = ferror(fp);
  bad |= fclose(fp);
  return bad ? PW_EIO : 0;
}

int ctl_report_write(const struct ctl_plan_result *r, const char *dir,
                     char *err, size_t errlen) {
  char path[4096];
  static const char *const files[] = {"index.html", "series.csv",
                                      "summary.csv"};
  int (*const writers[])(const struct ctl_plan_result *, const char *) = {
    write_html, write_series, write_summary};

  if(mkdir(dir, 0755) && errno != EEXIST) {
    snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
    return PW_EIO;
  }
  for(int i = 0; i < 3; i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
    if(writers[i](r, path)) {
      snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
      return PW_EIO;
    }
  }
  if(r->hybrid) {
    snprintf(path, sizeof(path), "%s/hybrid.csv", dir);
    return ctl_hybrid_report_csv(r, path, err, errlen);
  }
  return 0;
}
