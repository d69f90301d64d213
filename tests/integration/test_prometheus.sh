#!/bin/sh
# The Prometheus source against a real Prometheus (Debian's package) on a
# free loopback port: two days of backfilled history (promtool
# create-blocks-from openmetrics) read in chunks under the 11,000-point
# limit, live data scraped from a small exporter, NaN/Inf/negative values,
# several series, bad PromQL; and against a fake server: auth headers, a
# slow answer past the timeout, malformed JSON, a server that is down.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
  skip_all "no prometheus/promtool (apt-get install prometheus)"
S="$TOOLS/src_script"

# Two days of a daily sine, one sample a minute, ending 4 hours ago.
"$PY" - "$T" <<'PY'
import math, sys, time
end = (int(time.time()) - 4 * 3600) // 3600 * 3600
start = end - 2 * 86400
with open(sys.argv[1] + "/bf.om", "w") as f:
    f.write("# HELP prewarm_test_load backfilled load\n# TYPE prewarm_test_load gauge\n")
    for t in range(start, end + 1, 60):
        f.write('prewarm_test_load{job="backfill"} %.3f %d\n'
                % (100 + 50 * math.sin(2 * math.pi * (t % 86400) / 86400), t))
    f.write("# EOF\n")
open(sys.argv[1] + "/range", "w").write("%d %d\n" % (start, end))
PY
read -r START END <"$T/range"
mkdir -p "$T/data"
promtool tsdb create-blocks-from openmetrics "$T/bf.om" "$T/data" >/dev/null 2>&1 ||
  skip_all "promtool could not backfill"

start_server exporter "$SERVERS/exporter.py" 10 0
cat >"$T/prom.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: app
  static_configs: [{targets: ["127.0.0.1:$PORT"]}]
YML
start_prometheus "$T/prom.yml" "$T/data" || { echo "not ok 1 - prometheus did not start"; exit 1; }

# 1. History, read in chunks: 2 days at 60 s is one query, at 10 s two.
"$S" prom "$PROM_URL" 'sum(prewarm_test_load)' 60 "$START" $((END + 60)) >"$T/h60"
check "backfilled history at 60 s: every minute, the stored values" "$PY" - "$T/h60" "$START" "$END" <<'PY'
import math, sys
lines = open(sys.argv[1]).read().split("\n")
head, rows = lines[0], [l.split() for l in lines[1:] if l]
start, end = int(sys.argv[2]), int(sys.argv[3])
assert head.startswith("rc=ok n=%d nan=0 rejected=0" % ((end - start) // 60 + 1)), head
for ts, v in rows[::97]:
    t = int(ts) // 1000
    want = 100 + 50 * math.sin(2 * math.pi * (t % 86400) / 86400)
    assert abs(float(v) - want) < 1e-3, (t, v, want)
PY
"$S" prom "$PROM_URL" 'sum(prewarm_test_load)' 10 "$START" $((END + 10)) >"$T/h10"
check "17,281 points at 10 s: chunked under the 11,000-point limit" \
  grep -q "^rc=ok n=$(( (END - START) / 10 + 1 )) nan=0 rejected=0" "$T/h10"

# 2. Values that are not loads; several series; bad PromQL.
"$S" prom "$PROM_URL" 'vector(0)/0' 60 now-600 now >"$T/nan"
check "NaN is a missing step, never a zero" \
  sh -c "head -1 '$T/nan' | grep -q '^rc=ok n=10 nan=10 rejected=0' && sed -n 2p '$T/nan' | grep -q ' nan\$'"
"$S" prom "$PROM_URL" 'vector(1)/0' 60 now-600 now >"$T/inf"
"$S" prom "$PROM_URL" 'vector(-5)' 60 now-600 now >>"$T/inf"
check "+Inf and negative values are refused and counted" \
  sh -c "[ \$(grep -c '^rc=ok n=0 nan=0 rejected=10 ' '$T/inf') = 2 ]"
"$S" prom "$PROM_URL" 'prewarm_test_load or label_replace(prewarm_test_load, "x", "y", "", "")' \
  60 "$START" $((START + 600)) >"$T/two"
check "two series: an error that says to aggregate" \
  grep -q '^rc=invalid argument .*gives 2 series, not one; aggregate it, e.g. sum' "$T/two"
"$S" prom "$PROM_URL" 'sum(prewarm_tset_load)' 60 "$START" $((START + 600)) >"$T/typo"
check "no series (a typo): a source error naming the query, never zero load" \
  grep -q '^rc=not found n=0 nan=0 rejected=0 errors=1 why=prometheus .*: query matched no series: sum(prewarm_tset_load)$' "$T/typo"
"$S" prom "$PROM_URL" 'sum(prewarm_test_load)' 10 $((START - 2 * 86400)) $((START + 600)) >"$T/partial"
check "no series in the first of two chunks only: the samples of the second" \
  grep -q '^rc=ok n=60 nan=0 rejected=0 errors=0 ' "$T/partial"
"$S" prom "$PROM_URL" 'vector(1e308) + vector(1e308)' 60 now-600 now >"$T/huge"
check "two 1e308 summing to +Inf: refused and counted, not a load" \
  grep -q '^rc=ok n=0 nan=0 rejected=10 ' "$T/huge"
"$S" prom "$PROM_URL" 'sum(rate(x[1m]' 60 now-600 now >"$T/bad"
check "bad PromQL: HTTP 400 bad_data with Prometheus's message and the query" \
  grep -q '^rc=the remote API failed .*HTTP 400: bad_data: .*parse error.*query: sum(rate(x\[1m\]' "$T/bad"

# 3. Live data: the exporter's counter grows 10 a second.  Prometheus
# starts scraping some seconds after it is ready (service discovery
# settles first): wait for ten scrapes.
for _ in $(seq 1 60); do
  curl -s "$PROM_URL/api/v1/query?query=count_over_time(prewarm_test_requests_total%5B1m%5D)" |
    grep -q '"value":\[[0-9.]*,"\([1-9][0-9]\)"' && break
  sleep 0.5
done
"$S" prom "$PROM_URL" 'sum(rate(prewarm_test_requests_total[4s]))' 1 now-5 now-1 >"$T/live"
check "live scrape: rate() of the counter is about 10/s" "$PY" - "$T/live" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0].startswith("rc=ok n=4 nan=0"), lines[0]
for l in lines[1:]:
    if l:
        v = float(l.split()[1])
        assert 8 <= v <= 12, v
PY
stop_prometheus

# 4. Faults, against a fake server.
printf '{"status":"success","data":{"resultType":"matrix","result":[]}}' >"$T/empty.json"
printf '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]}]}}' >"$T/one.json"
printf '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1000,"1"],' >"$T/broken.json"
start_server fake "$SERVERS/http_fake.py" "$T/fake.log" 200 "$T/one.json" 0 "Bearer s3cret-tok"
echo "s3cret-tok" >"$T/token"
chmod 600 "$T/token"
PROM_TOKEN_FILE="$T/token" "$S" prom "http://127.0.0.1:$PORT" 'up' 60 now-600 now >"$T/auth" 2>"$T/auth.err"
check "bearer token from a file; a series without values means no samples" \
  grep -q '^rc=ok n=0 nan=0 rejected=0' "$T/auth"
check "a token file only its owner reads: no warning" [ ! -s "$T/auth.err" ]
chmod 644 "$T/token"
PROM_TOKEN_FILE="$T/token" "$S" prom "http://127.0.0.1:$PORT" 'up' 60 \
  fetch:now-600:now fetch:now-600:now >"$T/auth2" 2>"$T/auth2.err"
check "a world-readable token file: one warning naming the file, not the token" \
  sh -c "[ \$(grep -c '\"level\":\"warn\".*bearer token file is readable by group or others.*\"file\":\"$T/token\",\"mode\":\"0644\"' '$T/auth2.err') = 1 ] &&
    ! grep -q s3cret '$T/auth2.err' && [ \$(grep -c '^rc=ok' '$T/auth2') = 2 ]"
check "the query goes as a POST form with start, end and step" \
  grep -q '"body": "query=up&start=[0-9]*.000&end=[0-9]*.000&step=60.000"' "$T/fake.log"
start_server fake2 "$SERVERS/http_fake.py" "$T/fake2.log" 200 "$T/one.json" 0 \
  "Basic $(printf 'prewarm:pa:ss' | base64)"
printf 'pa:ss\n' >"$T/pw"
chmod 600 "$T/pw"
PROM_USER=prewarm PROM_PASSWORD_FILE="$T/pw" "$S" prom "http://127.0.0.1:$PORT" up 60 now-600 now >"$T/basic"
check "basic auth from a password file" grep -q '^rc=ok n=0' "$T/basic"
"$S" prom "http://127.0.0.1:$PORT" up 60 now-600 now >"$T/noauth"
check "without credentials: 401 reported" grep -q '^rc=.*HTTP 401' "$T/noauth"
check "no secret in any output" sh -c "! cat '$T'/auth '$T'/basic '$T'/noauth | grep -q -e s3cret -e pa:ss"
start_server slow "$SERVERS/http_fake.py" "$T/slow.log" 200 "$T/empty.json" 3
SRC_TIMEOUT_MS=400 "$S" prom "http://127.0.0.1:$PORT" up 60 now-600 now >"$T/slow"
check "a slow answer past the timeout: tried three times, reported with the query" \
  sh -c "grep -q '^rc=input/output error .*timed out.*query: up' '$T/slow' && [ \$(wc -l <'$T/slow.log') = 3 ]"
start_server broken "$SERVERS/http_fake.py" "$T/broken.log" 200 "$T/broken.json" 0
"$S" prom "http://127.0.0.1:$PORT" up 60 now-600 now >"$T/broken"
check "malformed JSON: a parse error, no samples" \
  grep -q '^rc=malformed input n=0 .*not Prometheus API JSON' "$T/broken"
"$S" prom "http://127.0.0.1:1" up 60 now-600 now >"$T/down"
check "server down: an I/O error naming the server and the query" \
  grep -q '^rc=input/output error n=0 .*127.0.0.1:1.*query: up' "$T/down"
"$S" prom "http://admin:hunter2@127.0.0.1:1" up 60 now-600 now >"$T/userinfo"
check "a URL with userinfo: the error names the server without it" sh -c "
  grep -q '^rc=input/output error n=0 .*http://\*\*\*@127.0.0.1:1.*query: up' '$T/userinfo' &&
  ! grep -q -e hunter2 -e admin '$T/userinfo'"
start_server none "$SERVERS/http_fake.py" "$T/none.log" 200 "$T/empty.json" 0
"$S" prom "http://127.0.0.1:$PORT" 'sum(rate(app_requets_total[1m]))' 60 now-600 now >"$T/none"
check "an empty result from any server: not found, counted, the query named" \
  grep -q '^rc=not found n=0 nan=0 rejected=0 errors=1 why=.*query matched no series: sum(rate(app_requets_total\[1m\]))$' "$T/none"
