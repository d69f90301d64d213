#!/bin/sh
# The Kubernetes actuator against the local API server (tests/servers/
# k8s_server.py) over TLS with a CA made here: replicas through the scale
# subresource, an HPA's minReplicas, refusal to fight an HPA, 409/422/429,
# in-cluster auth with token rotation, kubeconfig with a token or a client
# certificate, TLS verification, IPv6, and a dry run that never patches.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3 (the API server is a Python script)"
command -v openssl >/dev/null || skip_all "no openssl to make the test CA"

# A CA, a server certificate for 127.0.0.1 and ::1, a client certificate,
# and a second CA that signed none of them.
mkcert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$T/$1.key" -out "$T/$1.crt" >/dev/null 2>&1
}
mkcert ca && mkcert otherca
openssl req -newkey rsa:2048 -nodes -subj "/CN=apiserver" -keyout "$T/srv.key" \
  -out "$T/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n' >"$T/san.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
  -CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/srv.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=prewarm" -keyout "$T/cli.key" \
  -out "$T/cli.csr" >/dev/null 2>&1
openssl x509 -req -in "$T/cli.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
  -CAcreateserial -days 2 -out "$T/cli.crt" >/dev/null 2>&1
[ -s "$T/srv.crt" ] && [ -s "$T/cli.crt" ] || skip_all "openssl could not make certificates"

cat >"$T/state.json" <<'JSON'
{"ready_s": 0.4,
 "deployments": {
   "prod/web": {"metadata": {"name": "web", "namespace": "prod"},
                "spec": {"replicas": 2}, "status": {"replicas": 2, "readyReplicas": 2}},
   "prod/api": {"metadata": {"name": "api", "namespace": "prod"},
                "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3}},
   "prod/idle": {"metadata": {"name": "idle", "namespace": "prod"},
                 "spec": {}, "status": {}}},
 "statefulsets": {
   "prod/db": {"metadata": {"name": "db", "namespace": "prod"},
               "spec": {"replicas": 1}, "status": {"replicas": 1, "readyReplicas": 1}}},
 "hpas": {
   "prod/api-hpa": {"metadata": {"name": "api-hpa", "namespace": "prod"},
                    "spec": {"minReplicas": 2, "maxReplicas": 20,
                             "scaleTargetRef": {"apiVersion": "apps/v1",
                                                "kind": "Deployment", "name": "api"}},
                    "status": {"currentReplicas": 3, "desiredReplicas": 3}}}}
JSON
echo "token-one" >"$T/server-token"
start_server k8s "$SERVERS/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/server-token" 127.0.0.1
# The pod's service-account folder.
mkdir -p "$T/sa"
cp "$T/ca.crt" "$T/sa/ca.crt"
echo "token-one" >"$T/sa/token"
printf 'prod\n' >"$T/sa/namespace"

inc() {  # in-cluster
  env -i PATH="$PATH" KUBERNETES_SERVICE_HOST=127.0.0.1 \
    KUBERNETES_SERVICE_PORT="$PORT" K8S_SA_DIR="$T/sa" "$@"
}
logged() {  # logged OP [STATUS]: how many requests match
  "$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) for e in [json.loads(l)]
          if e["op"] == sys.argv[2] and (len(sys.argv) < 4 or e["status"] == int(sys.argv[3]))))
' "$T/log.jsonl" "$@"
}

# 1. Replicas through the scale subresource, in-cluster.
inc "$TOOLS/act_script" k8s replicas "" web get set:5 until-ready:5:5000 set:5 \
  set:1 >"$T/o1" 2>&1
check "reads spec, status and ready replicas" \
  grep -q '^get rc=ok requested=2 current=2 ready=2 ' "$T/o1"
check "scales up: requested at once, ready later" \
  grep -q '^set:5 rc=ok requested=5 current=[0-9]* ready=2 flags=P ' "$T/o1"
check "ready follows" grep -q '^until-ready:5:5000 rc=ok requested=5 current=5 ready=5' "$T/o1"
check "an unchanged request patches nothing" grep -q '^set:5 rc=ok .*flags=U ' "$T/o1"
check "two merge patches of the scale subresource, namespace from the pod" "$PY" -c '
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
p = [e for e in p if e["op"] == "PATCH scale"]
assert len(p) == 2, p
assert p[0]["path"] == "/apis/apps/v1/namespaces/prod/deployments/web/scale", p[0]
assert p[0]["content_type"] == "application/merge-patch+json", p[0]
assert json.loads(p[0]["body"]) == {"spec": {"replicas": 5}}, p[0]
assert json.loads(p[1]["body"]) == {"spec": {"replicas": 1}}, p[1]
assert all(e["auth"] == "token" for e in p)
' "$T/log.jsonl"
inc K8S_KIND=statefulset "$TOOLS/act_script" k8s replicas prod db set:3 >"$T/o2" 2>&1
check "statefulsets too" grep -q '^set:3 rc=ok requested=3 ' "$T/o2"
inc "$TOOLS/act_script" k8s replicas prod idle get >"$T/o3" 2>&1
check "a workload at 0 (spec.replicas omitted) reads as 0" \
  grep -q '^get rc=ok requested=0 current=0 ready=0' "$T/o3"

# 2. Refuse to fight an HPA; steer its minReplicas instead.
before=$(logged "PATCH scale")
inc "$TOOLS/act_script" k8s replicas prod api set:4 >"$T/o4" 2>&1
check "replicas mode refuses a workload an HPA scales, without patching" \
  sh -c "grep -q '^set:4 rc=refused .*flags=R .*HPA prod/api-hpa.*hpa-min-replicas' '$T/o4' && \
         [ \$(grep -c '\"PATCH scale\"' '$T/log.jsonl') = $before ]"
inc "$TOOLS/act_script" k8s hpa-min-replicas prod api-hpa get set:6 \
  until-ready:6:5000 set:50 set:0 >"$T/o5" 2>&1
check "hpa mode reads minReplicas and the workload's ready pods" \
  grep -q '^get rc=ok requested=2 current=3 ready=3 ' "$T/o5"
check "hpa mode raises minReplicas; the HPA scales the workload" \
  grep -q '^until-ready:6:5000 rc=ok requested=6 current=6 ready=6' "$T/o5"
check "above maxReplicas: cut to it (a 422 otherwise)" \
  grep -q '^set:50 rc=ok requested=20 .*flags=L.*cut to the HPA.s maxReplicas 20' "$T/o5"
check "0 becomes minReplicas 1" grep -q '^set:0 rc=ok requested=1 ' "$T/o5"
check "hpa patches are merge patches of spec.minReplicas" "$PY" -c '
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(e["body"]) for e in p if e["op"] == "PATCH hpa"]
assert b == [{"spec": {"minReplicas": n}} for n in (6, 20, 1)], b
' "$T/log.jsonl"

# 3. API errors: 409 re-read and retried, 422 reported, 429 waited out.
ctl() {
  curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer $(cat "$T/server-token")" \
    -X POST "https://127.0.0.1:$PORT/_control" -d "$1" >/dev/null
}
ctl '{"fail": [{"op": "PATCH scale", "status": 409, "count": 1}]}'
inc "$TOOLS/act_script" k8s replicas prod web set:3 >"$T/o6" 2>&1
check "409: read again and retried once" \
  sh -c "grep -q '^set:3 rc=ok requested=3 ' '$T/o6' && [ $(logged 'PATCH scale' 409) = 1 ]"
ctl '{"fail": [{"op": "PATCH hpa", "status": 422, "count": 1}]}'
inc "$TOOLS/act_script" k8s hpa-min-replicas prod api-hpa set:7 get >"$T/o7" 2>&1
check "422: refused with the API's reason, the old floor kept" \
  sh -c "grep -q '^set:7 rc=refused .*HTTP 422 Invalid: injected' '$T/o7' && \
         grep -q '^get rc=ok requested=1 ' '$T/o7'"
ctl '{"fail": [{"op": "PATCH scale", "status": 429, "count": 1, "retry_after": 1}]}'
inc "$TOOLS/act_script" k8s replicas prod web set:4 >"$T/o8" 2>&1
check "429 with Retry-After: waited and retried" \
  sh -c "grep -q '^set:4 rc=ok requested=4 ' '$T/o8' && [ $(logged 'PATCH scale' 429) = 1 ]"

# 4. The service-account token rotates: a 401 makes the actuator re-read it.
cat >"$T/rotate.sh" <<SH
echo token-two >"$T/server-token"
echo token-two >"$T/sa/token"
SH
inc "$TOOLS/act_script" k8s replicas prod web get run:"$T/rotate.sh" set:2 \
  >"$T/o9" 2>&1
check "token rotation: 401, re-read, retried" \
  sh -c "grep -q '^set:2 rc=ok requested=2 ' '$T/o9' && [ $(logged 'GET deployments' 401) -ge 1 ]"
mkdir -p "$T/sa-bad" && cp "$T/sa/ca.crt" "$T/sa/namespace" "$T/sa-bad/" &&
  echo "not-the-token" >"$T/sa-bad/token"
inc K8S_SA_DIR="$T/sa-bad" "$TOOLS/act_script" k8s replicas prod web get >"$T/o10" 2>&1
check "a bad token: not authorised, and the token is not printed" \
  sh -c "grep -q '^get rc=not authorised .*HTTP 401 Unauthorized' '$T/o10' && \
         ! grep -q not-the-token '$T/o10'"

# 5. Kubeconfig: token + CA file; client certificate + CA data; refusals.
b64() { base64 -w0 "$1"; }
kubeconfig() {  # kubeconfig FILE CA-LINE USER-LINES...
  f=$1 ca=$2
  shift 2
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "current-context: test"
    echo "contexts:"
    echo "- name: other"
    echo "  context: {cluster: nowhere, user: nobody}"
    echo "- name: test"
    echo "  context: {cluster: local, user: me, namespace: prod}"
    echo "clusters:"
    echo "- name: local"
    echo "  cluster:"
    echo "    server: https://127.0.0.1:$PORT"
    echo "    $ca"
    echo "users:"
    echo "- name: me"
    echo "  user:"
    for l in "$@"; do echo "    $l"; done
  } >"$f"
}
cp "$T/ca.crt" "$T/kc-ca.crt"
kubeconfig "$T/kc1" "certificate-authority: kc-ca.crt" "token: token-two"
env -i PATH="$PATH" KUBECONFIG="$T/kc1" "$TOOLS/act_script" k8s replicas "" web get \
  >"$T/o11" 2>&1
check "kubeconfig (\$KUBECONFIG): token, CA path relative to the file, context namespace" \
  grep -q '^get rc=ok requested=2 ' "$T/o11"
kubeconfig "$T/kc2" "certificate-authority-data: $(b64 "$T/ca.crt")" \
  "client-certificate-data: $(b64 "$T/cli.crt")" "client-key-data: $(b64 "$T/cli.key")"
env -i PATH="$PATH" K8S_KUBECONFIG="$T/kc2" "$TOOLS/act_script" k8s replicas "" web set:3 \
  >"$T/o12" 2>&1
check "kubeconfig: client certificate and CA data" \
  sh -c "grep -q '^set:3 rc=ok requested=3 ' '$T/o12' && \
         tail -n 1 '$T/log.jsonl' | grep -q '\"auth\": \"cert\"'"
kubeconfig "$T/kc3" "certificate-authority-data: $(b64 "$T/otherca.crt")" "token: token-two"
env -i PATH="$PATH" K8S_KUBECONFIG="$T/kc3" "$TOOLS/act_script" k8s replicas "" web get \
  >"$T/o13" 2>&1
check "a server the CA did not sign: TLS error, nothing read" \
  grep -q '^get rc=input/output error .*\(SSL\|certificate\)' "$T/o13"
kubeconfig "$T/kc4" "insecure-skip-tls-verify: true" "token: token-two"
env -i PATH="$PATH" K8S_KUBECONFIG="$T/kc4" "$TOOLS/act_script" k8s replicas "" web get \
  >"$T/o14" 2>&1
check "insecure-skip-tls-verify is refused" grep -q 'init rc=.*insecure-skip-tls-verify' "$T/o14"
kubeconfig "$T/kc5" "certificate-authority: kc-ca.crt" "exec: {command: aws}"
env -i PATH="$PATH" K8S_KUBECONFIG="$T/kc5" "$TOOLS/act_script" k8s replicas "" web get \
  >"$T/o15" 2>&1
check "exec plugins are refused with a way out" grep -q 'init rc=.*exec.*token' "$T/o15"
env -i PATH="$PATH" "$TOOLS/act_script" k8s replicas prod web get >"$T/o16" 2>&1
check "no credentials at all: a clear error" grep -q 'init rc=.*no Kubernetes credentials' "$T/o16"

# 6. A dry run reads and plans, and never patches.
before=$(( $(logged "PATCH scale") + $(logged "PATCH hpa") ))
inc "$TOOLS/act_script" --dry-run k8s replicas prod web set:9 >"$T/o17" 2>&1
inc "$TOOLS/act_script" --dry-run k8s replicas prod api set:9 >>"$T/o17" 2>&1
m=$(( $(logged "PATCH scale") + $(logged "PATCH hpa") ))
check "dry run: reports what is there, never patches" \
  sh -c "grep -q '^set:9 rc=ok requested=3 ' '$T/o17' && [ $m = $before ]"
check "dry run: the HPA refusal shows as for real" \
  grep -q '^set:9 rc=refused .*HPA prod/api-hpa' "$T/o17"

# 7. IPv6: KUBERNETES_SERVICE_HOST=::1 is put in brackets.
if "$PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
  start_server k8s6 "$SERVERS/k8s_server.py" "$T/state.json" "$T/log6.jsonl" \
    "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/server-token" ::1
  env -i PATH="$PATH" KUBERNETES_SERVICE_HOST=::1 KUBERNETES_SERVICE_PORT="$PORT" \
    K8S_SA_DIR="$T/sa" "$TOOLS/act_script" k8s replicas "" web get >"$T/o18" 2>&1
  check "IPv6 service host" grep -q '^get rc=ok requested=2 ' "$T/o18"
else
  ok "IPv6 service host # skip: no IPv6 loopback here"
fi

# 8. Issue #12 item 11: refusals logged once per distinct message, the
# last reading kept after a read error, a dry run's 401 logged.  The
# IPv4 server again (section 7 may have started another).
PORT=$(cat "$T/k8s.port")
warns() {  # warns FILE TEXT: how many warn log lines hold TEXT
  grep '"level":"warn"' "$1" | grep -c -- "$2"
}
ctl '{"fail": [{"op": "PATCH hpa", "status": 422, "count": 2, "message": "spec.minReplicas: Invalid value: first"}, {"op": "PATCH hpa", "status": 422, "count": 1, "message": "spec.minReplicas: Invalid value: second"}]}'
inc "$TOOLS/act_script" k8s hpa-min-replicas prod api-hpa set:8 set:8 set:8 \
  >"$T/r1" 2>&1
check "422: logged at warn with the API's message, once per distinct one" \
  [ "$(grep -c '^set:8 rc=refused' "$T/r1")" = 3 -a \
    "$(warns "$T/r1" 'Invalid value: first')" = 1 -a \
    "$(warns "$T/r1" 'Invalid value: second')" = 1 ]
inc "$TOOLS/act_script" k8s replicas prod api set:4 set:4 set:4 >"$T/r2" 2>&1
check "an HPA in the way: refused three times, logged at warn once" \
  [ "$(grep -c '^set:4 rc=refused' "$T/r2")" = 3 -a \
    "$(warns "$T/r2" 'HPA prod/api-hpa')" = 1 ]
check "no token in the logs" sh -c "! grep -q token-two '$T/r1' '$T/r2'"

cat >"$T/fault-get.sh" <<SH
curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer \$(cat "$T/server-token")" \
  -X POST "https://127.0.0.1:$PORT/_control" \
  -d '{"fail": [{"op": "GET deployments", "status": 403, "count": 1, "reason": "Forbidden", "message": "denied"}]}' >/dev/null
SH
inc "$TOOLS/act_script" k8s replicas prod web get run:"$T/fault-get.sh" get \
  run:"$T/fault-get.sh" set:3 get >"$T/r3" 2>&1
r=$(field requested "$T/r3" 1)
check "a failed read: the last reading, flagged stale (S), not -1" \
  sh -c "grep -q '^get rc=not authorised requested=$r current=[0-9]* ready=[0-9]* flags=[A-Z]*S.* HTTP 403 Forbidden: denied' '$T/r3' && \
         grep -q '^set:3 rc=not authorised requested=$r current=[0-9]* ready=[0-9]* flags=[A-Z]*S' '$T/r3' && \
         grep -q '^get rc=ok requested=$r .*flags=[A-Z]* why=\$' '$T/r3'"

echo "not-the-token" >"$T/sa-bad/token"
inc K8S_SA_DIR="$T/sa-bad" "$TOOLS/act_script" --dry-run k8s replicas prod web \
  set:3 >"$T/r4" 2>&1
check "dry run, 401: what is known (nothing, -1, stale) and the API's reason" \
  grep -q '^set:3 rc=not authorised requested=-1 current=-1 ready=-1 flags=S why=kubernetes .*HTTP 401 Unauthorized' "$T/r4"
P=${PREWARM:-build/prewarm}
cat >"$T/kc-bad" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: prod}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: $T/ca.crt}}]
users: [{name: u, user: {token: not-the-token}}]
YAML
cat >"$T/run-bad.yaml" <<YAML
listen: 127.0.0.1:0
targets:
- name: web
  step: 60s
  source: {demo: {days: 21}}
  actuator:
    kubernetes: {mode: replicas, namespace: prod, name: web, kubeconfig: $T/kc-bad}
  policy: {unit_capacity: 1000, warmup: 120s, min: 2, max: 50}
YAML
"$P" run --config "$T/run-bad.yaml" --once --dry-run >"$T/r5.json" 2>"$T/r5.err"
rc=$?
check "run --dry-run, 401: exit 1 and a warn line with the API's reason" \
  sh -c "[ $rc = 1 ] && grep '\"level\":\"warn\"' '$T/r5.err' | grep -q '401 Unauthorized' && \
         ! grep -q not-the-token '$T/r5.err' '$T/r5.json'"
