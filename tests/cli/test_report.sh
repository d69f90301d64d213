#!/bin/sh
# prewarm plan --report: the page as a browser shows it (issue #13, item
# 4).  The demo trace is planned and index.html loaded in headless
# Chromium; its DOM must have a time axis with dates and hours, a y axis
# in instances with round ticks and one scale for every panel, a legend,
# the three worst days by the predictive policy's loss, values on hover
# and the CSVs linked.  Again with a trace without timestamps ("day N").
# Prints TAP-style "ok"/"not ok" lines.
set -u
. "$(dirname "$0")/tap.sh"

"$P" demo-trace --days 14 --step 60 --output "$T/trace.csv"
cut -d, -f2 "$T/trace.csv" >"$T/bare.csv"
K8S="--step 60 --platform kubernetes --unit-capacity 1000 --warmup 120"
"$P" plan --trace "$T/trace.csv" $K8S --format json --report "$T/rep" \
  >"$T/plan.json" 2>"$T/err"
check "plan --report on the demo trace" [ $? -eq 0 ]
"$P" plan --trace "$T/bare.csv" $K8S --report "$T/bare" >/dev/null 2>&1
check "plan --report on a trace without timestamps" [ $? -eq 0 ]

check "the page is self-contained (nothing fetched)" /usr/bin/python3 -c '
import re, sys
page = open(sys.argv[1]).read()
assert not re.search(r"src=", page), "an external source"
links = re.findall(r"href=\"([^\"]*)\"", page)
assert sorted(links) == ["series.csv", "summary.csv"], links
urls = set(re.findall(r"https?://[^\"]*", page))
assert urls <= {"http://www.w3.org/2000/svg"}, urls
' "$T/rep/index.html"

cat >"$T/dom.py" <<'EOF'
# dom.py DOM SERIES_CSV PLAN_JSON|- MODE: checks the report's DOM.
import csv, json, math, re, sys
from html.parser import HTMLParser

dom, series, plan, mode = sys.argv[1:5]

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.svgs, self.h3, self.links = [], [], [], []
        self.legend, self.tip, self.body = None, None, {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "svg" and "chart" in a.get("class", ""):
            self.svgs.append({"kind": a.get("data-kind"), "text": [],
                              "a": a})
        if tag == "a":
            self.links.append(a.get("href"))
        if a.get("id") == "legend":
            self.legend = {"swatches": 0, "text": ""}
        if self.legend is not None and tag == "i":
            self.legend["swatches"] += 1
        if a.get("id") == "tip":
            self.tip = {"style": a.get("style", ""), "text": ""}
        self.stack.append((tag, a))
    def handle_endtag(self, tag):
        while self.stack:
            t, a = self.stack.pop()
            if a.get("id") == "legend":
                self.legend["done"] = True
            if t == tag:
                break
    def inside(self, key):
        return any(a.get("id") == key for _, a in self.stack)
    def handle_data(self, d):
        if not self.stack:
            return
        tag, a = self.stack[-1]
        if tag == "text" and self.svgs and self.inside_svg():
            self.svgs[-1]["text"].append((a.get("class", ""), d))
        if tag == "h3":
            self.h3.append(d)
        if self.legend is not None and not self.legend.get("done") \
           and self.inside("legend"):
            self.legend["text"] += d + " "
        if self.tip is not None and self.inside("tip"):
            self.tip["text"] += d + " "
    def inside_svg(self):
        return any(t == "svg" for t, _ in self.stack)

p = Page()
p.feed(open(dom).read())
fail = []
def need(cond, what):
    if not cond:
        fail.append(what)

ov = [s for s in p.svgs if s["kind"] == "overview"]
days = [s for s in p.svgs if s["kind"] == "day"]
policies = ["predictive", "reactive", "static", "seasonal_naive", "oracle"]
need(len(ov) == 5, "one overview panel per policy, got %d" % len(ov))
need(len(days) == 3, "three worst-day panels, got %d" % len(days))

# y axis: round ticks from 0, the same on every panel, in instances,
# reaching just above the peak of the load and of every ready capacity.
rows = list(csv.DictReader(open(series)))
peak = max(max(float(r["load"]) / 1000 for r in rows),
           max(float(r["ready_" + q]) for r in rows for q in policies))
scales = set()
for s in p.svgs:
    ticks = [float(t) for c, t in s["text"] if c == "yt"]
    scales.add(tuple(ticks))
    need(any(c == "ytitle" and "instances" in t for c, t in s["text"]),
         "a y title in instances")
need(len(scales) == 1, "one y scale on every panel: %s" % scales)
ticks = sorted(next(iter(scales)))
step = ticks[1] - ticks[0] if len(ticks) > 1 else 0
need(len(ticks) >= 4 and ticks[0] == 0, "y ticks from 0: %s" % ticks)
need(all(abs(b - a - step) < 1e-9 for a, b in zip(ticks, ticks[1:])),
     "evenly spaced y ticks: %s" % ticks)
m = step / 10 ** math.floor(math.log10(step)) if step > 0 else 0
need(any(abs(m - x) < 1e-9 for x in (1, 2, 2.5, 5)), "a round step %g" % step)
need(len(ticks) >= 2 and ticks[-1] >= peak and ticks[-2] < peak,
     "the top y tick just above the peak %g: %s" % (peak, ticks))

# x axis: dates on the whole trace, hours (and the date) on each day.
date = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d [A-Z][a-z][a-z]" \
    if mode == "abs" else r"day \d+"
for s in ov:
    xt = [t for c, t in s["text"] if c.startswith("xt")]
    need(len(xt) >= 5 and all(re.fullmatch(date, t) for t in xt),
         "overview: date ticks, got %s" % xt)
for s in days:
    xt = [t for c, t in s["text"] if c == "xt"]
    xd = [t for c, t in s["text"] if c == "xt xd"]
    need(len(xt) >= 6 and all(re.fullmatch(r"\d\d:\d\d", t) for t in xt),
         "day: hour ticks, got %s" % xt)
    need(len(xd) == 1 and re.fullmatch(date, xd[0]),
         "day: its date at midnight, got %s" % xd)

# the worst days: the three days with the most predictive loss.
start = json.load(open(plan))["scored_from"] if plan != "-" else 2880
loss = {}
for i, r in enumerate(rows):
    if i < start:
        continue
    key = r["time"][:10] if mode == "abs" else i * 60 // 86400 + 1
    loss[key] = loss.get(key, 0) + float(r["lost_predictive"])
want = sorted(loss, key=lambda k: -loss[k])[:3]
heads = [h for h in p.h3 if re.match(r"\d\. ", h)]
need(len(heads) == 3, "three worst-day headings: %s" % heads)
for h, k in zip(heads, want):
    n = int(re.search(r"left (\d+)", h).group(1))
    need(abs(n - loss[k]) <= 1, "heading %r: want %g for %s" % (h, loss[k], k))
    if mode != "abs":
        need(("day %d:" % k) in h, "heading %r names day %d" % (h, k))

# legend: a swatch and a name for the load, each policy and the loss.
lg = p.legend or {"swatches": 0, "text": ""}
need(lg["swatches"] >= 8, "legend swatches: %d" % lg["swatches"])
for w in policies + ["load", "unserved", "not scored"]:
    need(w in lg["text"], "legend names %s" % w)

# hover: the script ran, and "#at=0,0.5" shows the values at that point.
need(p.body.get("data-hover") == "ready", "the hover script ran")
tip = p.tip or {"style": "", "text": ""}
need("display: block" in tip["style"], "hover box shown: %r" % tip["style"])
need(re.search(r"load [0-9.]+ instances", tip["text"]) and
     re.search(r"predictive: ready \d+", tip["text"]),
     "hover values: %r" % tip["text"])
need(re.search(r"2026" if mode == "abs" else r"day \d+ \d\d:\d\d",
               tip["text"]), "hover time: %r" % tip["text"])

need("series.csv" in p.links and "summary.csv" in p.links, "CSV links")
if fail:
    print("\n".join(fail))
    sys.exit(1)
EOF

dom() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/chrome" --virtual-time-budget=8000 --dump-dom \
    "file://$1/index.html#at=0,0.5" >"$2" 2>/dev/null
}
if command -v chromium >/dev/null; then
  dom "$T/rep" "$T/dom.html"
  check "in Chromium: axes, one scale, legend, worst days, hover, links" \
    /usr/bin/python3 "$T/dom.py" "$T/dom.html" "$T/rep/series.csv" \
    "$T/plan.json" abs
  dom "$T/bare" "$T/bare.html"
  check "in Chromium, no timestamps: the same with day N hh:mm" \
    /usr/bin/python3 "$T/dom.py" "$T/bare.html" "$T/bare/series.csv" - rel
else
  skip_one "the report in headless Chromium" "chromium not installed"
  skip_one "the report in headless Chromium, no timestamps" \
    "chromium not installed"
fi
