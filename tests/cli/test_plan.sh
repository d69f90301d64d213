#!/bin/sh
# prewarm plan: the output contract, causality through the CLI, the report,
# bad inputs, and a cross-check of every policy's figures against the
# independent scorer ../shared/tools/score_plan.py (skipped, saying why,
# when it or numpy is absent).  Prints TAP-style "ok"/"not ok" lines.
set -u
. "$(dirname "$0")/tap.sh"

expect_fail() {
  name=$1 pat=$2
  shift 2
  "$P" plan "$@" >"$T/out" 2>"$T/err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q -- "$pat" "$T/err" && [ ! -s "$T/out" ]; then
    ok "$name"
  else
    notok "$name" "exit $rc, want 2 and /$pat/" "stderr: $(cat "$T/err")"
  fi
}

"$P" demo-trace --days 4 --step 300 --seed 3 --output "$T/trace.csv"
K8S="--step 300 --platform kubernetes --unit-capacity 400 --warmup 600"

"$P" plan --trace "$T/trace.csv" $K8S --format json \
  --decisions "$T/dec.csv" --report "$T/rep" >"$T/plan.json" 2>"$T/err"
check "plan runs" [ $? -eq 0 ]
py() { /usr/bin/python3 -c "$@"; }
check "json: every policy with cost and unserved fraction" py '
import json, sys
d = json.load(open(sys.argv[1]))
for p in ("predictive", "reactive", "static", "seasonal_naive", "oracle"):
    v = d["policies"][p]
    assert v["instance_seconds"] > 0 and 0 <= v["unserved_fraction"] <= 1, p
assert "on_demand" not in d["policies"]
assert d["period"] == 288 and d["model"] != "none" and d["steps"] == 1152
' "$T/plan.json"
rows=$(($(wc -l <"$T/dec.csv") - 1))
check "decisions: one row per trace row" [ "$rows" -eq 1152 ]
check "decisions: header" [ "$(head -1 "$T/dec.csv")" = \
  "time,load,desired,ready,forecast,reasons" ]

# Causality: the first 800 rows alone give the same first 800 decisions.
head -801 "$T/trace.csv" >"$T/prefix.csv"
"$P" plan --trace "$T/prefix.csv" $K8S --decisions "$T/dec800.csv" >/dev/null
check "decisions use only rows up to their own" cmp -s "$T/dec800.csv" \
  "$(head -801 "$T/dec.csv" >"$T/dec_head.csv"; echo "$T/dec_head.csv")"
"$P" plan --trace "$T/trace.csv" $K8S --format json >"$T/plan2.json"
check "two runs, identical output" py '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a.pop("replay_ms"); b.pop("replay_ms"); assert a == b
' "$T/plan.json" "$T/plan2.json"

check "report: index.html with inline charts" grep -q '<svg class="chart"' \
  "$T/rep/index.html"
check "report: nothing fetched from the network" sh -c \
  "! grep -Eiq '(src|href)=\"?(https?:)?//' '$T/rep/index.html'"
check "report: series.csv has every step" [ "$(wc -l <"$T/rep/series.csv")" \
  -eq 1153 ]
check "report: summary.csv" grep -q '^predictive,' "$T/rep/summary.csv"

# Lambda: a function fired by a timer every 30 minutes, 2 s a run.
awk 'BEGIN { print "minute,invocations"; for(t = 0; t < 480; t++)
  printf "%d,%d\n", t, (t % 30 == 7) ? 40 : 0 }' >"$T/timer.csv"
LAM="--step 60 --platform lambda --unit-capacity 1 --warmup 300 --duration-ms 2000"
"$P" plan --trace "$T/timer.csv" $LAM --format json --decisions "$T/ldec.csv" \
  >"$T/lambda.json"
check "lambda: a timer is found and pre-warmed" py '
import json, sys
d = json.load(open(sys.argv[1])); p = d["policies"]
assert d["period"] == 30, d["period"]
assert p["on_demand"]["cold_start_fraction"] > 0
assert p["predictive"]["cold_starts"] < 0.25 * p["on_demand"]["cold_starts"], p
assert p["predictive"]["instance_seconds"] <= 2 * p["oracle"]["instance_seconds"], p
' "$T/lambda.json"

# The independent scorer must agree on every policy.
SCORER=../shared/tools/score_plan.py
if [ ! -f "$SCORER" ]; then
  echo "# skip: cross-check: $SCORER is absent"
elif ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "# skip: cross-check: python3-numpy is not installed"
else
  /usr/bin/python3 "$SCORER" --trace "$T/trace.csv" --decisions "$T/dec.csv" \
    --unit 400 --warmup-steps 2 --step-s 300 --period 288 >"$T/score.json"
  check "kubernetes figures match score_plan.py" py '
import json, sys
ours = json.load(open(sys.argv[1]))["policies"]; ref = json.load(open(sys.argv[2]))
names = {"predictive": "candidate", "reactive": "reactive", "static": "static",
         "seasonal_naive": "snaive", "oracle": "oracle"}
for p, r in names.items():
    for k in ("instance_seconds", "unserved_fraction"):
        a, b = ours[p][k], ref[r][k]
        assert abs(a - b) <= 1e-9 * max(1, abs(b)), (p, k, a, b)
' "$T/plan.json" "$T/score.json"
  /usr/bin/python3 "$SCORER" --trace "$T/timer.csv" --decisions "$T/ldec.csv" \
    --unit 1 --warmup-steps 5 --step-s 60 --period 30 --mode lambda \
    --keepalive-steps 10 --duration-ms 2000 >"$T/lscore.json"
  check "lambda figures match score_plan.py" py '
import json, sys
ours = json.load(open(sys.argv[1]))["policies"]; ref = json.load(open(sys.argv[2]))
names = {"predictive": "candidate", "reactive": "reactive", "static": "static",
         "seasonal_naive": "snaive", "oracle": "oracle", "on_demand": "none"}
for p, r in names.items():
    for k in ("instance_seconds", "cold_starts", "cold_start_fraction"):
        a, b = ours[p][k], ref[r][k]
        assert abs(a - b) <= 1e-9 * max(1, abs(b)), (p, k, a, b)
' "$T/lambda.json" "$T/lscore.json"
fi

# The surge guard: 100 a step, a jump to 400 at row 30, 100 again from
# row 32 on.  From the jump, for an hour of 60 s steps (a 3600 s hold),
# capacity serves 100 + 2 x 300 = 700 (7 instances of 100); then it ends.
/usr/bin/python3 -c '
print("time,load")
for i in range(120):
    print("%d,%d" % (i * 60, 400 if i in (30, 31) else 100))
' >"$T/surge.csv"
"$P" plan --trace "$T/surge.csv" --step 60 --platform kubernetes \
  --unit-capacity 100 --warmup 60 --stabilization 60 --surge-ratio 1.5 \
  --surge-factor 2 --decisions "$T/surge_dec.csv" >/dev/null 2>"$T/err"
check "surge guard: from the jump, an hour at the base plus 2x the rise" py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = [int(r["desired"]) for r in rows]
s = ["surge" in r["reasons"] for r in rows]
assert not any(s[:30]), s[:30]
assert all(x >= 7 for x in d[30:90]) and all(s[32:90]), (d[30:90], s[30:90])
assert not any(s[90:]) and max(d[92:]) < 7, (d[90:], s[90:])
' "$T/surge_dec.csv"
"$P" plan --trace "$T/surge.csv" --step 60 --platform kubernetes \
  --unit-capacity 100 --warmup 60 --stabilization 60 \
  --decisions "$T/nosurge_dec.csv" >/dev/null 2>"$T/err"
check "surge guard: off by default" sh -c "! grep -q surge '$T/nosurge_dec.csv'"

# Timestamps that disagree with --step, or leave gaps, are replayed as
# told and reported on stderr; the generated trace's are clean.
"$P" plan --trace "$T/trace.csv" $K8S >/dev/null 2>"$T/err"
check "timestamps: none of the warnings for a clean trace" sh -c "! grep -q warning '$T/err'"
"$P" plan --trace "$T/trace.csv" --step 60 --platform kubernetes \
  --unit-capacity 400 --warmup 600 >/dev/null 2>"$T/err"
check "timestamps: another step than --step is reported" \
  grep -q "warning: $T/trace.csv: the timestamps are 300 s apart, --step says 60 s" "$T/err"
sed '30d;31d' "$T/trace.csv" >"$T/gap.csv"
"$P" plan --trace "$T/gap.csv" $K8S >/dev/null 2>"$T/err"
check "timestamps: a gap is reported with its line" \
  grep -q "warning: $T/gap.csv:30: 1 gap, repeat or step back in the timestamps (the first 900 s after" "$T/err"

# Bad inputs: exit 2 and a clear message.
expect_fail "surge ratio of 1" "surge-ratio: '1' is not 0 (the default) or above 1" \
  --trace "$T/trace.csv" $K8S --surge-ratio 1
expect_fail "unknown flag" "unknown or incomplete option '--bogus'" \
  --trace "$T/trace.csv" $K8S --bogus
expect_fail "negative unit" "unit-capacity: '-5' is not a positive number" \
  --trace "$T/trace.csv" --step 300 --platform kubernetes --unit-capacity -5 \
  --warmup 60
expect_fail "negative warm-up" "warmup: '-1' is not a number from 0" \
  --trace "$T/trace.csv" --step 300 --platform kubernetes --unit-capacity 5 \
  --warmup -1
printf 'time,load\n' >"$T/empty.csv"
expect_fail "empty trace" "empty.csv: the trace has no rows" \
  --trace "$T/empty.csv" $K8S
printf 'time,load\nt0,5\nt1,-3\n' >"$T/neg.csv"
expect_fail "negative load" "neg.csv:3: load -3 is negative" \
  --trace "$T/neg.csv" $K8S
printf 'time,load\nt0,5\nt1,x\n' >"$T/bad.csv"
expect_fail "non-numeric load" "bad.csv:3: value 'x' is not a number" \
  --trace "$T/bad.csv" $K8S
expect_fail "missing platform" "platform kubernetes|lambda is required" \
  --trace "$T/trace.csv" --step 300 --unit-capacity 5 --warmup 60
expect_fail "unknown platform" "platform: 'ecs' is not kubernetes, lambda or hybrid" \
  --trace "$T/trace.csv" --step 300 --platform ecs --unit-capacity 5 \
  --warmup 60
expect_fail "duration on kubernetes" "duration-ms applies to --platform lambda" \
  --trace "$T/trace.csv" $K8S --duration-ms 100
expect_fail "min above max" "min (9) is above --max (3)" \
  --trace "$T/trace.csv" $K8S --min 9 --max 3
expect_fail "missing file" "nope.csv: cannot open" --trace "$T/nope.csv" $K8S

# A warm-up longer than the season (issue #12 item 13): seasonal naive
# looks back whole seasons and, before one has been seen, acts as the
# reactive policy does; it never reads past the trace.
printf 'time,load\n2024-01-01T00:00:00Z,100\n' >"$T/one.csv"
"$P" plan --trace "$T/one.csv" --step 60 --platform kubernetes \
  --unit-capacity 400 --warmup 600 --format json >"$T/one.json" 2>"$T/err"
check "one-row trace, warm-up past the period: plan runs" [ $? -eq 0 ]
check "one-row trace: seasonal naive acts as reactive" py '
import json, sys
p = json.load(open(sys.argv[1]))["policies"]
s, r = p["seasonal_naive"], p["reactive"]
assert s["instance_seconds"] > 0, s
assert s["instance_seconds"] == r["instance_seconds"], (s, r)
assert s["unserved_fraction"] == r["unserved_fraction"], (s, r)
' "$T/one.json"
"$P" plan --trace "$T/trace.csv" --step 300 --platform kubernetes \
  --unit-capacity 400 --warmup 3000 --period 5 --format json \
  >"$T/long.json" 2>"$T/err"
check "warm-up 10 steps, period 5: seasonal naive runs" py '
import json, sys
s = json.load(open(sys.argv[1]))["policies"]["seasonal_naive"]
assert s["instance_seconds"] > 0 and s["unserved_fraction"] < 0.5, s
' "$T/long.json"

# SLO feedback (issue #14): the replay moves its quantile toward an
# objective, reports its course, and the decisions carry the setting.
expect_fail "feedback needs an objective" "--feedback needs the objective" \
  --trace "$T/trace.csv" $K8S --feedback
"$P" plan --trace "$T/trace.csv" $K8S --slo-unserved 0.0001 --feedback \
  --slo-window 21600 --no-frontier --format json \
  --decisions "$T/fb.csv" >"$T/fb.json" 2>"$T/err"
check "feedback: plan runs" [ $? -eq 0 ]
check "feedback: the course is reported, within its bounds" py '
import json, sys
f = json.load(open(sys.argv[1]))["slo_feedback"]
assert f["objective"] == 0.0001 and f["kind"] == "unserved", f
assert f["window_steps"] == 72, f
assert f["moves_up"] + f["moves_down"] > 0, f
tr = f["trajectory"]
assert tr[0]["step"] == 0 and tr[0]["quantile"] == 0.95, tr[:2]
assert all(0.5 <= p["quantile"] <= 0.995 for p in tr), tr
assert all(0 <= p["headroom"] <= 0.5 for p in tr), tr
assert [p["step"] for p in tr] == sorted(p["step"] for p in tr), tr
' "$T/fb.json"
check "feedback: decisions carry the setting and the slo reason" py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert "quantile" in rows[0] and "headroom" in rows[0], rows[0].keys()
assert len({r["quantile"] for r in rows}) > 1
assert any("slo" in r["reasons"].split(",") for r in rows)
' "$T/fb.csv"
"$P" plan --trace "$T/trace.csv" $K8S --slo-unserved 0.0001 --feedback \
  --slo-window 21600 --no-frontier >"$T/fb.txt" 2>"$T/err"
check "feedback: the text shows the course" grep -q "^slo feedback: objective 0.01% unserved over 6 h windows" "$T/fb.txt"
expect_fail "feedback is not for a hybrid" "--feedback does not apply to --platform hybrid" \
  --trace "$T/trace.csv" --step 300 --platform hybrid --unit-capacity 400 \
  --warmup 600 --duration-ms 100 --slo-cold-start 0.01 --feedback

# Measured warm-up (issue #14): the replay times its rises; with a
# platform faster than --warmup says, the lead time shrinks to what was
# measured, never past the bound.
"$P" plan --trace "$T/trace.csv" --step 300 --platform kubernetes \
  --unit-capacity 400 --warmup 3000 --warmup-dist 300,300,600,300 \
  --no-frontier --format json >"$T/wd.json" 2>"$T/err"
check "warm-up varies: plan runs" [ $? -eq 0 ]
check "warm-up varies: measured on the rises, the lead follows it" py '
import json, sys
w = json.load(open(sys.argv[1]))["warmup_measured"]
assert w["platform_warmup_steps"] == [1, 1, 2, 1], w
assert w["samples"] >= 5 and 300 <= w["p90_s"] <= 600, w
assert 2 <= w["lead_steps"] <= 3, w
' "$T/wd.json"
"$P" plan --trace "$T/trace.csv" $K8S --no-frontier --format json \
  >"$T/wf.json" 2>"$T/err"
check "fixed warm-up: the lead is the configured one" py '
import json, sys
w = json.load(open(sys.argv[1]))["warmup_measured"]
assert w["lead_steps"] == 3 and "platform_warmup_steps" not in w, w
' "$T/wf.json"
expect_fail "warm-up list: a bad value" "--warmup-dist: 'x' is not a number" \
  --trace "$T/trace.csv" $K8S --warmup-dist 60,x
