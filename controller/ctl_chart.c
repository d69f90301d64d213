#include "ctl_chart.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../common/pw_alloc.h"
#include "../common/pw_time.h"

/* Panel geometry, in the SVG's viewBox units. */
#define W 1000.0
#define X0 96.0                 /* left edge of the plot */
#define PW (W - X0 - 12.0)      /* plot width */
#define OV_POINTS 1200          /* the overview: points per panel */
#define DAY_POINTS 2880         /* a worst day: at most this many points */
#define NDAYS 3

static const char *const pcolors[CTL_PLAN_NPOLICIES] = {
  "#1b7f3b", "#c05a00", "#6a5acd", "#8a6d00", "#555555", "#b03060"};
static const char *const wday[7] = {"Sun", "Mon", "Tue", "Wed", "Thu",
                                    "Fri", "Sat"};
static const char *const month[12] = {"Jan", "Feb", "Mar", "Apr", "May",
                                      "Jun", "Jul", "Aug", "Sep", "Oct",
                                      "Nov", "Dec"};

/* What every panel shares. */
struct ctx {
  const struct ctl_plan_result *r;
  double *t;          /* per step: s since the epoch (abs) or step 0 */
  int abs;            /* 1: t from the trace's timestamps */
  int k8s;
  double top, ystep;  /* the y axis, in instances, for every panel */
  double *pt;         /* scratch: one panel's point values */
  double *pt2;
  int nset;           /* hover data sets written so far */
};

/* One panel's x range: steps [lo, hi) drawn as nb points. */
struct view {
  size_t lo, hi, nb;
};

/* One panel's vertical layout. */
struct geo {
  double h, pt, pb;   /* height; plot top and bottom */
};

/* The load in instances: the unit capacity, and for Lambda Little's law
 * (concurrency = rate x duration), as act_sim.h counts what is needed. */
static double load_inst(const struct ctl_plan_result *r, double v) {
  if(r->model.platform == ACT_LAMBDA && r->model.duration_ms > 0)
    return v * r->model.duration_ms / 1000.0 / r->step_s / r->model.unit;
  return v / r->model.unit;
}

static void time_init(struct ctx *c) {
  const struct ctl_plan_result *r = c->r;
  c->abs = r->labels != NULL;
  for(size_t i = 0; c->abs && i < r->n; i++) {
    int64_t ms;
    if(pw_time_parse(r->labels[i], &ms) ||
       (i > 0 && (double)ms / 1000.0 <= c->t[i - 1]))
      c->abs = 0;
    else
      c->t[i] = (double)ms / 1000.0;
  }
  if(!c->abs) {
    for(size_t i = 0; i < r->n; i++)
      c->t[i] = (double)i * r->step_s;
  }
}

/* "Mon 05 Jan" (with " 2026" when year) or "day N". */
static void fmt_date(const struct ctx *c, double t, int year, char *buf,
                     size_t len) {
  if(!c->abs) {
    snprintf(buf, len, "day %.0f", floor(t / 86400) + 1);
    return;
  }
  time_t s = (time_t)floor(t);
  struct tm tm;
  gmtime_r(&s, &tm);
  snprintf(buf, len, "%s %02d %s", wday[tm.tm_wday], tm.tm_mday,
           month[tm.tm_mon]);
  if(year)
    snprintf(buf + strlen(buf), len - strlen(buf), " %d",
             tm.tm_year + 1900);
}

static void fmt_hm(double t, char *buf, size_t len) {
  double s = t - 86400 * floor(t / 86400);
  snprintf(buf, len, "%02d:%02d", (int)(s / 3600), (int)fmod(s, 3600) / 60);
}

static double x_of(const struct view *v, double step) {
  double span = v->hi - v->lo > 1 ? (double)(v->hi - v->lo - 1) : 1;
  return X0 + (step - (double)v->lo) / span * PW;
}

static double x_point(const struct view *v, size_t k) {
  return X0 + (double)k * PW / (double)(v->nb > 1 ? v->nb - 1 : 1);
}

static double y_of(const struct ctx *c, const struct geo *g, double v) {
  return g->pb - v / c->top * (g->pb - g->pt);
}

/* A round step giving about five ticks up to top. */
static double nice_step(double top) {
  double raw = top / 5, p = pow(10, floor(log10(raw))), m = raw / p;
  double s = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  return s * p;
}

static void y_axis(FILE *fp, const struct ctx *c, const struct geo *g) {
  for(double v = 0; v <= c->top * (1 + 1e-9); v += c->ystep) {
    double y = y_of(c, g, v);
    fprintf(fp, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
            "y2=\"%.1f\"/><text class=\"yt\" x=\"%.1f\" y=\"%.1f\">%.*f"
            "</text>\n", X0, X0 + PW, y, y, X0 - 6, y + 4,
            c->ystep < 1 ? 1 : 0, v);
  }
  double ym = (g->pt + g->pb) / 2;
  fprintf(fp, "<text class=\"ytitle\" x=\"14\" y=\"%.1f\" "
          "transform=\"rotate(-90 14 %.1f)\">%s</text>\n", ym, ym,
          c->k8s ? "instances (pods)" : "environments");
}

/* Tick intervals (s), each with its minor interval (0: none). */
static const double tick_major[] = {
  900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 345600,
  604800, 1209600, 2419200};
static const double tick_minor[] = {
  0, 0, 0, 0, 0, 0, 0, 21600, 43200, 86400, 86400, 604800, 604800};

/* Marks and labels where the view's time crosses a multiple of iv. */
static void x_ticks(FILE *fp, const struct ctx *c, const struct view *v,
                    const struct geo *g, double iv, int major) {
  char a[48], b[48];
  for(size_t i = v->lo; i < v->hi; i++) {
    double s = (double)i, tm = c->t[i];
    if(i == v->lo) {
      if(fmod(tm, iv) > 1e-6)
        continue;
    } else {
      double prev = c->t[i - 1], k = floor(tm / iv);
      if(k <= floor(prev / iv))
        continue;
      tm = k * iv;  /* the crossing itself, between two steps */
      s = (double)(i - 1) + (tm - prev) / (c->t[i] - prev);
    }
    double x = x_of(v, s);
    if(!major) {
      fprintf(fp, "<line class=\"grid minor\" x1=\"%.1f\" x2=\"%.1f\" "
              "y1=\"%.1f\" y2=\"%.1f\"/>\n", x, x, g->pt, g->pb);
      continue;
    }
    fprintf(fp, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
            "y2=\"%.1f\"/><line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" "
            "y1=\"%.1f\" y2=\"%.1f\"/>\n", x, x, g->pt, g->pb, x, x, g->pb,
            g->pb + 5);
    fmt_date(c, tm, 0, a, sizeof(a));
    fmt_hm(tm, b, sizeof(b));
    int midnight = fmod(tm, 86400) < 1e-6;
    if(iv >= 86400) {  /* whole days: the date alone */
      fprintf(fp, "<text class=\"xt\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
              x, g->pb + 17, a);
      continue;
    }
    fprintf(fp, "<text class=\"xt\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", x,
            g->pb + 17, b);
    if(midnight)
      fprintf(fp, "<text class=\"xt xd\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
              x, g->pb + 31, a);
  }
}

static void x_axis(FILE *fp, const struct ctx *c, const struct view *v,
                   const struct geo *g) {
  double span = c->t[v->hi - 1] - c->t[v->lo];
  size_t nt = sizeof(tick_major) / sizeof(tick_major[0]), j = 0;
  while(j + 1 < nt && tick_major[j] / fmax(span, 1) * PW < 80)
    j++;
  if(tick_minor[j] > 0)
    x_ticks(fp, c, v, g, tick_minor[j], 0);
  x_ticks(fp, c, v, g, tick_major[j], 1);
  fprintf(fp, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
          "y2=\"%.1f\"/><line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" "
          "y1=\"%.1f\" y2=\"%.1f\"/>\n", X0, X0 + PW, g->pb, g->pb, X0, X0,
          g->pt, g->pb);
}

/* Bucket bounds: point k of v covers steps [*a, *b). */
static void bucket(const struct view *v, size_t k, size_t *a, size_t *b) {
  size_t n = v->hi - v->lo;
  *a = v->lo + k * n / v->nb;
  *b = v->lo + (k + 1) * n / v->nb;
}

/* The load (p < 0) or policy p's ready capacity, in instances, at each
 * point: the peak of its bucket (NAN where no load is known). */
static void peaks(const struct ctx *c, const struct view *v, int p,
                  double *out) {
  for(size_t k = 0; k < v->nb; k++) {
    size_t a, b;
    double m = (double)NAN;
    bucket(v, k, &a, &b);
    for(size_t i = a; i < b; i++) {
      double x = p < 0 ? load_inst(c->r, c->r->load[i]) : c->r->ready[p][i];
      if(!isnan(x))
        m = isnan(m) ? x : fmax(m, x);
    }
    out[k] = m;
  }
}

/* Policy p's loss (unserved load or cold starts) summed over each
 * bucket. */
static void losses(const struct ctx *c, const struct view *v, int p,
                   double *out) {
  for(size_t k = 0; k < v->nb; k++) {
    size_t a, b;
    bucket(v, k, &a, &b);
    out[k] = 0;
    for(size_t i = a; i < b; i++)
      out[k] += c->r->lost[p][i];
  }
}

/* A line through the points (an area down to 0 when area), broken where
 * a value is NAN. */
static void series(FILE *fp, const struct ctx *c, const struct view *v,
                   const struct geo *g, const double *val, int area,
                   const char *attrs) {
  fprintf(fp, "<path %s d=\"", attrs);
  size_t k = 0;
  while(k < v->nb) {
    while(k < v->nb && isnan(val[k]))
      k++;
    if(k == v->nb)
      break;
    size_t first = k;
    if(area)
      fprintf(fp, "M%.1f %.1f", x_point(v, k), g->pb);
    for(; k < v->nb && !isnan(val[k]); k++)
      fprintf(fp, "%s%.1f %.1f", k == first && !area ? "M" : "L",
              x_point(v, k), y_of(c, g, val[k]));
    if(area)
      fprintf(fp, "L%.1f %.1fZ", x_point(v, k - 1), g->pb);
  }
  fputs("\"/>\n", fp);
}

/* Red marks at [y, y + h) where the loss is above 0, runs merged. */
static void loss_row(FILE *fp, const struct view *v, const double *lost,
                     double y, double h) {
  double half = PW / (double)(v->nb > 1 ? v->nb - 1 : 1) / 2;
  for(size_t k = 0; k < v->nb; k++) {
    if(lost[k] <= 0)
      continue;
    size_t e = k;
    while(e + 1 < v->nb && lost[e + 1] > 0)
      e++;
    double x1 = x_point(v, k) - half, x2 = x_point(v, e) + half;
    if(x2 - x1 < 1.5)
      x2 = x1 + 1.5;
    fprintf(fp, "<rect class=\"lost\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"/>\n", x1, y, x2 - x1, h);
    k = e;
  }
}

/* The grey band over steps before scoring starts. */
static void unscored(FILE *fp, const struct ctx *c, const struct view *v,
                     const struct geo *g) {
  if(c->r->start <= v->lo)
    return;
  double x2 = c->r->start >= v->hi ? X0 + PW
                                   : x_of(v, (double)c->r->start);
  fprintf(fp, "<rect class=\"unscored\" x=\"%.1f\" y=\"%.1f\" "
          "width=\"%.1f\" height=\"%.1f\"/>\n", X0, g->pt, x2 - X0,
          g->pb - g->pt);
}

/* The hover data of one view: per point its time (s after the first
 * step's), the load, and every policy's ready capacity and loss. */
static void data_set(FILE *fp, struct ctx *c, const struct view *v) {
  const struct ctl_plan_result *r = c->r;
  fprintf(fp, "<script>PW.sets.push({w:%zu,t:[", (v->hi - v->lo) / v->nb);
  for(size_t k = 0; k < v->nb; k++) {
    size_t a, b;
    bucket(v, k, &a, &b);
    fprintf(fp, "%s%.10g", k ? "," : "", c->t[a] - c->t[0]);
  }
  fputs("],l:[", fp);
  peaks(c, v, -1, c->pt);
  for(size_t k = 0; k < v->nb; k++) {
    if(isnan(c->pt[k]))
      fprintf(fp, "%snull", k ? "," : "");
    else
      fprintf(fp, "%s%.4g", k ? "," : "", c->pt[k]);
  }
  fputs("],r:{", fp);
  for(int p = 0, f = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    peaks(c, v, p, c->pt);
    losses(c, v, p, c->pt2);
    fprintf(fp, "%s%d:[", f++ ? "," : "", p);
    for(size_t k = 0; k < v->nb; k++)
      fprintf(fp, "%s%.0f,%.6g", k ? "," : "", c->pt[k], c->pt2[k]);
    fputc(']', fp);
  }
  fputs("}});</script>\n", fp);
  c->nset++;
}

static void svg_open(FILE *fp, const struct ctx *c, const struct geo *g,
                     const char *kind, const char *policies,
                     const char *label) {
  fprintf(fp, "<svg class=\"chart\" data-kind=\"%s\" viewBox=\"0 0 %.0f "
          "%.0f\" role=\"img\" aria-label=\"%s\" data-set=\"%d\" "
          "data-p=\"%s\" data-x0=\"%.1f\" data-pw=\"%.1f\"><title>%s</title>\n",
          kind, W, g->h, label, c->nset, policies, X0, PW, label);
}

static void svg_close(FILE *fp, const struct geo *g) {
  fprintf(fp, "<line class=\"cur\" x1=\"-9\" x2=\"-9\" y1=\"%.1f\" "
          "y2=\"%.1f\"/></svg>\n", g->pt, g->pb);
}

/* The whole trace for policy p, with its loss marked above the plot. */
static void panel_overview(FILE *fp, struct ctx *c, const struct view *v,
                           int p) {
  const struct ctl_plan_result *r = c->r;
  const struct act_sim_score *s = &r->score[p];
  struct geo g = {.h = 170, .pt = 18, .pb = 134};
  char pol[16], label[96];
  fprintf(fp, "<h3><span class=\"ln\" style=\"background:%s\"></span>%s: "
          "%.1f instance-hours, %s %.3f%%</h3>\n", pcolors[p],
          ctl_plan_policy_names[p], s->instance_seconds / 3600,
          c->k8s ? "unserved" : "cold starts",
          100 * (c->k8s ? s->unserved_fraction : s->cold_start_fraction));
  snprintf(pol, sizeof(pol), "%d", p);
  snprintf(label, sizeof(label), "%s: load and ready capacity, whole trace",
           ctl_plan_policy_names[p]);
  svg_open(fp, c, &g, "overview", pol, label);
  unscored(fp, c, v, &g);
  y_axis(fp, c, &g);
  x_axis(fp, c, v, &g);
  peaks(c, v, -1, c->pt);
  series(fp, c, v, &g, c->pt, 1, "class=\"load\"");
  losses(c, v, p, c->pt2);
  fprintf(fp, "<text class=\"rowl\" x=\"%.1f\" y=\"12\">%s</text>\n",
          X0 - 6, c->k8s ? "unserved" : "cold starts");
  loss_row(fp, v, c->pt2, 5, 8);
  peaks(c, v, p, c->pt);
  char st[64];
  snprintf(st, sizeof(st), "class=\"ready\" style=\"stroke:%s\"",
           pcolors[p]);
  series(fp, c, v, &g, c->pt, 0, st);
  svg_close(fp, &g);
}

/* A calendar day of the scored steps, and what it cost. */
struct day {
  size_t lo, hi;
  double lost, load, peak;
};

/* The scored steps cut into days (UTC midnights, or multiples of 24 h
 * from step 0); *nd days into d (room for r->n).  */
static size_t days_cut(const struct ctx *c, struct day *d) {
  const struct ctl_plan_result *r = c->r;
  size_t nd = 0;
  for(size_t i = r->start; i < r->n; i++) {
    if(i == r->start ||
       floor(c->t[i] / 86400) > floor(c->t[i - 1] / 86400)) {
      d[nd++] = (struct day){.lo = i};
    }
    struct day *x = &d[nd - 1];
    x->hi = i + 1;
    x->lost += r->lost[CTL_PLAN_PREDICTIVE][i];
    if(!isnan(r->load[i])) {
      x->load += r->load[i];
      x->peak = fmax(x->peak, r->load[i]);
    }
  }
  return nd;
}

/* The (at most) NDAYS days with the most predictive loss, the busiest
 * first among equals, moved to the front of d in that order. */
static size_t days_worst(struct day *d, size_t nd) {
  size_t m = nd < NDAYS ? nd : NDAYS;
  for(size_t j = 0; j < m; j++) {
    size_t best = j;
    for(size_t i = j + 1; i < nd; i++) {
      if(d[i].lost > d[best].lost ||
         (d[i].lost >= d[best].lost && d[i].peak > d[best].peak))
        best = i;
    }
    struct day tmp = d[j];
    d[j] = d[best];
    d[best] = tmp;
  }
  return m;
}

/* One worst day: every policy's ready capacity over the load, each
 * policy's loss in its own row above the plot. */
static void panel_day(FILE *fp, struct ctx *c, const struct day *d, int n) {
  const struct ctl_plan_result *r = c->r;
  int np = 0;
  char pol[80] = "", date[48], label[96];
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      snprintf(pol + strlen(pol), sizeof(pol) - strlen(pol), "%s%d",
               np++ ? "," : "", p);
  }
  struct geo g = {.h = 300, .pt = 10 + 11.0 * np};
  g.pb = g.h - 40;
  struct view v = {.lo = d->lo, .hi = d->hi};
  v.nb = v.hi - v.lo < DAY_POINTS ? v.hi - v.lo : DAY_POINTS;
  fmt_date(c, c->t[d->lo], 1, date, sizeof(date));
  fprintf(fp, "<h3 class=\"dayh\">%d. %s%s: predictive left %.0f %s",
          n, date, c->abs ? " (UTC)" : "", d->lost,
          c->k8s ? "unserved" : "cold starts");
  if(c->k8s && d->load > 0)
    fprintf(fp, " (%.3f%% of the day's load)", 100 * d->lost / d->load);
  fputs("</h3>\n", fp);
  snprintf(label, sizeof(label), "%s: load and every policy's ready "
           "capacity", date);
  svg_open(fp, c, &g, "day", pol, label);
  y_axis(fp, c, &g);
  x_axis(fp, c, &v, &g);
  peaks(c, &v, -1, c->pt);
  series(fp, c, &v, &g, c->pt, 1, "class=\"load\"");
  int row = 0;
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(!r->have[p])
      continue;
    double y = 4 + 11.0 * row++;
    fprintf(fp, "<text class=\"rowl\" x=\"%.1f\" y=\"%.1f\" "
            "style=\"fill:%s\">%s</text>\n", X0 - 6, y + 7, pcolors[p],
            ctl_plan_policy_names[p]);
    losses(c, &v, p, c->pt2);
    loss_row(fp, &v, c->pt2, y, 7);
    peaks(c, &v, p, c->pt);
    char st[64];
    snprintf(st, sizeof(st), "class=\"ready\" style=\"stroke:%s\"",
             pcolors[p]);
    series(fp, c, &v, &g, c->pt, 0, st);
  }
  svg_close(fp, &g);
  data_set(fp, c, &v);
}

static void legend(FILE *fp, const struct ctx *c) {
  const struct ctl_plan_result *r = c->r;
  fputs("<div class=\"legend\" id=\"legend\">", fp);
  fprintf(fp, "<span><i class=\"area\"></i>load, as the instances it "
          "needs (%s)</span>", c->k8s || r->model.duration_ms <= 0
          ? "load &divide; unit capacity"
          : "invocations &times; duration &divide; unit capacity");
  fputs("<span>ready capacity of:</span>", fp);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      fprintf(fp, "<span><i class=\"ln\" style=\"background:%s\"></i>%s"
              "</span>", pcolors[p], ctl_plan_policy_names[p]);
  }
  fprintf(fp, "<span><i class=\"lostk\"></i>%s in that interval</span>"
          "<span><i class=\"grey\"></i>not scored (the model's warm-up)"
          "</span></div>\n", c->k8s ? "unserved load" : "cold starts");
}

/* Hover: the values under the pointer in a box, a cursor line in the
 * panel.  "#at=N,F" in the address shows it for panel N at fraction F of
 * its width (for tests and screenshots). */
static const char script[] =
  "<div id=\"tip\"></div><script>(function(){"
  "var tip=document.getElementById('tip');"
  "function two(n){return(n<10?'0':'')+n;}"
  "function ft(s){s+=PW.t0;var h,m;if(PW.abs){var d=new Date(s*1000);"
  "return PW.wd[d.getUTCDay()]+' '+two(d.getUTCDate())+' '+"
  "PW.mo[d.getUTCMonth()]+' '+d.getUTCFullYear()+' '+"
  "two(d.getUTCHours())+':'+two(d.getUTCMinutes());}"
  "var day=Math.floor(s/86400);s-=day*86400;"
  "return 'day '+(day+1)+' '+two(Math.floor(s/3600))+':'+"
  "two(Math.floor(s%3600/60));}"
  "function fv(v){return v==null?'no data':v>=100?v.toFixed(0):"
  "v.toFixed(1);}"
  "function at(svg,x,px,py){var s=PW.sets[+svg.dataset.set],"
  "x0=+svg.dataset.x0,pw=+svg.dataset.pw,n=s.t.length,"
  "k=Math.round((x-x0)/pw*(n-1));var cur=svg.querySelector('.cur');"
  "if(k<0||k>=n){hide(svg);return;}var cx=x0+k*pw/(n>1?n-1:1);"
  "cur.setAttribute('x1',cx);cur.setAttribute('x2',cx);"
  "var h='<b>'+ft(s.t[k])+'</b>'+(s.w>1?' <small>(peak of '+"
  "s.w*PW.step/60+' min)</small>':'')+"
  "'<br><i class=\"area\"></i>load '+fv(s.l[k])+' instances';"
  "svg.dataset.p.split(',').forEach(function(p){var v=s.r[p];"
  "h+='<br><i class=\"ln\" style=\"background:'+PW.col[p]+'\"></i>'+"
  "PW.names[p]+': ready '+v[2*k]+(v[2*k+1]>0?', <span class=\"bad\">'+"
  "PW.loss+' '+Math.round(v[2*k+1])+'</span>':'');});"
  "tip.innerHTML=h;tip.style.display='block';"
  "tip.style.left=Math.min(px+14,window.scrollX+"
  "document.documentElement.clientWidth-tip.offsetWidth-8)+'px';"
  "tip.style.top=(py+14)+'px';}"
  "function hide(svg){tip.style.display='none';"
  "var cur=svg.querySelector('.cur');cur.setAttribute('x1',-9);"
  "cur.setAttribute('x2',-9);}"
  "var all=document.querySelectorAll('svg[data-set]');"
  "all.forEach(function(svg){svg.addEventListener('mousemove',"
  "function(e){var b=svg.getBoundingClientRect();"
  "at(svg,(e.clientX-b.left)*svg.viewBox.baseVal.width/b.width,"
  "e.pageX,e.pageY);});"
  "svg.addEventListener('mouseleave',function(){hide(svg);});});"
  "var m=/^#at=(\\d+),([0-9.]+)$/.exec(location.hash);"
  "if(m&&all[+m[1]]){var svg=all[+m[1]],b=svg.getBoundingClientRect(),"
  "f=+m[2],x=+svg.dataset.x0+f*+svg.dataset.pw,"
  "sc=b.width/svg.viewBox.baseVal.width;"
  "at(svg,x,b.left+window.scrollX+x*sc,b.top+window.scrollY+b.height/2);}"
  "document.body.dataset.hover='ready';})();</script>\n";

const char ctl_chart_css[] =
  ".chart{width:100%;height:auto;display:block;background:#fff;"
  "border:1px solid #ddd;margin-bottom:6px}"
  ".chart .grid{stroke:#e6e6e6;stroke-width:1}.chart .minor{stroke:#f3f3f3}"
  ".chart .axis{stroke:#888;stroke-width:1}"
  ".chart .yt{font-size:12px;fill:#444;text-anchor:end}"
  ".chart .xt{font-size:12px;fill:#444;text-anchor:middle}"
  ".chart .xd{font-weight:600;fill:#222}"
  ".chart .ytitle{font-size:12px;fill:#444;text-anchor:middle}"
  ".chart .rowl{font-size:10px;fill:#b00;text-anchor:end}"
  ".chart .load{fill:#4a78b5;fill-opacity:.28;stroke:#4a78b5;"
  "stroke-width:.8}"
  ".chart .ready{fill:none;stroke-width:1.4}"
  ".chart .lost{fill:#d11}.chart .unscored{fill:#000;fill-opacity:.06}"
  ".chart .cur{stroke:#000;stroke-width:1;stroke-dasharray:3 2}"
  ".legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:10px 0;"
  "padding:8px 10px;border:1px solid #ddd;background:#fafafa}"
  ".legend span{white-space:nowrap}"
  "i.area,i.ln,i.lostk,i.grey{display:inline-block;vertical-align:middle;"
  "margin-right:6px}"
  "i.area{width:16px;height:11px;background:rgba(74,120,181,.28);"
  "border-top:1px solid #4a78b5}"
  "i.ln,span.ln{display:inline-block;width:18px;height:3px;"
  "vertical-align:middle;margin-right:6px}"
  "i.lostk{width:5px;height:11px;background:#d11}"
  "i.grey{width:16px;height:11px;background:#eee;border:1px solid #ddd}"
  "#tip{position:absolute;display:none;pointer-events:none;"
  "background:#fff;border:1px solid #999;padding:6px 8px;font-size:12px;"
  "line-height:1.5;box-shadow:0 2px 6px rgba(0,0,0,.15);z-index:9}"
  "#tip .bad{color:#c00}";

static void globals(FILE *fp, const struct ctx *c) {
  const struct ctl_plan_result *r = c->r;
  fprintf(fp, "<script>var PW={abs:%d,t0:%.10g,step:%.10g,loss:\"%s\","
          "wd:[", c->abs, c->t[0], r->step_s,
          c->k8s ? "unserved" : "cold starts");
  for(int i = 0; i < 7; i++)
    fprintf(fp, "%s\"%s\"", i ? "," : "", wday[i]);
  fputs("],mo:[", fp);
  for(int i = 0; i < 12; i++)
    fprintf(fp, "%s\"%s\"", i ? "," : "", month[i]);
  fputs("],names:{", fp);
  for(int p = 0, f = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      fprintf(fp, "%s%d:\"%s\"", f++ ? "," : "", p,
              ctl_plan_policy_names[p]);
  }
  fputs("},col:{", fp);
  for(int p = 0, f = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      fprintf(fp, "%s%d:\"%s\"", f++ ? "," : "", p, pcolors[p]);
  }
  fputs("},sets:[]};</script>\n", fp);
}

/* The y scale every panel shares: the peak of the load and of every
 * policy's ready capacity, rounded up to a tick. */
static void y_scale(struct ctx *c) {
  const struct ctl_plan_result *r = c->r;
  double top = 1;
  for(size_t i = 0; i < r->n; i++) {
    if(!isnan(r->load[i]))
      top = fmax(top, load_inst(r, r->load[i]));
    for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
      if(r->have[p])
        top = fmax(top, r->ready[p][i]);
    }
  }
  c->ystep = nice_step(top);
  c->top = ceil(top / c->ystep - 1e-9) * c->ystep;
}

static void overview(FILE *fp, struct ctx *c) {
  const struct ctl_plan_result *r = c->r;
  struct view v = {.lo = 0, .hi = r->n};
  v.nb = r->n < OV_POINTS ? r->n : OV_POINTS;
  fputs("<h2 id=\"overview\">Load and ready capacity: the whole trace</h2>\n"
        "<p class=\"note\">One panel per policy, all on the same scale. ",
        fp);
  if(v.nb < r->n)
    fprintf(fp, "Each point is the peak of %.0f minutes; ",
            (double)(r->n / v.nb) * r->step_s / 60);
  fputs("hover for values.</p>\n", fp);
  legend(fp, c);
  for(int p = 0; p < CTL_PLAN_NPOLICIES; p++) {
    if(r->have[p])
      panel_overview(fp, c, &v, p);
  }
  data_set(fp, c, &v);  /* every overview panel reads this one set */
}

static int worst_days(FILE *fp, struct ctx *c) {
  const struct ctl_plan_result *r = c->r;
  if(r->start >= r->n)
    return 0;
  struct day *d = pw_malloc((r->n - r->start) * sizeof(*d));
  if(!d)
    return PW_ENOMEM;
  size_t nd = days_cut(c, d), m = days_worst(d, nd);
  fprintf(fp, "<h2 id=\"worst\">The %zu worst day%s</h2>\n<p class=\"note\">"
          "The days on which the predictive policy left the most %s, "
          "every step drawn, every policy over the same load%s.</p>\n", m,
          m == 1 ? "" : "s", c->k8s ? "load unserved" : "cold starts",
          nd > 0 && d[0].lost <= 0 ? " (it left none: the busiest days)"
                                   : "");
  for(size_t j = 0; j < m; j++)
    panel_day(fp, c, &d[j], (int)j + 1);
  pw_free(d);
  return 0;
}

int ctl_chart_write(FILE *fp, const struct ctl_plan_result *r) {
  struct ctx c = {.r = r, .k8s = r->model.platform == ACT_KUBERNETES};
  int rc = PW_ENOMEM;
  if(r->n == 0)
    return 0;
  c.t = pw_malloc(r->n * sizeof(double));
  c.pt = pw_malloc(DAY_POINTS * sizeof(double));
  c.pt2 = pw_malloc(DAY_POINTS * sizeof(double));
  if(!c.t || !c.pt || !c.pt2)
    goto out;
  time_init(&c);
  y_scale(&c);
  globals(fp, &c);
  overview(fp, &c);
  rc = worst_days(fp, &c);
  fputs(script, fp);
out:
  pw_free(c.pt2);
  pw_free(c.pt);
  pw_free(c.t);
  return rc;
}
