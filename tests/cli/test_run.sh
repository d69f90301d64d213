#!/bin/sh
# prewarm check-config and prewarm run: every example is valid; bad files
# are refused with FILE:LINE:COLUMN: key: problem for each error; the
# daemon on the local demo answers /healthz, /readyz, /metrics (checked
# with promtool when installed) and /api/v1/targets, and stops on SIGTERM;
# --once prints the decisions.
set -u
. "$(dirname "$0")/tap.sh"

for f in config/examples/*.yaml; do
  "$P" check-config "$f" >"$T/out" 2>&1
  check "example $(basename "$f") passes check-config" \
    sh -c "[ $? -eq 0 ] && grep -q ': valid; ' '$T/out'"
done

cat >"$T/bad.yaml" <<'YAML'
listen: 127.0.0.1:9464
tick: soon
targets:
- name: web
  step: 60s
  source:
    prometheus: {url: http://p:9090, query: up, token: abc}
  actuator:
    kubernetes: {mode: replicas, name: web, namspace: prod}
  policy:
    unit_capacity: -3
    warmup: 60s
    max: 10
    min: 20
- name: web
  step: 60s
  source: {csv: {file: x.csv}}
  actuator: {dryrun: {}}
  policy: {warmup: 1m, max: "ten"}
YAML
"$P" check-config "$T/bad.yaml" >"$T/out" 2>"$T/err"
check "a bad file: exit 2, nothing on stdout" sh -c "[ $? -eq 2 ] && [ ! -s '$T/out' ]"
expect() {
  check "$1" grep -q -- "$2" "$T/err"
}
expect "wrong type, with its position" "bad.yaml:2:7: tick: \"soon\" is not a duration"
expect "an inline secret is refused" "bad.yaml:7:49: token: secrets are never inline"
expect "an unknown key with a did-you-mean" "bad.yaml:9:45: namspace: unknown key; did you mean \"namespace\"?"
expect "out of range" "bad.yaml:11:20: unit_capacity: -3 is out of range"
expect "min above max" "bad.yaml:14:10: min: is above max (20 > 10)"
expect "duplicate target" "bad.yaml:15:9: name: duplicate target \"web\""
expect "missing required" "bad.yaml:19:11: unit_capacity: required in policy"
expect "a quoted number is not a number" "max: \"ten\" is not a whole number"
check "every error is reported, one per line" [ "$(wc -l <"$T/err")" -ge 8 ]
printf 'targets: [\n' >"$T/broken.yaml"
"$P" check-config "$T/broken.yaml" 2>"$T/err"
check "malformed YAML: the position and the problem" \
  sh -c "[ $? -eq 2 ] && grep -q 'broken.yaml:2:1: ' '$T/err'"

# --once: one tick, the decisions as JSON.
"$P" run --config config/examples/local.yaml --once >"$T/once" 2>/dev/null
check "run --once: a decision for every target, as JSON" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert t["name"] == "checkout" and t["desired"] >= 2 and "dry_run" in t["reasons"], t
' "$T/once"
# The decision log: protobuf records, shown as JSON lines; it rotates.
{ grep -v '^decision_log:' config/examples/local.yaml
  printf 'decision_log: {path: %s/d.log, max_bytes: 1024, keep: 2}\n' "$T"; } \
  >"$T/dl.yaml"
for i in 1 2 3; do "$P" run --config "$T/dl.yaml" --once >/dev/null 2>&1; done
"$P" log show "$T/d.log" >"$T/dl.json"
check "decision log: every decision back as JSON" /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, len(rows)
r = rows[0]
assert r["target"] == "checkout" and r["desired"] >= 2 and "dry_run" in r["reasons"], r
assert r["forecast_upper"] >= r["forecast_mean"] > 0 and r["leader"] is True, r
' "$T/dl.json"
for i in $(seq 1 40); do "$P" run --config "$T/dl.yaml" --once >/dev/null 2>&1; done
check "decision log: rotated at 1024 bytes, two old files kept" sh -c "
  [ -s '$T/d.log.1' ] && [ -s '$T/d.log.2' ] && [ ! -e '$T/d.log.3' ] &&
  [ \$(wc -c <'$T/d.log') -le 1024 ]"
head -c 150 "$T/d.log.1" >"$T/cut.log"
"$P" log show "$T/cut.log" >/dev/null 2>"$T/err"
check "a truncated log: exit 2, the byte where it breaks" \
  sh -c "[ $? -eq 2 ] && grep -q 'cut.log: byte [0-9]*: the file ends inside' '$T/err'"

"$P" run --config "$T/bad.yaml" >/dev/null 2>"$T/err"
check "run refuses a bad file with the same messages" \
  sh -c "[ $? -eq 2 ] && grep -q 'bad.yaml:2:7: tick' '$T/err'"

# The daemon, on a free port.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp config/examples/local.yaml "$T/live.yaml"
printf '  slo: {unserved: 0.001, window: 1h}\n' >>"$T/live.yaml"
"$P" run --config "$T/live.yaml" --listen "127.0.0.1:$port" \
  >"$T/run.out" 2>"$T/run.err" &
pid=$!
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 2
U="http://127.0.0.1:$port"
check "healthz" [ "$(curl -s "$U/healthz")" = ok ]
check "readyz once the source has answered" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/readyz")" = 200 ]
curl -s -D "$T/mh" "$U/metrics" >"$T/metrics"
check "metrics: the exposition content type" \
  grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$T/mh"
check "metrics: desired, ready, load, forecast, reasons, histogram" sh -c "
  grep -q '^prewarm_target_desired{target=\"checkout\"} [0-9]' '$T/metrics' &&
  grep -q '^prewarm_target_ready{target=\"checkout\"} ' '$T/metrics' &&
  grep -q '^prewarm_target_forecast_upper{target=\"checkout\"} ' '$T/metrics' &&
  grep -q '^prewarm_decisions_total{target=\"checkout\",reason=\"predictive\"} ' '$T/metrics' &&
  grep -q '^prewarm_tick_duration_seconds_bucket{le=\"+Inf\"} ' '$T/metrics'"
check "metrics: the objective, the setting, the lead (no warm-up timed in a dry run)" sh -c "
  grep -q '^prewarm_target_slo_objective{target=\"checkout\"} 0.001\$' '$T/metrics' &&
  grep -q '^prewarm_target_slo_miss_ratio{target=\"checkout\"} [0-9]' '$T/metrics' &&
  grep -q '^prewarm_target_quantile{target=\"checkout\"} 0\.9[0-9]*\$' '$T/metrics' &&
  grep -q '^prewarm_target_headroom{target=\"checkout\"} 0\$' '$T/metrics' &&
  grep -q '^prewarm_target_warmup_seconds{target=\"checkout\"} NaN\$' '$T/metrics' &&
  grep -q '^prewarm_target_lead_seconds{target=\"checkout\"} 180\$' '$T/metrics' &&
  grep -q '^prewarm_target_surge_guard_active{target=\"checkout\"} [01]\$' '$T/metrics'"
check "metrics: tick and fit histograms: cumulative buckets, +Inf = count" \
  /usr/bin/python3 -c '
import re, sys
h = {}
for l in open(sys.argv[1]):
    m = re.match(r"(prewarm_(?:tick|fit)_duration_seconds)_(bucket|sum|count)"
                 r"(?:\{(.*?)\})? (\S+)$", l)
    if not m:
        continue
    name, part, labels, v = m.groups()
    labels = labels or ""
    kind = re.search(r"kind=\"(\w+)\"", labels)
    key = (name, kind.group(1) if kind else "")
    e = h.setdefault(key, {"b": []})
    if part == "bucket":
        le = re.search(r"le=\"([^\"]+)\"", labels).group(1)
        e["b"].append((float(le), float(v)))
    else:
        e[part] = float(v)
assert set(h) == {("prewarm_tick_duration_seconds", ""),
                  ("prewarm_fit_duration_seconds", "select"),
                  ("prewarm_fit_duration_seconds", "full"),
                  ("prewarm_fit_duration_seconds", "refit")}, sorted(h)
for k, e in h.items():
    les = [le for le, _ in e["b"]]
    counts = [c for _, c in e["b"]]
    assert les == sorted(les) and les[-1] == float("inf"), (k, les)
    assert counts == sorted(counts) and counts[-1] == e["count"], (k, counts)
    assert e["sum"] >= 0, (k, e)
assert h[("prewarm_tick_duration_seconds", "")]["count"] >= 1
# The demo model is chosen at start (model: auto): one selection at least.
sel = h[("prewarm_fit_duration_seconds", "select")]
assert sel["count"] >= 1 and sel["sum"] > 0, sel
' "$T/metrics"
if command -v promtool >/dev/null; then
  promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1
  check "promtool check metrics accepts it" [ $? -eq 0 ]
else
  skip_one "promtool check metrics" "promtool not installed"
fi
curl -s "$U/api/v1/targets/checkout" >"$T/api"
check "api: one number for KEDA, the reasons and the forecast path" \
  /usr/bin/python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
assert isinstance(t["desired"], int), t
assert t["reasons"] and len(t["forecast_upper"]) == len(t["forecast_mean"]) >= 3, t
assert all(u >= m for u, m in zip(t["forecast_upper"], t["forecast_mean"])), t
' "$T/api"
curl -s "$U/api/v1/targets/checkout/history" >"$T/hist"
check "api: the outlook, a quarter of the load shown ahead, and its capacity" \
  /usr/bin/python3 -c '
import json, math, sys
h = json.load(open(sys.argv[1]))
n = len(h["load"])
m, q, c = h["outlook_mean"], h["outlook_upper"], h["outlook_capacity"]
assert n >= 100 and len(m) == len(q) == len(c) == n // 4, (n, len(m), len(c))
assert h["outlook_start_ms"] == h["load_start_ms"] + n * h["step_ms"], h
assert all(a <= b for a, b in zip(m, q)), "mean above the upper quantile"
# capacity: the upper quantile in instances of 1000, rounded up, min 2
assert c == [max(2, min(100, math.ceil(v / 1000 - 1e-9))) for v in q], c
' "$T/hist"
check "api: an unknown target is 404" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/targets/nope")" = 404 ]
check "no remote-write receiver without a target that uses it: 404" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/api/v1/write")" = 404 ]
# The page, in a real browser: the charts are drawn from the API.
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/chrome" --virtual-time-budget=8000 --dump-dom \
    "$U/ui" >"$T/dom.html" 2>/dev/null
  check "/ui in headless Chromium: load, forecast band and capacity drawn" \
    /usr/bin/python3 -c '
import re, sys
dom = open(sys.argv[1]).read()
load = re.search(r"<polyline class=\"load\" points=\"([^\"]*)\"", dom)
assert load and len(load.group(1).split()) >= 100, "no load line"
assert re.search(r"<polygon class=\"band\" points=\"[0-9]", dom), "no band"
plan = re.search(r"<polyline class=\"plan\" points=\"([^\"]*)\"", dom)
assert plan and len(plan.group(1).split()) >= 100, "no outlook capacity"
cap = re.search(r"<polyline class=\"capacity\" points=\"([^\"]*)\"", dom)
assert cap and len(cap.group(1).split()) >= 2, "no capacity line"
assert "checkout" in dom and "updated" in dom
' "$T/dom.html"
else
  skip_one "/ui in headless Chromium" "chromium not installed"
fi
curl -s "$U/ui" >"$T/ui.html"
check "/ui: one self-contained page (no external assets)" /usr/bin/python3 -c '
import re, sys
page = open(sys.argv[1]).read()
assert page.startswith("<!doctype html>") and "setInterval(refresh" in page
assert not re.search(r"(src|href)=", page), "an external asset"
assert set(re.findall(r"https?://[^\"]*", page)) <= {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"}
' "$T/ui.html"

# SIGHUP: a bad file is refused whole and counted; a good one is applied.
cp "$T/bad.yaml" "$T/live.yaml.new" && mv "$T/live.yaml.new" "$T/live.yaml"
kill -HUP "$pid"
sleep 0.5
curl -s "$U/metrics" >"$T/m2"
check "SIGHUP with a bad file: refused, counted, the old targets keep running" sh -c "
  grep -q '^prewarm_config_reloads_total{result=\"refused\"} 1' '$T/m2' &&
  grep -q '^prewarm_target_desired{target=\"checkout\"} [0-9]' '$T/m2'"
check "SIGHUP with a bad file: logged as an error naming the file, line and key" \
  /usr/bin/python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
hit = [l for l in lines
       if l["message"] == "reload refused, the running configuration stays"]
assert len(hit) == 1 and hit[0]["level"] == "error", hit
assert "live.yaml:2:7: tick" in hit[0]["error"], hit
assert hit[0]["path"].endswith("live.yaml"), hit
' "$T/run.err"
sed 's/^- name: checkout/- name: checkout-b/' config/examples/local.yaml >"$T/b.part"
{ sed 's/^speed: 60/speed: 30/' config/examples/local.yaml
  printf '  slo: {unserved: 0.001, window: 1h}\n'
  sed -n '/^- name: checkout-b/,$p' "$T/b.part"; } >"$T/live.yaml"
kill -HUP "$pid"
sleep 1
curl -s "$U/api/v1/targets" >"$T/after"
curl -s "$U/metrics" >"$T/m3"
check "SIGHUP with a good file: applied (two targets now), counted" sh -c "
  grep -q '\"name\":\"checkout-b\"' '$T/after' &&
  grep -q '^prewarm_config_reloads_total{result=\"ok\"} 1' '$T/m3'"
check "SIGHUP: the unchanged target kept its state, the new one was built" \
  /usr/bin/python3 -c '
import json, re, sys
def acts(path, target):
    return sum(float(v) for v in re.findall(
        r"^prewarm_actuations_total\{target=\"%s\",result=\"\w+\"\} (\S+)$" % target,
        open(path).read(), re.M))
before, after = acts(sys.argv[1], "checkout"), acts(sys.argv[2], "checkout")
assert after > before >= 2, (before, after)  # counting on, not from 0
assert 1 <= acts(sys.argv[2], "checkout-b") < after, acts(sys.argv[2], "checkout-b")
lines = [json.loads(l) for l in open(sys.argv[3])]
r = [l for l in lines if l["message"] == "configuration reloaded"]
assert len(r) == 1 and r[0]["targets"] == 2 and r[0]["kept"] == 1, r
w = [l for l in lines if l["message"].startswith("reload: this setting changed")]
assert [l["key"] for l in w] == ["speed"] and w[0]["level"] == "warn", w
' "$T/m2" "$T/m3" "$T/run.err"

kill -TERM "$pid"
t0=$(date +%s)
wait "$pid"
rc=$?
check "SIGTERM: exits 0 within a second" sh -c "[ $rc -eq 0 ] && [ \$(( \$(date +%s) - $t0 )) -le 2 ]"
check "logs are JSON lines: time, level, message, a target's lines name it" \
  /usr/bin/python3 -c '
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for l in lines:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["time"]), l
    assert l["level"] in ("debug", "info", "warn", "error"), l
    assert l["message"] and "target " not in l["message"], l
run = [l for l in lines if l["message"] == "running"]
assert run and run[0]["targets"] == 1 and run[0]["tick_ms"] == 60000, run
assert any(l.get("target") == "checkout" for l in lines), lines
' "$T/run.err"

# Signals while 40 targets of a year of demo traffic are built (a second
# or more): SIGHUP is a reload once they are, not the end of the process.
{
  echo "listen: 127.0.0.1:$port"
  echo "targets:"
  for i in $(seq 1 40); do
    printf -- '- name: t%d\n  step: 60s\n  source: {demo: {days: 365, seed: %d}}\n' "$i" "$i"
    printf -- '  actuator: {dryrun: {}}\n  policy: {unit_capacity: 1000, warmup: 120s, max: 100}\n'
  done
} >"$T/slow.yaml"
"$P" run --config "$T/slow.yaml" >/dev/null 2>"$T/slow.err" &
pid=$!
sleep 0.3
kill -HUP "$pid"
for _ in $(seq 1 300); do
  curl -s "$U/metrics" 2>/dev/null | grep -q '^prewarm_config_reloads_total{result="ok"} 1' && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
check "SIGHUP while the targets are built: survived, reloaded once built" sh -c "
  kill -0 $pid && curl -s '$U/metrics' |
    grep -q '^prewarm_config_reloads_total{result=\"ok\"} 1'"
# With 40 targets the page draws 12, and those the filter in the address
# names: t3 and t30 to t39.
if command -v chromium >/dev/null; then
  for f in "" "#t3"; do
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$T/chrome" --virtual-time-budget=8000 --dump-dom \
      "$U/ui$f" >"$T/dom40$f.html" 2>/dev/null
  done
  check "/ui with 40 targets: 12 drawn; a filter in the address picks by name" \
    /usr/bin/python3 -c '
import re, sys
a, b = open(sys.argv[1]).read(), open(sys.argv[2]).read()
ids = lambda d: re.findall(r"<section id=\"t-([^\"]+)\"", d)
assert len(ids(a)) == 12 and "showing 12 of 40 target(s)" in a, ids(a)
want = ["t3"] + ["t3%d" % i for i in range(10)]
assert sorted(ids(b)) == sorted(want), ids(b)
assert "showing 11 of 11 matching, 40 target(s)" in b, b[-500:]
' "$T/dom40.html" "$T/dom40#t3.html"
else
  skip_one "/ui with 40 targets" "chromium not installed"
fi
kill -TERM "$pid"
wait "$pid"
check "SIGTERM after that: exits 0" [ $? -eq 0 ]

# check-config refuses what run would refuse, never crashes, and never
# echoes a secret (issue #12, items 5 to 8 and 14).
good='targets:
- name: a
  step: 60s
  source: {demo: {days: 21}}
  actuator: {dryrun: {}}
  policy: {unit_capacity: 1, warmup: 60s, max: 9}'
cfgcase() {  # name file expected-line
  "$P" check-config "$T/$2" >"$T/cc.out" 2>"$T/cc.err"
  rc=$?
  if [ "$rc" -eq 2 ] && [ ! -s "$T/cc.out" ] && grep -qF -- "$3" "$T/cc.err"
  then ok "check-config: $1"
  else notok "check-config: $1" "exit $rc" "$(head -c 300 "$T/cc.err")"
  fi
}
/usr/bin/python3 -c 'import sys; sys.stdout.write("targets: " + "[" * 50000 + "]" * 50000 + "\n")' >"$T/deep.yaml"
cfgcase "50,000 levels of nesting: refused, no crash" deep.yaml \
  "deep.yaml:1:73: nesting deeper than 64 levels"
: >"$T/empty.yaml"
cfgcase "an empty file says so" empty.yaml "empty.yaml: the file is empty"
printf 'listen: 9464\n%s\n' "$good" >"$T/listen.yaml"
cfgcase "listen without a host:port" listen.yaml \
  "listen.yaml:1:9: listen: must be HOST:PORT or [IPV6]:PORT"
printf '%s\n---\nlisten: ":1"\n' "$good" >"$T/twodoc.yaml"
cfgcase "a second document" twodoc.yaml \
  "twodoc.yaml:7:1: a second YAML document (---) is not supported"
printf '%s\n' "$good" | sed 's/step: 60s/step: 0x3cs/' >"$T/hexstep.yaml"
cfgcase "a hexadecimal duration" hexstep.yaml \
  "hexstep.yaml:3:9: step: \"0x3cs\" is not a duration"
printf '%s\n' "$good" |
  sed 's|demo: {days: 21}|prometheus: {url: "http://admin:hunter2@127.0.0.1:9090", query: up}|' \
  >"$T/cred.yaml"
cfgcase "credentials in a URL" cred.yaml \
  "cred.yaml:4:30: targets[0].source.prometheus.url: credentials in the URL are not allowed"
check "check-config: the password is not echoed" \
  sh -c "! grep -q hunter2 '$T/cc.err'"
printf 'targets:\n- name: a\n\tstep: 60s\n' >"$T/tab.yaml"
cfgcase "a tab in the indentation, in plain words" tab.yaml \
  "tab.yaml:3:1: a tab character is used for indentation"

# Each change of decision is one info line with the new and the previous
# desired and the reasons: on a replay, exactly the changes the decision
# log holds, in order (issue #13, item 6).
"$P" demo-trace --days 3 --step 60 --output "$T/chg.csv" >/dev/null
cat >"$T/chg.yaml" <<YAML
log_level: info
decision_log: {path: $T/chg.pb}
targets:
- name: web
  step: 60s
  source: {csv: {file: $T/chg.csv}}
  actuator: {dryrun: {}}
  policy: {unit_capacity: 1000, warmup: 120s, max: 100}
YAML
"$P" run --config "$T/chg.yaml" --replay 2>"$T/chg.err" &&
  "$P" log show "$T/chg.pb" >"$T/chg.jsonl"
check "an info line for each change of desired: previous, desired, reasons" \
  /usr/bin/python3 -c '
import json, sys
log = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
got = [(l["previous"], l["desired"], l["reasons"]) for l in log
       if l["message"] == "desired changed"]
assert all(l["level"] == "info" and l["target"] == "web" for l in log
           if l["message"] == "desired changed")
rows = [json.loads(l) for l in open(sys.argv[2])]
want = [(a["desired"], b["desired"], ",".join(b["reasons"]))
        for a, b in zip(rows, rows[1:]) if a["desired"] != b["desired"]]
assert len(want) >= 10 and got == want, (len(got), len(want), got[:3], want[:3])
print("# %d changes in %d decisions" % (len(got), len(rows)))
' "$T/chg.err" "$T/chg.jsonl"

# /ui in one unit with its axes, and the names-only list (issue #13,
# item 5).
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
grep -v '^decision_log:' config/examples/local.yaml >"$T/ui.yaml"
"$P" run --config "$T/ui.yaml" --listen "127.0.0.1:$port" \
  >/dev/null 2>"$T/ui.err" &
pid=$!
U="http://127.0.0.1:$port"
for _ in $(seq 1 50); do
  curl -sf "$U/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
check "/api/v1/target-names: the names only" sh -c "
  [ \"\$(curl -s '$U/api/v1/target-names')\" = '{\"names\":[\"checkout\"]}' ]"
curl -s "$U/ui" >"$T/ui2.html"
check "/ui lists targets by name and fetches only the ones it shows" \
  sh -c "grep -q '/api/v1/target-names' '$T/ui2.html' &&
         ! grep -q 'fetch(\"/api/v1/targets\")' '$T/ui2.html'"
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/chrome2" --virtual-time-budget=8000 --dump-dom \
    "$U/ui" >"$T/dom2.html" 2>/dev/null
  check "/ui: instances with y and time ticks, ready drawn, a reasons strip and its legend" \
    /usr/bin/python3 -c '
import re, sys
dom = open(sys.argv[1]).read()
y = [float(v) for v in re.findall(r"<text[^>]*class=\"ytick\"[^>]*>([0-9.]+)</text>", dom)]
assert len(y) >= 3 and y == sorted(y) and y[0] == 0, y
x = re.findall(r"<text[^>]*class=\"xtick\"[^>]*>([^<]*)</text>", dom)
assert len(x) >= 3 and all(re.match(r"\d\d:\d\d|[A-Z][a-z]+ \d+", v) for v in x), x
assert re.search(r"class=\"ylabel\"[^>]*>instances<", dom), "no y unit"
ready = re.search(r"<polyline class=\"ready\" points=\"([^\"]*)\"", dom)
assert ready and len(ready.group(1).split()) >= 2, "no ready line"
strip = re.findall(r"<rect class=\"reason r-([a-z_]+)\"", dom)
keys = re.findall(r"<span class=\"reason-key\"><i [^>]*></i>([a-z_]+)</span>", dom)
assert strip and set(strip) == set(keys), (strip, keys)
assert "load \u00f7 1000" in dom and "desired instances" in dom, "legend"
assert "divided by the error of repeating the last value" in dom
assert "above 2 (4 on Lambda)" in dom and "acts reactively" in dom
print("# y ticks %s; x ticks %s; reasons %s" % (y, x, sorted(set(keys))))
' "$T/dom2.html"
else
  skip_one "/ui: ticks, units, legend" "chromium not installed"
fi
kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exits 0" [ $? -eq 0 ]
