#!/bin/sh
# prewarm plan --config against real servers: four days of one-minute
# demo traffic, re-stamped to end at the current minute, backfilled into
# a real Prometheus (promtool tsdb create-blocks-from openmetrics), loaded
# into a real PostgreSQL table (the postgres source's $1/$2 query) and
# into the store (a remote_write target's history).  Each target planned
# from its source gives the same figures as prewarm plan --trace on the
# CSV with the same settings as flags: the samples land on the steps they
# were written for.  A table with an hour deleted gives --trace's figures
# on the CSV with that hour blank (missing steps, never zero load).
set -u
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null && command -v prometheus >/dev/null ||
  skip_all "no prometheus/promtool (apt-get install prometheus)"
need_postgres
py() { /usr/bin/python3 -c "$@"; }

# The trace, re-stamped: row i is the minute END - (N - i) * 60, so the
# last row is the last whole minute before END.
"$P" demo-trace --days 4 --step 60 --seed 11 --output "$T/demo.csv"
N=5760
END=$(( $(date +%s) / 60 * 60 ))
awk -F, -v end="$END" -v n="$N" 'NR == 1 { print "time,requests"; next }
  { printf "%d,%s\n", end - (n - (NR - 2)) * 60, $2 }' "$T/demo.csv" \
  >"$T/trace.csv"
# The same with the hour from row 3000 blank.
awk -F, 'NR >= 3002 && NR < 3062 { print $1 ","; next } { print }' \
  "$T/trace.csv" >"$T/gappy.csv"

# Prometheus: one raw sample per step, at the step's start.
{ echo "# TYPE trace_load gauge"
  sed 1d "$T/trace.csv" | awk -F, '{ printf "trace_load %s %s\n", $2, $1 }'
  echo "# EOF"; } >"$T/om.txt"
mkdir -p "$T/tsdb"
promtool tsdb create-blocks-from openmetrics "$T/om.txt" "$T/tsdb" \
  >"$T/promtool.log" 2>&1 || { cat "$T/promtool.log"; echo "not ok - promtool"; exit 1; }
echo "scrape_configs: []" >"$T/prom.yml"
start_prometheus "$T/prom.yml" "$T/tsdb" || { echo "not ok - prometheus did not start"; exit 1; }

# PostgreSQL: the trace as a table, and the gappy one; the store.
sed 1d "$T/trace.csv" >"$T/rows.csv"
psql_test "CREATE TABLE raw (t float8, requests float8);" >/dev/null
psql_test "\\copy raw FROM '$T/rows.csv' CSV" >/dev/null
psql_test "
CREATE TABLE traffic AS SELECT to_timestamp(t) AS minute, requests FROM raw;
CREATE TABLE gappy AS SELECT * FROM traffic
  WHERE minute < to_timestamp($END - ($N - 3000) * 60)
     OR minute >= to_timestamp($END - ($N - 3060) * 60);" >/dev/null
export PLAN_PG="$CONN" PLAN_STORE="$CONN"
"$TOOLS/store_tool" "$CONN" 10 "history:none:0:60" >"$T/store.out" 2>&1
check "the store is migrated (at its first read)" \
  grep -q '^history rc=ok n=0' "$T/store.out"
psql_test "INSERT INTO prewarm_observations
  SELECT 'pushed', minute, requests FROM traffic;" >/dev/null

POLICY='policy: {unit_capacity: 1000, warmup: 180s, headroom: 0.05, min: 2, max: 120}'
Q='SELECT extract(epoch FROM minute), requests FROM TABLE WHERE minute >= to_timestamp($1) AND minute < to_timestamp($2) ORDER BY 1'
cat >"$T/c.yaml" <<EOF
store: {conninfo_env: PLAN_STORE}
targets:
- name: prom
  step: 60s
  source:
    prometheus: {url: "$PROM_URL", query: trace_load}
  actuator: {dryrun: {}}
  $POLICY
- name: pg
  step: 60s
  source:
    postgres: {conninfo_env: PLAN_PG, query: "$(echo "$Q" | sed s/TABLE/traffic/)"}
  actuator: {dryrun: {}}
  $POLICY
- name: pushed
  step: 60s
  source:
    remote_write: {metric: trace_load}
  actuator: {dryrun: {}}
  $POLICY
- name: prom_lag
  step: 60s
  lag: 60s
  source:
    prometheus: {url: "$PROM_URL", query: trace_load}
  actuator: {dryrun: {}}
  $POLICY
- name: gappy
  step: 60s
  source:
    postgres: {conninfo_env: PLAN_PG, query: "$(echo "$Q" | sed s/TABLE/gappy/)"}
  actuator: {dryrun: {}}
  $POLICY
EOF

FLAGS="--step 60 --platform kubernetes --unit-capacity 1000 --warmup 180 \
  --headroom 0.05 --min 2 --max 120 --format json"
"$P" plan --trace "$T/trace.csv" $FLAGS >"$T/trace.json"
"$P" plan --trace "$T/gappy.csv" $FLAGS >"$T/gappy.json"
"$P" plan --config "$T/c.yaml" --history 4d --end "$END" --format json \
  >"$T/cfg.json" 2>"$T/err"
check "plan --config: five targets, exit 0" [ $? -eq 0 ]

# same TARGET TRACE_JSON: the target's figures are --trace's.
same() {
  py '
import json, sys
a = [t for t in json.load(open(sys.argv[1]))["targets"]
     if t["name"] == sys.argv[2]][0]
b = json.load(open(sys.argv[3]))
for k in ("steps", "period", "model", "refits", "fallback_steps",
          "scored_from"):
    assert a[k] == b[k], (k, a[k], b[k])
assert set(a["policies"]) == set(b["policies"])
for p, v in b["policies"].items():
    for k in ("instance_seconds", "unserved_fraction"):
        assert a["policies"][p][k] == v[k], (p, k, a["policies"][p][k], v[k])
' "$T/cfg.json" "$@" || { cat "$T/err"; false; }
}
check "prometheus (query_range, backfilled): the figures of plan --trace" \
  same prom "$T/trace.json"
check "postgresql (\$1/\$2 query): the figures of plan --trace" \
  same pg "$T/trace.json"
# A remote-write target waits a step for late pushes (lag: one step), in
# a plan as in the daemon: its figures are a lagged Prometheus target's.
py '
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps([t for t in d["targets"] if t["name"] == "prom_lag"][0]))
' "$T/cfg.json" >"$T/prom_lag.json"
check "remote_write, from the store: a lagged prometheus target's figures" \
  same pushed "$T/prom_lag.json"
check "an hour missing in the table: --trace's figures with it blank" \
  same gappy "$T/gappy.json"
check "the span and the missing steps are reported" py '
import json, sys
d = {t["name"]: t for t in json.load(open(sys.argv[1]))["targets"]}
end = int(sys.argv[2])
for n in ("prom", "pg", "pushed", "prom_lag", "gappy"):
    assert d[n]["from"] == end - 4 * 86400 and d[n]["to"] == end, d[n]
    assert d[n]["rejected_samples"] == 0, d[n]
assert [d[n]["missing_steps"] for n in ("prom", "pg", "pushed", "gappy")] \
    == [0, 0, 0, 60]
' "$T/cfg.json" "$END"

"$P" plan --config "$T/c.yaml" --target prom --history 4d --end "$END" \
  >"$T/text"
check "text: the target's line, then the table" sh -c "
  grep -q '^target    prom: prometheus, history .* UTC, 0 steps missing' '$T/text' &&
  grep -q '^predictive ' '$T/text'"

# Prometheus down: that target fails with the reason, the others plan.
stop_prometheus
"$P" plan --config "$T/c.yaml" --target prom --target pg --history 4d \
  --end "$END" --format json >"$T/down.json" 2>"$T/err"
rc=$?
check "prometheus down: exit 1, its reason, pg still planned" py '
import json, sys
d = {t["name"]: t for t in json.load(open(sys.argv[1]))["targets"]}
assert sys.argv[2] == "1"
assert "connect" in d["prom"]["error"] and "127.0.0.1" in d["prom"]["error"]
assert "policies" in d["pg"]
' "$T/down.json" "$rc"
