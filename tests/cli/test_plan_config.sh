#!/bin/sh
# prewarm plan --config: a csv target (Kubernetes) and a Lambda one give
# the figures prewarm plan --trace gives on the same file with the same
# settings as flags; --history, --target, --report per target; and the
# errors: an unknown target (listing the known ones), a remote_write
# target without a store, a source that cannot be reached (reported, the
# others still planned, exit 1), --trace's flags given with --config.
set -u
. "$(dirname "$0")/tap.sh"
py() { /usr/bin/python3 -c "$@"; }

"$P" demo-trace --days 4 --step 60 --seed 5 --output "$T/t.csv"
cat >"$T/c.yaml" <<EOF
targets:
- name: web
  step: 60s
  source:
    csv: {file: $T/t.csv}
  actuator:
    dryrun: {}
  forecast: {model: auto}
  policy:
    unit_capacity: 1000
    warmup: 120s
    headroom: 0.1
    stabilization: 600s
    min: 1
    max: 90
- name: fn
  step: 60s
  source:
    csv: {file: $T/t.csv, column: requests}
  actuator:
    dryrun: {platform: lambda}
  policy:
    unit_capacity: 1
    duration_ms: 250
    warmup: 60s
    max: 1000
- name: pushed
  step: 60s
  source:
    remote_write: {metric: http_requests_total}
  actuator:
    dryrun: {}
  policy: {unit_capacity: 1000, warmup: 120s, max: 100}
- name: down
  step: 60s
  source:
    prometheus: {url: "http://127.0.0.1:1", query: "sum(x)"}
  actuator:
    dryrun: {}
  policy: {unit_capacity: 1000, warmup: 120s, max: 100}
EOF

# same A.json B.json: every policy's figures, the steps, the period and
# the model agree (A from --config's entry for the target, B from --trace).
same() {
  py '
import json, sys
a = [t for t in json.load(open(sys.argv[1]))["targets"]
     if t["name"] == sys.argv[3]][0]
b = json.load(open(sys.argv[2]))
keys = ("steps", "step_s", "platform", "unit_capacity", "warmup_steps",
        "period", "period2", "model", "refits", "fallback_steps",
        "scored_from")
for k in keys:
    assert a[k] == b[k], (k, a[k], b[k])
assert a["policies"] == b["policies"], (a["policies"], b["policies"])
' "$@"
}

"$P" plan --config "$T/c.yaml" --target web --target fn --format json \
  >"$T/cfg.json" 2>"$T/err"
check "two csv targets planned, exit 0" [ $? -eq 0 ]
"$P" plan --trace "$T/t.csv" --step 60 --platform kubernetes \
  --unit-capacity 1000 --warmup 120 --headroom 0.1 --stabilization 600 \
  --min 1 --max 90 --format json >"$T/web.json"
check "kubernetes csv target: the figures of plan --trace" \
  same "$T/cfg.json" "$T/web.json" web
"$P" plan --trace "$T/t.csv" --step 60 --platform lambda --unit-capacity 1 \
  --duration-ms 250 --warmup 60 --max 1000 --format json >"$T/fn.json"
check "lambda csv target: the figures of plan --trace (cold starts)" \
  same "$T/cfg.json" "$T/fn.json" fn
check "json: one entry per target, in the file's order, with the span" py '
import json, sys
d = json.load(open(sys.argv[1]))["targets"]
assert [t["name"] for t in d] == ["web", "fn"], d
for t in d:
    assert t["source"] == "csv" and t["missing_steps"] == 0
    assert t["to"] - t["from"] == 5760 * 60 and t["to"] % 60 == 0
assert "cold_starts" in d[1]["policies"]["on_demand"]
' "$T/cfg.json"

# --history takes the first rows of a csv, as the daemon's history.
head -2881 "$T/t.csv" >"$T/half.csv"
"$P" plan --config "$T/c.yaml" --target web --history 2d --format json \
  >"$T/h.json"
"$P" plan --trace "$T/half.csv" --step 60 --platform kubernetes \
  --unit-capacity 1000 --warmup 120 --headroom 0.1 --stabilization 600 \
  --min 1 --max 90 --format json >"$T/half.json"
check "--history 2d: the first two days, as plan --trace on them" \
  same "$T/h.json" "$T/half.json" web

"$P" plan --config "$T/c.yaml" --target web --report "$T/rep" >"$T/text"
check "text: a target line naming it, the source and the span" \
  grep -q '^target    web: csv, history .* to .* UTC, 0 steps missing$' \
  "$T/text"
check "text: then the usual table" grep -q '^predictive  ' "$T/text"
check "--report: DIR/<target>/index.html" \
  grep -q '<svg class="chart"' "$T/rep/web/index.html"
check "--report: series.csv stamped with the steps' times" sh -c \
  "[ \$(wc -l <'$T/rep/web/series.csv') -eq 5761 ] &&
   sed -n 2p '$T/rep/web/series.csv' | grep -q '^20[0-9-]* [0-9:]*,'"

# Errors.
"$P" plan --config "$T/c.yaml" --target web --target nope >"$T/out" \
  2>"$T/err"
rc=$?
check "unknown --target: exit 2, the known ones listed, nothing planned" \
  sh -c "[ $rc -eq 2 ] && [ ! -s '$T/out' ] && grep -q \
  'target nope: .*c.yaml has no such target (it has: web, fn, pushed, down)' \
  '$T/err'"
"$P" plan --config "$T/c.yaml" --format json >"$T/all.json" 2>"$T/err"
rc=$?
check "a failing target: exit 1, the others still planned" py '
import json, sys
d = {t["name"]: t for t in json.load(open(sys.argv[1]))["targets"]}
assert sys.argv[2] == "1"
assert "policies" in d["web"] and "policies" in d["fn"]
assert "error" not in d["web"]
' "$T/all.json" "$rc"
check "remote_write without a store: refused, naming the target" sh -c "
  grep -q 'target pushed: a remote_write source keeps no history; plan reads it from the store, and .*c.yaml has no store: section' '$T/err' &&
  grep -q '\"name\":\"pushed\",\"source\":\"remote_write\",\"error\":\"a remote_write' '$T/all.json'"
check "an unreachable source: reported with the upstream's reason" sh -c "
  grep -q 'target down: prometheus http://127.0.0.1:1: .*connect' '$T/err' &&
  grep -q '\"name\":\"down\",\"source\":\"prometheus\",\"error\":\"prometheus http://127.0.0.1:1: .*connect' '$T/all.json'"
"$P" plan --config "$T/c.yaml" --target down >"$T/text" 2>/dev/null
check "text: the failure on the target's line" \
  grep -q '^target    down: prometheus: not planned: prometheus http://127.0.0.1:1: ' "$T/text"
"$P" plan --config "$T/c.yaml" --step 60 >"$T/out" 2>"$T/err"
rc=$?
check "--trace's flags with --config: exit 2, saying why" sh -c \
  "[ $rc -eq 2 ] && grep -q 'step: with --config the target.s own configuration says this' '$T/err'"
"$P" plan --config "$T/c.yaml" --history 3x >"$T/out" 2>"$T/err"
rc=$?
check "a bad --history: exit 2" sh -c \
  "[ $rc -eq 2 ] && grep -q 'history: .3x. is not a duration' '$T/err'"
"$P" plan --config "$T/nonexistent.yaml" >"$T/out" 2>"$T/err"
check "a missing file: exit 2" [ $? -eq 2 ]
"$P" plan --help >"$T/help"
check "--help describes --config" grep -q -- '--config FILE \[--target NAME\]' \
  "$T/help"
