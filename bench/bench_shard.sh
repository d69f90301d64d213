#!/bin/sh
# The handover part of bench_shard (see bench/bench_shard.c): starts the
# local Kubernetes API server of the tests (real Lease semantics:
# resourceVersion conflicts, MicroTime) and runs ten ctl_shard managers
# against it.  Run by make bench; needs python3 and openssl.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-build/bench/bench_shard}
PY=python3
command -v "$PY" >/dev/null || { echo "bench_shard: handover skipped (no python3)"; exit 0; }
command -v openssl >/dev/null || { echo "bench_shard: handover skipped (no openssl)"; exit 0; }
T=$(mktemp -d)
SRV=""
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"' EXIT
# The same test CA as tests/integration/lib.sh's make_test_ca.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ca" \
  -keyout "$T/ca.key" -out "$T/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=apiserver" \
  -keyout "$T/srv.key" -out "$T/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
  -CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/srv.crt" \
  >/dev/null 2>&1
echo '{}' >"$T/state.json"
printf 'admin\ntok\n' >"$T/tokens"
echo tok >"$T/token"
"$PY" "$HERE/../tests/servers/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/tokens" 127.0.0.1 \
  "$T/port" 2>"$T/k8s.err" &
SRV=$!
for _ in $(seq 1 100); do
  [ -s "$T/port" ] && break
  sleep 0.1
done
PORT=$(cat "$T/port" 2>/dev/null)
[ -n "$PORT" ] || { cat "$T/k8s.err"; echo "bench_shard: the API server did not start"; exit 1; }
cat >"$T/kc.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: bench}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: token}}]
YAML
PREWARM_SHARD_KUBECONFIG="$T/kc.yaml" "$BENCH"
