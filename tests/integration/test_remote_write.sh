#!/bin/sh
# The remote-write receiver (controller/ctl_http + telemetry/tel_rw):
# the HTTP contract checked with curl (204, 401, 415 for other content
# types and remote-write 2.0, 400, 413 before and after reading, 405),
# then a real Prometheus (Debian's package) scraping an exporter whose
# counter restarts, remote-writing into it with a bearer token: what
# arrives is 10/s with no sample counted twice and no spike at the reset.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
R="$TOOLS/rw_tool"
NOWMS=$(( $(date +%s) * 1000 ))

# 1. The HTTP contract.
"$R" serve "$T/rw1.port" 60 1 app_requests_total --counter --token tok \
  service=checkout >"$T/rw1.out" 2>"$T/rw1.err" &
RW1=$!
PIDS="$PIDS $RW1"
for _ in $(seq 1 50); do [ -s "$T/rw1.port" ] && break; sleep 0.1; done
U="http://127.0.0.1:$(cat "$T/rw1.port")/api/v1/write"
"$R" encode "$T/ok.bin" \
  "app_requests_total,service=checkout,pod=a:100:$((NOWMS - 5000))" \
  "app_requests_total,service=checkout,pod=a:110:$((NOWMS - 4000))" \
  "app_requests_total,service=checkout,pod=a:120:$((NOWMS - 3000))" \
  "app_requests_total,service=cart,pod=b:5:$((NOWMS - 4000))"
post() {  # post FILE [curl args...]: prints the status
  f=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$f" "$@" "$U"
}
H1="Content-Encoding: snappy"
H2="Content-Type: application/x-protobuf"
H3="X-Prometheus-Remote-Write-Version: 0.1.0"
A="Authorization: Bearer tok"
check "a remote-write 1.0 request: 204" \
  [ "$(post "$T/ok.bin" -H "$H1" -H "$H2" -H "$H3" -H "$A")" = 204 ]
check "proto=prometheus.WriteRequest is 1.0 too" \
  [ "$(post "$T/ok.bin" -H "$H1" -H "$H2;proto=prometheus.WriteRequest" -H "$A")" = 204 ]
check "no token: 401" [ "$(post "$T/ok.bin" -H "$H1" -H "$H2")" = 401 ]
check "a wrong token: 401" \
  [ "$(post "$T/ok.bin" -H "$H1" -H "$H2" -H "Authorization: Bearer tok2")" = 401 ]
check "remote-write 2.0: 415" \
  [ "$(post "$T/ok.bin" -H "$H1" -H "$H2;proto=io.prometheus.write.v2.Request" -H "$A")" = 415 ]
check "no snappy encoding: 415" [ "$(post "$T/ok.bin" -H "$H2" -H "$A")" = 415 ]
printf 'this is not snappy' >"$T/junk.bin"
printf '\377\006\000\000sNaPpY' >"$T/framed.bin"
check "a body that is not snappy+protobuf: 400" \
  [ "$(post "$T/junk.bin" -H "$H1" -H "$H2" -H "$A")" = 400 ]
check "framed snappy: 400" [ "$(post "$T/framed.bin" -H "$H1" -H "$H2" -H "$A")" = 400 ]
head -c 300000 /dev/zero >"$T/big.bin"
check "a body over the limit: 413" [ "$(post "$T/big.bin" -H "$H1" -H "$H2" -H "$A")" = 413 ]
check "a body over the limit without Content-Length (chunked): 413" \
  [ "$(post "$T/big.bin" -H "$H1" -H "$H2" -H "$A" -H "Transfer-Encoding: chunked")" = 413 ]
printf '\200\200\200\001' >"$T/bomb.bin"   # declares 2 MiB uncompressed
check "a declared size over the limit (decompression bomb): 413" \
  [ "$(post "$T/bomb.bin" -H "$H1" -H "$H2" -H "$A")" = 413 ]
check "GET on the receiver: 405" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$U")" = 405 ]
check "healthz: 200" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "${U%/api/v1/write}/healthz")" = 200 ]
kill "$RW1"
wait "$RW1" 2>/dev/null
# The same request twice: the repeat adds nothing (its samples are not
# newer than what the counter has seen).
check "only the selected series, once, as rates: 10/s twice" "$PY" - "$T/rw1.out" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
st = dict(kv.split("=") for kv in lines[0].split()[1:])
assert st["requests"] == "2" and st["series"] == "8" and st["kept"] == "2", lines[0]
vals = [float(l.split()[1]) for l in lines[1:] if l]
assert vals == [10.0, 10.0], vals
PY

# 2. A real Prometheus writing into the receiver.
command -v prometheus >/dev/null || { ok "prometheus # skip: not installed"; exit 0; }
start_server exporter "$SERVERS/exporter.py" 10 14
EXP=$PORT
"$R" serve "$T/rw2.port" 24 1 prewarm_test_requests_total --counter --token s3cret \
  service=checkout >"$T/rw2.out" 2>"$T/rw2.err" &
RW2=$!
PIDS="$PIDS $RW2"
for _ in $(seq 1 50); do [ -s "$T/rw2.port" ] && break; sleep 0.1; done
cat >"$T/prom.yml" <<YML
global: {scrape_interval: 1s}
scrape_configs:
- job_name: app
  static_configs: [{targets: ["127.0.0.1:$EXP"]}]
remote_write:
- url: http://127.0.0.1:$(cat "$T/rw2.port")/api/v1/write
  authorization: {credentials: s3cret}
  queue_config: {batch_send_deadline: 1s}
  metadata_config: {send_interval: 2s}
YML
mkdir -p "$T/data"
start_prometheus "$T/prom.yml" "$T/data" || { notok "prometheus did not start"; exit 1; }
sleep 20
stop_prometheus   # before the receiver, or it waits to flush (CONTRACTS 5.6)
wait "$RW2" 2>/dev/null
check "Prometheus's requests arrive (metadata-only ones too) and are kept" "$PY" - "$T/rw2.out" <<'PY'
import sys
st = dict(kv.split("=") for kv in open(sys.argv[1]).readline().split()[1:])
print("# receiver:", st)
assert int(st["requests"]) >= 5 and int(st["kept"]) >= 5, st
assert st["late"] == "0" and st["refused"] == "0", st
PY
check "the counter, with its restart, arrives as about 10/s and never more" "$PY" - "$T/rw2.out" <<'PY'
import sys
v = [float(l.split()[1]) for l in open(sys.argv[1]).read().split("\n")[1:] if l]
print("# rates:", " ".join("%.1f" % x for x in v))
assert len(v) >= 5, v
assert all(0 <= x <= 12 for x in v), v
assert sorted(v)[len(v) // 2] >= 8, v
PY
