#!/bin/sh
# prewarm plan --platform hybrid: containers overflowing to a function, on
# hand-made traces whose figures are worked out below.  Base load 400 a
# step (one pod of 400), step 300 s, warm-up 600 s (2 steps), a function
# of 300 ms and 1024 MB with a keep-alive of 600 s (2 steps); period 12
# given, so scoring starts at step 24.
set -u
. "$(dirname "$0")/tap.sh"
py() { /usr/bin/python3 -c "$@"; }

awk 'BEGIN { print "t,load"; for(t = 0; t < 48; t++)
  printf "%d,%d\n", t, (t == 30 || t == 31) ? 4000 : 400 }' >"$T/burst.csv"
awk 'BEGIN { print "t,load"; for(t = 0; t < 48; t++)
  printf "%d,%d\n", t, (t >= 30) ? 4000 : 400 }' >"$T/plateau.csv"
HYB="--step 300 --platform hybrid --unit-capacity 400 --warmup 600
  --duration-ms 300 --keepalive 600 --period 12 --no-frontier"

"$P" plan --trace "$T/burst.csv" $HYB --format json >"$T/burst.json" \
  2>"$T/err"
check "burst: plan runs" [ $? -eq 0 ]
# The reactive policy asks ceil(1 / 0.7) = 2 pods before the burst and 15
# on its first step, which are ready 2 steps later, after it: both burst
# steps send 4000 - 2 x 400 = 3200 to the function.  3200 x 0.3 s / 300 s
# = 3.2, so 4 environments, cold on the first step and warm on the second.
check "burst: shorter than the warm-up, it goes to the function" py '
import json, sys
d = json.load(open(sys.argv[1])); h = d["hybrid"]; r = h["policies"]["reactive"]
assert d["platform"] == "kubernetes" and d["scored_from"] == 24, d["scored_from"]
assert r["invocations"] == 6400, r
assert r["cold_starts"] == 4, r
assert abs(r["function_gb_seconds"] - 6400 * 0.3) < 1e-9, r
assert abs(r["cold_start_fraction"] - 4 / (22 * 400 + 2 * 4000)) < 1e-12, r
# Every policy that cannot see it coming sends it to the function;
# perfect foresight serves it with pods.
p = h["policies"]["predictive"]
assert p["invocations"] >= 6400 - 2 * 800, p
assert h["policies"]["oracle"]["invocations"] == 0, h["policies"]["oracle"]
# Containers alone leave that load unserved.
assert d["policies"]["reactive"]["unserved"] == 6400, d["policies"]["reactive"]
' "$T/burst.json"
check "burst: the money at the documented prices" py '
import json, sys
h = json.load(open(sys.argv[1]))["hybrid"]
assert h["price_instance_hour"] == 0.048 and h["price_request"] == 2e-7, h
assert abs(h["price_on_demand_duration_gb_s"] - 0.0000166667) < 1e-15, h
for name, r in list(h["policies"].items()) + [("fn", h["functions_only"])]:
    want = (r["instance_seconds"] / 3600 * 0.048 +
            r["function_gb_seconds"] * 0.0000166667 + r["invocations"] * 2e-7)
    assert abs(r["cost_total"] - want) < 1e-9, (name, r, want)
    assert abs(r["cost_total_30d"] / (r["cost_total"] * h["scale_30d"]) - 1) < 1e-8
# Functions alone: all 16800 scored invocations; one environment (400 x
# 0.3 / 300 = 0.4) is warm, the burst needs 4: 3 cold starts.
f = h["functions_only"]
assert f["instance_seconds"] == 0 and f["invocations"] == 16800, f
assert f["cold_starts"] == 3, f
' "$T/burst.json"

"$P" plan --trace "$T/plateau.csv" $HYB --format json >"$T/plateau.json" \
  2>"$T/err"
# A plateau from step 30: the reactive policy has 2 pods ready for 3
# steps (the 15 it asks on step 31 are ready on step 33), so 3 x 3200 go
# to the function and the other 18 steps of 4000 to the pods.
check "plateau: it goes to the containers once they are warm" py '
import json, sys
d = json.load(open(sys.argv[1])); h = d["hybrid"]
r = h["policies"]["reactive"]; p = h["policies"]["predictive"]
load = 6 * 400 + 18 * 4000
assert r["invocations"] == 9600 and r["cold_starts"] == 4, r
assert p["invocations"] <= 9600 and p["invocations"] / load < 0.15, p
# Functions alone pay for all of it; the hybrid keeps most on pods.
assert h["functions_only"]["invocations"] == load, h["functions_only"]
' "$T/plateau.json"

# The quantile search: the cheapest in total, and the SLO is kept.
check "search: the chosen quantile is the cheapest of the curve" py '
import json, sys
h = json.load(open(sys.argv[1]))["hybrid"]
c = h["chosen"]; costs = [p["cost_total"] for p in h["curve"]]
assert len(h["curve"]) == 9 and h["slo_cold_start"] is None
assert c is not None and c["cost_total"] == min(costs), (c, costs)
' "$T/plateau.json"
"$P" plan --trace "$T/plateau.csv" $HYB --slo-cold-start 0.00001 \
  --format json >"$T/slo.json" 2>"$T/err"
check "search: no quantile meets an SLO below the warm-up's cold starts" py '
import json, sys
h = json.load(open(sys.argv[1]))["hybrid"]
assert h["slo_cold_start"] == 0.00001 and h["chosen"] is None, h["chosen"]
' "$T/slo.json"
"$P" plan --trace "$T/plateau.csv" $HYB --slo-cold-start 0.01 \
  >"$T/slo.txt" 2>"$T/err"
check "search: text names the chosen quantile within the SLO" grep -q \
  "^chosen    quantile .*within the cold-start SLO" "$T/slo.txt"
check "text: functions alone and containers alone" sh -c \
  "grep -q '^functions alone ' '$T/slo.txt' &&
   grep -q '^containers alone (predictive' '$T/slo.txt'"

# Bad options.
"$P" plan --trace "$T/burst.csv" --step 300 --platform hybrid \
  --unit-capacity 400 --warmup 600 >"$T/out" 2>"$T/err"
check "needs --duration-ms" sh -c "[ $? -eq 2 ] &&
  grep -q 'hybrid needs --duration-ms' '$T/err'"
"$P" plan --trace "$T/burst.csv" $HYB --slo-unserved 0.01 >"$T/out" \
  2>"$T/err"
check "refuses --slo-unserved" sh -c "[ $? -eq 2 ] &&
  grep -q 'use --slo-cold-start' '$T/err'"
"$P" plan --trace "$T/burst.csv" --step 300 --platform kubernetes \
  --unit-capacity 400 --warmup 600 --format json >"$T/k8s.json" 2>"$T/err"
check "kubernetes alone has no hybrid member" py '
import json, sys
assert "hybrid" not in json.load(open(sys.argv[1]))
' "$T/k8s.json"

# The report draws both tiers; hybrid.csv holds the per-step overflow.
"$P" plan --trace "$T/burst.csv" $HYB --report "$T/rep" >/dev/null 2>"$T/err"
check "report: a two-tier panel and the hybrid table" sh -c \
  "grep -q 'data-kind=\"hybrid-tiers\"' '$T/rep/index.html' &&
   grep -q 'class=\"tier-fn\"' '$T/rep/index.html' &&
   grep -q 'data-kind=\"hybrid\"' '$T/rep/index.html'"
check "report: hybrid.csv, the burst on the function" py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 48
f = [float(r["function_reactive"]) for r in rows]
c = [float(r["cold_reactive"]) for r in rows]
assert f[30] == f[31] == 3200 and sum(f) == 6400, f
assert c[30] == 4 and sum(c) == 4, c
' "$T/rep/hybrid.csv"

# The function tier is the Lambda model: the independent scorer, given
# each policy's overflow as a Lambda trace with nothing provisioned,
# finds the same cold starts.
SCORER=../shared/tools/score_plan.py
if [ ! -f "$SCORER" ]; then
  echo "# skip: cross-check: $SCORER is absent"
elif ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "# skip: cross-check: python3-numpy is not installed"
else
  "$P" demo-trace --days 3 --step 300 --seed 5 --output "$T/demo.csv"
  "$P" plan --trace "$T/demo.csv" --step 300 --platform hybrid \
    --unit-capacity 400 --warmup 900 --duration-ms 2000 --keepalive 900 \
    --no-frontier --format json --report "$T/drep" >"$T/demo.json" 2>"$T/err"
  start=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["scored_from"])' "$T/demo.json")
  good=1
  for pol in predictive reactive static seasonal_naive oracle; do
    /usr/bin/python3 "$SCORER" --trace "$T/drep/hybrid.csv" \
      --column "function_$pol" --unit 1 --warmup-steps 0 --step-s 300 \
      --period 288 --start "$start" --mode lambda --keepalive-steps 3 \
      --duration-ms 2000 >"$T/s_$pol.json" || good=0
    py '
import json, sys
ours = json.load(open(sys.argv[1]))["hybrid"]["policies"][sys.argv[3]]
ref = json.load(open(sys.argv[2]))["none"]
assert ours["cold_starts"] == ref["cold_starts"], (ours, ref)
' "$T/demo.json" "$T/s_$pol.json" "$pol" || good=0
  done
  check "overflow cold starts match score_plan.py's lambda model" [ $good -eq 1 ]
fi

# In the configuration: a Kubernetes actuator's overflow plans the same
# hybrid as --platform hybrid with the same settings.
cat >"$T/h.yaml" <<EOF2
targets:
- name: shop
  step: 300s
  source:
    csv: {file: $T/burst.csv, column: load}
  actuator:
    kubernetes:
      name: shop
      mode: replicas
      overflow: {lambda: {function: shop-spill, memory_mb: 2048, duration_ms: 300}}
  forecast: {period: 12}
  policy: {unit_capacity: 400, warmup: 600s, max: 100}
EOF2
"$P" plan --config "$T/h.yaml" --format json >"$T/hc.json" 2>"$T/err"
check "config: plan --config runs the hybrid" [ $? -eq 0 ]
"$P" plan --trace "$T/burst.csv" $HYB --max 100 --memory-mb 2048 \
  --format json >"$T/ht.json" 2>"$T/err"
check "config: the same figures as --platform hybrid" py '
import json, sys
a = json.load(open(sys.argv[1]))["targets"][0]["hybrid"]
b = json.load(open(sys.argv[2]))["hybrid"]
assert a["memory_mb"] == 2048 and a["duration_ms"] == 300, a
assert a["policies"]["reactive"]["invocations"] == 6400, a["policies"]
assert a == b, (a, b)
' "$T/hc.json" "$T/ht.json"
"$P" plan --config "$T/h.yaml" --report "$T/hrep" >"$T/hc.txt" 2>"$T/err"
check "config: text and report carry the hybrid" sh -c \
  "grep -q '^functions alone ' '$T/hc.txt' &&
   [ -s '$T/hrep/shop/hybrid.csv' ]"
