#!/bin/sh
# prewarm run end to end against the local Kubernetes API server: one
# tick sets the replicas the policy decided; --dry-run decides the same
# and patches nothing; a remote-write target takes what is pushed to the
# daemon's receiver.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
P=${PREWARM:-build/prewarm}
make_test_ca
cat >"$T/state.json" <<'JSON'
{"ready_s": 0.2, "deployments": {"shop/web": {"metadata": {"name": "web", "namespace": "shop"},
  "spec": {"replicas": 1}, "status": {"replicas": 1, "readyReplicas": 1}}}}
JSON
echo tok >"$T/token"
start_server k8s "$SERVERS/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/token" 127.0.0.1
mkdir -p "$T/sa" && cp "$T/ca.crt" "$T/sa/ca.crt" && echo tok >"$T/sa/token"
cat >"$T/kc.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: shop}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: sa/token}}]
YAML
cat >"$T/run.yaml" <<YAML
listen: 127.0.0.1:0
targets:
- name: web
  step: 60s
  source: {demo: {days: 21}}
  actuator:
    kubernetes: {mode: replicas, namespace: shop, name: web, kubeconfig: $T/kc.yaml}
  policy: {unit_capacity: 1000, warmup: 120s, min: 2, max: 50}
YAML
"$P" run --config "$T/run.yaml" --once --dry-run >"$T/dry.json" 2>"$T/dry.err"
check "--dry-run: decides, reads the deployment, patches nothing" sh -c "
  grep -q '\"reasons\":\"[a-z_,]*dry_run' '$T/dry.json' &&
  grep -q '\"requested\":1,' '$T/dry.json' && ! grep -q PATCH '$T/log.jsonl'"
"$P" run --config "$T/run.yaml" --once >"$T/once.json" 2>"$T/once.err"
want=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][0]["desired"])' "$T/once.json")
check "one tick: the deployment is scaled to what the policy decided ($want)" "$PY" - "$T/log.jsonl" "$want" <<'PY'
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
p = [e for e in p if e["op"] == "PATCH scale"]
assert len(p) == 1 and json.loads(p[0]["body"]) == {"spec": {"replicas": int(sys.argv[2])}}, p
PY
check "the same decision with and without --dry-run" \
  [ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][0]["desired"])' "$T/dry.json")" = "$want" ]

# A remote-write target: what is pushed is what the target reads.
cat >"$T/rw.yaml" <<YAML
listen: 127.0.0.1:0
remote_write: {token_file: $T/token}
targets:
- name: api
  step: 1s
  lag: 1s
  source:
    remote_write: {metric: reqs_total, counter: true, labels: {service: api}}
  actuator: {dryrun: {}}
  forecast: {history: 1h}
  policy: {unit_capacity: 5, warmup: 2s, max: 100}
YAML
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$P" run --config "$T/rw.yaml" --listen "127.0.0.1:$port" >/dev/null 2>"$T/rw.err" &
pid=$!
PIDS="$PIDS $pid"
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
now=$(( $(date +%s) * 1000 ))
# Stamped just ahead, as live samples are when they reach the receiver.
"$TOOLS/rw_tool" encode "$T/p.bin" "reqs_total,service=api:100:$((now + 1000))" \
  "reqs_total,service=api:130:$((now + 2000))" "reqs_total,service=other:9:$((now + 2000))"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$T/p.bin" \
  -H "Content-Encoding: snappy" -H "Content-Type: application/x-protobuf" \
  -H "Authorization: Bearer tok" "http://127.0.0.1:$port/api/v1/write")
sleep 6.5   # the 2nd sample closes its step 1 s later, plus 1 s lag and a tick
curl -s "http://127.0.0.1:$port/api/v1/targets/api" >"$T/api.json"
curl -s "http://127.0.0.1:$port/metrics" >"$T/metrics"
# The load seen at each tick is logged at debug level; the store is off, so
# read it back from what the API said over the last ticks instead.
"$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))["load"]; print("%g" % v if v is not None else "")' "$T/api.json" >"$T/loads"
check "remote-write into the daemon: 204, and the target read 30/s" sh -c "
  [ '$code' = 204 ] && grep -q '^prewarm_target_load{target=\"api\"} ' '$T/metrics' &&
  grep -q 'prewarm_remote_write_total{what=\"kept\"} 1' '$T/metrics' &&
  grep -q 'prewarm_remote_write_total{what=\"refused\"} 0' '$T/metrics' &&
  [ \"\$(grep -c . '$T/loads')\" -ge 1 ] && grep -qx 30 '$T/loads'"
kill -TERM "$pid"
wait "$pid" 2>/dev/null

# SIGTERM in a long tick: four targets whose Prometheus answers after 2 s
# make a tick of 8 s or more; the daemon stops after the target in hand.
printf '{"status":"success","data":{"resultType":"matrix","result":[]}}' >"$T/empty.json"
start_server slowprom "$SERVERS/http_fake.py" "$T/slow.log" 200 "$T/empty.json" 2
{
  echo "listen: 127.0.0.1:0"
  echo "targets:"
  for i in 1 2 3 4; do
    printf -- '- name: s%d\n  step: 60s\n' "$i"
    printf -- '  source: {prometheus: {url: "http://127.0.0.1:%s", query: up}}\n' "$PORT"
    printf -- '  actuator: {dryrun: {}}\n  forecast: {history: 1d}\n'
    printf -- '  policy: {unit_capacity: 10, warmup: 60s, max: 10}\n'
  done
} >"$T/slow.yaml"
"$P" run --config "$T/slow.yaml" >/dev/null 2>"$T/slow.err" &
pid=$!
PIDS="$PIDS $pid"
for _ in $(seq 1 50); do
  grep -q '"message":"running"' "$T/slow.err" 2>/dev/null && break
  sleep 0.1
done
sleep 1
kill -TERM "$pid"
t0=$("$PY" -c 'import time; print(time.time())')
wait "$pid"
rc=$?
took=$("$PY" -c "import time; print('%.1f' % (time.time() - $t0))")
echo "# stopped ${took} s after SIGTERM; $(grep -c . "$T/slow.log") of 4 sources asked"
check "SIGTERM in a long tick: exits 0 after the target in hand" \
  "$PY" -c "import sys; sys.exit(not ($rc == 0 and $took < 3.5))"
