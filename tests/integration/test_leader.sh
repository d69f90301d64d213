#!/bin/sh
# Leader election between two prewarm run daemons against the local
# Kubernetes API server's Lease (client-go's algorithm): one leads and is
# the only one to actuate; when it dies without releasing, the other takes
# over within the lease duration, and at no time do both actuate; a
# SIGTERM releases the lease.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
P=${PREWARM:-build/prewarm}
make_test_ca
cat >"$T/state.json" <<'JSON'
{"ready_s": 0.2, "deployments": {"shop/web": {"metadata": {"name": "web", "namespace": "shop"},
  "spec": {"replicas": 1}, "status": {"replicas": 1, "readyReplicas": 1}}}}
JSON
printf 'admin\ntokA\ntokB\n' >"$T/tokens"
start_server k8s "$SERVERS/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/tokens" 127.0.0.1
KPORT=$PORT
for who in A B; do
  echo "tok$who" >"$T/token$who"
  cat >"$T/kc$who.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: shop}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$KPORT", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: token$who}}]
YAML
  cat >"$T/run$who.yaml" <<YAML
listen: 127.0.0.1:0
speed: 60
leader_election:
  name: prewarm
  kubeconfig: $T/kc$who.yaml
  lease_duration: 3s
  renew_deadline: 2s
  retry_period: 500ms
targets:
- name: web
  step: 60s
  source: {demo: {days: 21}}
  actuator:
    kubernetes: {mode: replicas, name: web, kubeconfig: $T/kc$who.yaml}
  policy: {unit_capacity: 1000, warmup: 120s, min: 2, max: 50}
YAML
done
free() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free)
PB=$(free)
POD_NAME=prewarm-a "$P" run --config "$T/runA.yaml" --listen "127.0.0.1:$PA" 2>"$T/a.err" &
A=$!
sleep 2
POD_NAME=prewarm-b "$P" run --config "$T/runB.yaml" --listen "127.0.0.1:$PB" 2>"$T/b.err" &
B=$!
PIDS="$PIDS $A $B"
sleep 4
leader() { curl -s "http://127.0.0.1:$1/metrics" | sed -n 's/^prewarm_leader //p'; }
check "one leader: A, which started first; B follows" \
  [ "$(leader "$PA")/$(leader "$PB")" = "1/0" ]
kill -KILL "$A"   # no release: B must wait for the lease to expire
t_kill=$("$PY" -c 'import time; print(time.time())')
sleep 6   # the lease (3 s), a retry, and a tick or two as leader
check "A gone: B leads" [ "$(leader "$PB")" = 1 ]
check "B took over once A's lease (3 s) expired, within two jittered retries, never both" \
  "$PY" - "$T/log.jsonl" "$t_kill" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
kill = float(sys.argv[2])
def who(e): return {"token:tokA": "A", "token:tokB": "B"}.get(e["auth"])
# Actuations read the deployment first (GET deployments); a follower never
# touches it.
acts = [(e["t"], who(e)) for e in log if e["op"] in ("GET deployments", "PATCH scale")]
a = [t for t, w in acts if w == "A"]
b = [t for t, w in acts if w == "B"]
assert a and b, (len(a), len(b))
assert max(a) < min(b), "A and B both actuated (%f >= %f)" % (max(a), min(b))
renews = [e["t"] for e in log if e["op"] == "PUT lease" and who(e) == "A" and e["status"] == 200]
takeover = min(e["t"] for e in log if e["op"] == "PUT lease" and who(e) == "B" and e["status"] == 200)
gap = takeover - max(renews)
print("# takeover %.2f s after A's last renewal, %.2f s after the kill" % (gap, takeover - kill))
# client-go's rule: B may take the lease only when it has seen no renewal
# for the lease duration, and B sees a renewal up to one retry period
# (0.5 s, jittered by up to 1.2x) late and tries again as late once the
# lease has expired: 3 + 2 x 0.6 s, plus the requests' own time (a GET
# and a PUT over TLS: up to a second on a loaded sanitizer build, where
# 0.5 s once fell 0.02 s short).
assert 3.0 <= gap <= 3.0 + 2 * 0.6 + 1.0, gap
body = [json.loads(e["body"]) for e in log if e["op"] == "PUT lease" and who(e) == "B"][0]
assert body["spec"]["holderIdentity"] == "prewarm-b" and body["spec"]["leaseTransitions"] == 1, body
assert body["metadata"]["resourceVersion"], body
PY
check "every lease write has MicroTime with six digits (the server refuses others)" \
  sh -c "! grep -q '\"op\": \"PUT lease\", \"status\": 400' '$T/log.jsonl'"
kill -TERM "$B"
wait "$B"
rc=$?
holder=$(curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer admin" \
  "https://127.0.0.1:$KPORT/apis/coordination.k8s.io/v1/namespaces/shop/leases/prewarm" |
  "$PY" -c 'import json,sys; print(repr(json.load(sys.stdin)["spec"]["holderIdentity"]))')
check "SIGTERM: exits 0 and releases the lease" [ "$rc/$holder" = "0/''" ]
