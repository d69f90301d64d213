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
# Issue #12 item 3: a body that decodes to 100,001 empty series (protobuf-c
# would allocate each) is 413 before unpacking, naming the cap.
"$PY" -c 'import sys; open(sys.argv[1], "wb").write(b"\x0a\x00" * 100001)' \
  "$T/series.pb"
"$TOOLS/rw_tool" snappy "$T/series.pb" "$T/series.bin"
check "100,001 series in one request: 413 naming the cap" \
  [ "$(curl -s -w '%{http_code}' -X POST --data-binary "@$T/series.bin" \
       -H "$H1" -H "$H2" -H "$A" "$U" | tr '\n' ' ')" = \
    "more than 100000 series, the limit a request 413" ]
# Issue #12 item 2: 64 clients on 127.0.0.2 trickling a request byte by
# byte do not keep /healthz (from 127.0.0.1) from answering.
"$PY" - "${U#http://127.0.0.1:}" "$T/slow.ready" <<'PY' &
import socket, sys, time
port = int(sys.argv[1].split("/")[0])
socks = []
for i in range(64):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    s.send(b"GET /healthz HTTP/1.1\r\n")
    socks.append(s)
open(sys.argv[2], "w").write("ready")
for _ in range(5):            # a byte every second for 5 s
    for s in socks:
        try:
            s.send(b"X")
        except OSError:
            pass              # past the per-IP limit: closed by the server
    time.sleep(1)
PY
SLOW=$!
PIDS="$PIDS $SLOW"
for _ in $(seq 1 50); do [ -s "$T/slow.ready" ] && break; sleep 0.1; done
check "64 slow clients on another address: healthz answers within 2 s" \
  [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "${U%/api/v1/write}/healthz")" = 200 ]
kill "$SLOW" 2>/dev/null
kill "$RW1"
wait "$RW1" 2>/dev/null
# The same request twice: the repeat adds nothing (its samples are not
# newer than what the counter has seen).
check "only the selected series, once, as rates: 10/s twice" "$PY" - "$T/rw1.out" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
st = dict(kv.split("=") for kv in lines[0].split()[1:])
assert st["requests"] == "2" and st["series"] == "8" and st["kept"] == "2", lines[0]
# 401 twice; 415 twice, 400 twice, 413 four times (issue #12 item 10).
assert st["unauthorized"] == "2" and st["rejected"] == "8", lines[0]
vals = [float(l.split()[1]) for l in lines[1:] if l]
assert vals == [10.0, 10.0], vals
PY
check "the receiver's stderr is JSON lines; the wrong token is logged once, never shown" \
  "$PY" - "$T/rw1.err" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
recs = [json.loads(l) for l in lines]          # each line one JSON object
unauth = [r for r in recs if "bearer token" in r["message"]]
assert len(unauth) == 1 and unauth[0]["peer"] == "127.0.0.1", unauth
assert not any("tok" in l.replace("token", "") for l in lines), lines
PY

# 2. A real Prometheus writing into the receiver.
command -v prometheus >/dev/null || { skip_one "prometheus" "not installed"; exit 0; }
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
