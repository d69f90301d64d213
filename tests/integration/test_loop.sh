#!/bin/sh
# The loop never blocks the server or the other targets: one target's
# Prometheus accepts and answers nothing for 30 s, a second target reads
# demo data.  Throughout, /healthz, /metrics and /api answer at once, the
# second target is decided at every tick, the hung target's missed ticks
# are counted, /readyz says the hung target is not current, and SIGTERM
# ends the process within about 2 s although the read is still in flight.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
P=${PREWARM:-build/prewarm}

printf '{"status":"success","data":{"resultType":"matrix","result":[]}}' \
  >"$T/empty.json"
start_server hung "$SERVERS/http_fake.py" "$T/hung.log" 200 "$T/empty.json" 30
HUNG=$PORT
cat >"$T/cfg.yaml" <<YAML
listen: 127.0.0.1:0
speed: 60        # a tick (60 s) every real second
targets:
- name: hung
  step: 60s
  source: {prometheus: {url: "http://127.0.0.1:$HUNG", query: up}}
  actuator: {dryrun: {}}
  forecast: {history: 1d}
  policy: {unit_capacity: 10, warmup: 60s, max: 10}
- name: healthy
  step: 60s
  source: {demo: {days: 3}}
  actuator: {dryrun: {}}
  forecast: {history: 3d}
  policy: {unit_capacity: 1000, warmup: 120s, max: 50}
YAML
"$P" run --config "$T/cfg.yaml" >/dev/null 2>"$T/err" &
D=$!
PIDS="$PIDS $D"
LP=""
for _ in $(seq 1 100); do
  LP=$(sed -n 's/.*"message":"listening[^}]*"port":\([0-9]*\).*/\1/p' "$T/err")
  [ -n "$LP" ] && break
  sleep 0.1
done
check "the daemon listens" [ -n "$LP" ] || { cat "$T/err"; exit 1; }
U="http://127.0.0.1:$LP"

# About six seconds of probes while the hung read is in flight.
: >"$T/times"
ticks0=""
end=$(($(date +%s) + 6))
while [ "$(date +%s)" -lt "$end" ]; do
  for path in /healthz /metrics /api/v1/targets /api/v1/targets/healthy; do
    curl -s -o /dev/null -m 5 -w "%{http_code} %{time_total} $path\n" \
      "$U$path" >>"$T/times"
  done
  [ -n "$ticks0" ] || ticks0=$(curl -s -m 5 "$U/metrics" |
    sed -n 's/^prewarm_decisions_total{target="healthy",reason="dry_run"} //p')
  sleep 0.2
done
ticks1=$(curl -s -m 5 "$U/metrics" |
  sed -n 's/^prewarm_decisions_total{target="healthy",reason="dry_run"} //p')
max=$(awk '{ if ($2 > m) m = $2 } END { printf "%.3f", m }' "$T/times")
n=$(grep -c . "$T/times")
echo "# $n requests during the hung read, the slowest ${max} s;" \
  "healthy decided ${ticks0:-?} -> ${ticks1:-?}"
check "every request answered 200 while a source hangs" \
  sh -c "! grep -v '^200 ' '$T/times' | grep -q ."
check "the slowest answer took under half a second (${max} s)" \
  awk -v m="$max" 'BEGIN { exit !(m < 0.5) }'
check "the healthy target went on ticking (${ticks0:-?} -> ${ticks1:-?} decisions)" \
  sh -c "[ -n '$ticks0' ] && [ -n '$ticks1' ] && [ \$(($ticks1 - $ticks0)) -ge 4 ]"
curl -s "$U/metrics" >"$T/metrics"
check "the hung target's missed ticks are counted" sh -c "
  v=\$(sed -n 's/^prewarm_target_skipped_ticks_total{target=\"hung\"} //p' '$T/metrics')
  [ -n \"\$v\" ] && [ \"\$v\" -ge 3 ]"
check "it is not stepping twice: one read of the hung source in flight" \
  [ "$(grep -c . "$T/hung.log")" -le 2 ]
rs=$(curl -s -o "$T/ready" -w '%{http_code}' "$U/readyz")
check "/readyz is 503 while the hung target has no current data" \
  sh -c "[ '$rs' = 503 ] && grep -q '1 of 2 sources answered' '$T/ready'"
check "/healthz is 200: the loop is alive" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ]

# The stop is timed from the signal to the daemon's last log line
# ("stopped", after everything is freed), both on the wall clock, so the
# time a sanitizer build spends checking for leaks at exit, and the
# shell's own, are not counted.
t0=$(date +%s%3N)
kill -TERM "$D"
rc=0
wait "$D" || rc=$?
t1=$(sed -n 's/^{"time":"\([^"]*\)","level":"info","message":"stopped".*/\1/p' "$T/err")
took=$("$PY" -c "
import datetime, sys
t1 = datetime.datetime.strptime(sys.argv[2], '%Y-%m-%dT%H:%M:%S.%fZ')
t1 = t1.replace(tzinfo=datetime.timezone.utc).timestamp()
print('%.2f' % (t1 - int(sys.argv[1]) / 1000))" "$t0" "$t1" 2>/dev/null)
echo "# stopped ${took:-?} s after SIGTERM with the read in flight"
# The bound is 2 s: a read is abandoned within about a second (libcurl
# calls the abort check once a second while it waits).
check "SIGTERM with a read in flight: exit 0 within 2 s (${took:-?} s)" \
  "$PY" -c "import sys; sys.exit(not ($rc == 0 and '$took' != '' and $took < 2.0))"
