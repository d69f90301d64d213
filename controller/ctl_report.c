#include "ctl_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/pw_alloc.h"
#include "../common/pw_csv.h"

/* Points per chart: long traces are drawn in buckets (load and ready
 * capacity at their peaks, losses summed and marked in red, so a shortfall
 * inside a bucket still shows). */
#define BUCKETS 1200
#define CW 960
#define CH 170

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

/* Capacity in load units, so it can be drawn against the load. */
static double served(const struct ctl_plan_result *r, double instances) {
  if(r->model.platform == ACT_LAMBDA && r->model.duration_ms > 0)
    return instances * r->model.unit * 1000.0 * r->step_s /
           r->model.duration_ms;
  return instances * r->model.unit;
}

struct buckets {
  size_t nb;
  double load[BUCKETS], ready[BUCKETS], lost[BUCKETS];
};

static void bucketize(const struct ctl_plan_result *r, int p,
                      struct buckets *b, double *top) {
  size_t n = r->n;
  b->nb = n < BUCKETS ? n : BUCKETS;
  for(size_t k = 0; k < b->nb; k++) {
    size_t lo = k * n / b->nb, hi = (k + 1) * n / b->nb;
    double l = 0, rd = 0, lost = 0;
    for(size_t i = lo; i < hi; i++) {
      if(!isnan(r->load[i]))
        l = fmax(l, r->load[i]);
      rd = fmax(rd, served(r, r->ready[p][i]));
      lost += r->lost[p][i];
    }
    b->load[k] = l;
    b->ready[k] = rd;
    b->lost[k] = lost;
    *top = fmax(*top, fmax(l, b->ready[k]));
  }
}

static void polyline(FILE *fp, const double *v, size_t nb, double top,
                     const char *style) {
  fprintf(fp, "<polyline style=\"%s\" points=\"", style);
  for(size_t k = 0; k < nb; k++) {
    double x = (double)k * (CW - 1) / (double)(nb > 1 ? nb - 1 : 1);
    double y = CH - 4 - v[k] / top * (CH - 12);
    fprintf(fp, "%.1f,%.1f ", x, y);
  }
  fputs("\"/>\n", fp);
}

static void chart(FILE *fp, const struct ctl_plan_result *r, int p) {
  static struct buckets b;
  double top = 1e-9;
  int k8s = r->model.platform == ACT_KUBERNETES;
  bucketize(r, p, &b, &top);
  const struct act_sim_score *s = &r->score[p];
  fprintf(fp, "<h3><span class=\"sw\" style=\"background:%s\"></span>%s: "
          "%.1f instance-hours, %s %.3f%%</h3>\n", colors[p],
          ctl_plan_policy_names[p], s->instance_seconds / 3600,
          k8s ? "unserved" : "cold starts",
          100 * (k8s ? s->unserved_fraction : s->cold_start_fraction));
  fprintf(fp, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
          "aria-label=\"%s load and ready capacity\">\n", CW, CH,
          ctl_plan_policy_names[p]);
  double xs = (double)r->start / (double)r->n * (CW - 1);
  fprintf(fp, "<rect x=\"0\" y=\"0\" width=\"%.1f\" height=\"%d\" "
          "class=\"unscored\"/>\n", xs, CH);
  for(size_t k = 0; k < b.nb; k++) {
    if(b.lost[k] <= 0)
      continue;
    double x = (double)k * (CW - 1) / (double)(b.nb > 1 ? b.nb - 1 : 1);
    fprintf(fp, "<line class=\"lost\" x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" "
            "y2=\"8\"/>\n", x, x);
  }
  fprintf(fp, "<text x=\"4\" y=\"20\" class=\"pt\">%.4g</text>"
          "<text x=\"4\" y=\"%d\" class=\"pt\">0</text>\n", top, CH - 6);
  polyline(fp, b.load, b.nb, top, "fill:none;stroke:#4a78b5;stroke-width:1");
  char st[96];
  snprintf(st, sizeof(st), "fill:none;stroke:%s;stroke-width:1.3",
           colors[p]);
  polyline(fp, b.ready, b.nb, top, st);
  fputs("</svg>\n", fp);
}

static void scatter(FILE *fp, const struct ctl_plan_result *r) {
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

static void table(FILE *fp, const struct ctl_plan_result *r) {
  int k8s = r->model.platform == ACT_KUBERNETES;
  double orc = r->score[CTL_PLAN_ORACLE].instance_seconds;
  fprintf(fp, "<table><tr><th>policy</th><th>instance-hours</th>"
          "<th>vs oracle</th><th>%s</th><th>%s</th></tr>\n",
          k8s ? "unserved load" : "cold starts",
          k8s ? "unserved %" : "cold start %");
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    const struct act_sim_score *s = &r->score[p];
    fprintf(fp, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>"
            "%s</td><td>%.1f</td><td>%s%.2fx</td><td>%.0f</td>"
            "<td>%.3f%%</td></tr>\n", colors[p], ctl_plan_policy_names[p],
            s->instance_seconds / 3600, "",
            orc > 0 ? s->instance_seconds / orc : 0,
            k8s ? s->unserved : s->cold_starts,
            100 * (k8s ? s->unserved_fraction : s->cold_start_fraction));
  }
  fputs("</table>\n", fp);
}

static const char css[] =
  "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;"
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

static int write_html(const struct ctl_plan_result *r, const char *path) {
  FILE *fp = fopen(path, "w");
  int k8s = r->model.platform == ACT_KUBERNETES;
  if(!fp)
    return PW_EIO;
  fprintf(fp, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>prewarm plan</title><style>%s</style></head><body>\n", css);
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
  fprintf(fp, "Scored from step %zu (grey: not scored). Blue: load per "
          "step; coloured: ready capacity in load units; red ticks: %s. "
          "Long traces are drawn in buckets at their peaks.</p>\n",
          r->start, k8s ? "unserved load" : "cold starts");
  fputs("<h2>Summary</h2>\n", fp);
  table(fp, r);
  fputs("<h2>Cost against ", fp);
  fputs(k8s ? "unserved load" : "cold starts", fp);
  fputs("</h2>\n", fp);
  scatter(fp, r);
  fputs("<h2>Load and ready capacity</h2>\n", fp);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      chart(fp, r, p);
  }
  fputs("<p class=\"note\">Data: series.csv (per step), summary.csv.</p>\n"
        "</body></html>\n", fp);
  int bad = ferror(fp);
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
  return 0;
}
