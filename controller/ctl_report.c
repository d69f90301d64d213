#include "ctl_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
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
  fputs("<h2>Cost against ", fp);
  fputs(k8s ? "unserved load" : "cold starts", fp);
  fputs("</h2>\n", fp);
  scatter(fp, r);
  int rc = ctl_chart_write(fp, r);
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
  return 0;
}
