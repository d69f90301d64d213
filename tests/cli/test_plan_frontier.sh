#!/bin/sh
# prewarm plan's reactive frontier and prewarm's curve (issue #13): the
# JSON keys and their consistency, each curve point a full replay, the
# equal-cost ratio against the independent scorer's
# (../shared/tools/score_plan.py --frontier; skipped, saying why, when it
# or numpy is absent), the SLO recommendation, the money arithmetic, the
# headline, and the report's chart.  Prints TAP-style lines.
set -u
. "$(dirname "$0")/tap.sh"
py() { /usr/bin/python3 -c "$@"; }

"$P" demo-trace --days 4 --step 300 --seed 3 --output "$T/trace.csv"
K8S="--step 300 --platform kubernetes --unit-capacity 400 --warmup 600"

"$P" plan --trace "$T/trace.csv" $K8S --format json --slo-unserved 0.002 \
  --price-instance-hour 0.1 --decisions "$T/dec.csv" --report "$T/rep" \
  >"$T/plan.json" 2>"$T/err"
check "plan with the frontier runs" [ $? -eq 0 ]
check "json: frontier keys, monotone frontier, consistent ratios" py '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("frontier", "prewarm_curve", "equal_cost_loss_ratio",
          "equal_loss_cost_ratio", "recommendation", "money"):
    assert k in d, k
f = d["frontier"]
assert len(f) >= 2
for a, b in zip(f, f[1:]):
    # the envelope: cost up, loss down; more utilisation, less cost
    assert a["instance_seconds"] < b["instance_seconds"], (a, b)
    assert a["unserved_fraction"] > b["unserved_fraction"], (a, b)
    assert a["utilization"] > b["utilization"], (a, b)
assert all(0.3 <= p["utilization"] <= 1.0 for p in f)
c = d["prewarm_curve"]
assert len(c) == 10 and all("quantile" in p and "headroom" in p for p in c)
assert [p["quantile"] for p in c][:7] == [0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.995]
pred = d["policies"]["predictive"]
chosen = [p for p in c if p["quantile"] == 0.95 and p["headroom"] == 0][0]
assert chosen["instance_seconds"] == pred["instance_seconds"]
r70 = [p for p in f if p["utilization"] == 0.7]
h = d["reactive_70"]
assert abs(h["instance_seconds"] - d["policies"]["reactive"]["instance_seconds"]) < 1e-6
r = d["equal_cost_loss_ratio"]
if r is not None:
    assert abs(r * d["frontier_loss_at_equal_cost"] - pred["unserved_fraction"]) < 1e-9
q = d["equal_loss_cost_ratio"]
if q is not None:
    assert abs(q * d["frontier_cost_at_equal_loss"] - pred["instance_seconds"]) < 1e-9 * pred["instance_seconds"]
' "$T/plan.json"

# Each curve point is a full replay: the same as planning at that setting.
"$P" plan --trace "$T/trace.csv" $K8S --format json --no-frontier \
  --quantile 0.7 >"$T/q7.json"
"$P" plan --trace "$T/trace.csv" $K8S --format json --no-frontier \
  --quantile 0.995 --headroom 0.25 >"$T/h25.json"
check "curve points equal plans at those settings" py '
import json, sys
d = json.load(open(sys.argv[1]))
for path, q, h in ((sys.argv[2], 0.7, 0), (sys.argv[3], 0.995, 0.25)):
    one = json.load(open(path))
    assert "frontier" not in one
    p = [p for p in d["prewarm_curve"] if p["quantile"] == q and p["headroom"] == h][0]
    pol = one["policies"]["predictive"]
    assert p["instance_seconds"] == pol["instance_seconds"], (p, pol)
    assert p["unserved_fraction"] == pol["unserved_fraction"], (p, pol)
' "$T/plan.json" "$T/q7.json" "$T/h25.json"

check "recommendation: cheapest that meets the SLO, on both curves" py '
import json, sys
d = json.load(open(sys.argv[1])); rec = d["recommendation"]
assert rec["slo_unserved"] == 0.002
ok = [p for p in d["prewarm_curve"] if p["unserved_fraction"] <= 0.002]
if ok:
    best = min(ok, key=lambda p: p["instance_seconds"])
    assert rec["prewarm"] == best, (rec, best)
    assert rec["prewarm"]["unserved_fraction"] <= 0.002
else:
    assert rec["prewarm"] is None
okf = [p for p in d["frontier"] if p["unserved_fraction"] <= 0.002]
assert rec["frontier"] == (min(okf, key=lambda p: p["instance_seconds"]) if okf else None)
' "$T/plan.json"

check "money: instance-hours times the price, per 30 days" py '
import json, sys
d = json.load(open(sys.argv[1])); m = d["money"]
scored = (d["steps"] - d["scored_from"]) * d["step_s"]
k = 30 * 86400 / scored
for pol in ("predictive", "reactive"):
    want = d["policies"][pol]["instance_seconds"] / 3600 * 0.1 * k
    assert abs(m[pol] - want) < 1e-6 * want, (pol, m[pol], want)
assert abs(m["saving_vs_reactive"] - (m["reactive"] - m["predictive"])) < 1e-6
if d["frontier_cost_at_equal_loss"] is not None:
    want = (d["frontier_cost_at_equal_loss"] -
            d["policies"]["predictive"]["instance_seconds"]) / 3600 * 0.1 * k
    assert abs(m["saving_vs_frontier_equal_loss"] - want) < 1e-6 * max(1, abs(want))
' "$T/plan.json"

"$P" plan --trace "$T/trace.csv" $K8S --slo-unserved 0.005 >"$T/plan.txt"
check "text: the headline and the lines to paste" sh -c "
  grep -q 'At the same pod-hours as an HPA, prewarm' '$T/plan.txt' &&
  grep -q '^    quantile: ' '$T/plan.txt' && grep -q '^    headroom: ' '$T/plan.txt'"
check "report: both curves and the headline" sh -c "
  grep -q '<path id=\"frontier\"' '$T/rep/index.html' &&
  grep -q '<path id=\"prewarm-curve\"' '$T/rep/index.html' &&
  grep -q 'id=\"headline\"' '$T/rep/index.html' &&
  grep -q 'HPA at 70%' '$T/rep/index.html'"

"$P" plan --trace "$T/trace.csv" $K8S --slo-cold-start 0.01 >"$T/out" 2>"$T/err"
check "--slo-cold-start refused on kubernetes" sh -c "[ $? -eq 2 ] &&
  grep -q 'slo-cold-start applies to --platform lambda' '$T/err'"
"$P" plan --trace "$T/trace.csv" $K8S --slo-unserved 2 >"$T/out" 2>"$T/err"
check "--slo-unserved out of range refused" sh -c "[ $? -eq 2 ] &&
  grep -q 'slo-unserved' '$T/err'"

# Lambda: the cold-start fraction, priced from the memory.
py '
print("time,load")
for i in range(600):
    print("%d,%d" % (i * 60, 30 + (25 if i % 30 < 5 else 0)))
' >"$T/timer.csv"
"$P" plan --trace "$T/timer.csv" --step 60 --platform lambda \
  --unit-capacity 1 --warmup 300 --duration-ms 2000 --period 30 \
  --memory-mb 2048 --slo-cold-start 0.01 --format json >"$T/l.json"
check "lambda: cold-start frontier, money from memory" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert all("cold_start_fraction" in p for p in d["frontier"] + d["prewarm_curve"])
assert d["money"]["memory_mb"] == 2048 and d["recommendation"]["slo_cold_start"] == 0.01
assert d["money"]["predictive"] > 0
' "$T/l.json"

# The independent scorer's frontier and equal-cost ratio must agree.
SCORER=../shared/tools/score_plan.py
if [ ! -f "$SCORER" ]; then
  echo "# skip: cross-check: $SCORER is absent"
elif ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "# skip: cross-check: python3-numpy is not installed"
else
  /usr/bin/python3 "$SCORER" --trace "$T/trace.csv" --decisions "$T/dec.csv" \
    --unit 400 --warmup-steps 2 --step-s 300 --period 288 --frontier \
    >"$T/score.json"
  check "frontier and equal-cost ratio match score_plan.py" py '
import json, sys
ours = json.load(open(sys.argv[1])); ref = json.load(open(sys.argv[2]))
a, b = ours["frontier"], ref["frontier"]
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert abs(x["utilization"] - y["utilization"]) < 1e-9, (x, y)
    for k in ("instance_seconds", "unserved_fraction"):
        assert abs(x[k] - y[k]) <= 1e-9 * max(1, abs(y[k])), (k, x, y)
r, s = ours["equal_cost_loss_ratio"], ref["equal_cost_ratio"]
assert (r is None) == (s is None), (r, s)
if r is not None:
    assert abs(r - s) <= 1e-6 * abs(s), (r, s)
' "$T/plan.json" "$T/score.json"
fi
