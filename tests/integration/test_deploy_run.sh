#!/bin/sh
# The shipped container starts: its argv is built from deploy/ exactly as
# Docker and Kubernetes combine them (the image's ENTRYPOINT and CMD, the
# container's command and args: command replaces ENTRYPOINT and drops
# CMD, args replaces CMD), the binary and the ConfigMap's mount are mapped
# into the test folder, and it runs against the ConfigMap's configuration
# (its listen address moved to a free loopback port) with the Deployment's
# environment, the cluster being the local Kubernetes API server reached
# through KUBECONFIG.  It must start, serve /healthz, take the Lease, keep
# the unreachable in-cluster Prometheus as a stale source, and stop on
# SIGTERM.  Its decision log is written on the Deployment's volume.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
"$PY" -c 'import yaml' 2>/dev/null || skip_all "no python3-yaml"
P=${PREWARM:-build/prewarm}
case $P in /*) ;; *) P=$(pwd)/$P ;; esac

# The argv, one argument a line, with the image's paths as they are.
"$PY" - deploy/Dockerfile deploy/kubernetes/deployment.yaml \
  >"$T/argv" 2>"$T/argv.err" <<'PY'
import json, sys, yaml
def exec_form(line, word):
    v = line[len(word):].strip()
    assert v.startswith("["), "%s is not in exec form: %s" % (word, v)
    return json.loads(v)
entry, cmd = [], []
for line in open(sys.argv[1]):
    # The last stage's ENTRYPOINT/CMD win; a new FROM resets them.
    if line.startswith("FROM "):
        entry, cmd = [], []
    elif line.startswith("ENTRYPOINT "):
        entry, cmd = exec_form(line, "ENTRYPOINT"), []  # resets CMD
    elif line.startswith("CMD "):
        cmd = exec_form(line, "CMD")
d = yaml.safe_load(open(sys.argv[2]))
c = d["spec"]["template"]["spec"]["containers"][0]
if "command" in c:
    argv = c["command"] + c.get("args", [])
else:
    argv = entry + c.get("args", cmd)
print("\n".join(argv))
PY
check "deploy/ gives the container an argv" sh -c "[ -s '$T/argv' ]" ||
  cat "$T/argv.err"
check "the container runs the binary the image installs" \
  sh -c "[ \"\$(head -n 1 '$T/argv')\" = /usr/local/bin/prewarm ]"

# The ConfigMap mounted where the Deployment mounts it.
MNT=$("$PY" -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
print([m["mountPath"] for m in c["volumeMounts"] if m["name"] == "config"][0])
' deploy/kubernetes/deployment.yaml)
mkdir -p "$T/root$MNT"
# The other volumes (the decision log's) mapped too: the configuration's
# paths on them point into the test folder.
VOLS=$("$PY" -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
print(" ".join(m["mountPath"] for m in c["volumeMounts"] if m["name"] != "config"))
' deploy/kubernetes/deployment.yaml)
for v in $VOLS; do mkdir -p "$T/root$v"; done
LPORT=$(free_port)
"$PY" -c '
import sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
for k, v in cm["data"].items():
    if k == "config.yaml":
        v = "\n".join("listen: 127.0.0.1:" + sys.argv[3] if l.startswith("listen:")
                      else l for l in v.split("\n"))
        for m in sys.argv[4].split():
            v = v.replace(" " + m + "/", " " + sys.argv[5] + m + "/")
    open(sys.argv[2] + "/" + k, "w").write(v)
' deploy/kubernetes/configmap.yaml "$T/root$MNT" "$LPORT" "$VOLS" "$T/root"

# The cluster: the HPA the ConfigMap's target names, and the Deployment it
# scales.
make_test_ca
cat >"$T/state.json" <<'JSON'
{"ready_s": 0.2,
 "deployments": {"shop/checkout": {"metadata": {"name": "checkout", "namespace": "shop"},
   "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3}}},
 "hpas": {"shop/checkout": {"metadata": {"name": "checkout", "namespace": "shop"},
   "spec": {"minReplicas": 2, "maxReplicas": 60,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                               "name": "checkout"}},
   "status": {"currentReplicas": 3, "desiredReplicas": 3}}}}
JSON
echo "sa-token" >"$T/tokens"
start_server k8s "$SERVERS/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/tokens" 127.0.0.1
echo "sa-token" >"$T/token"
cat >"$T/kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: prewarm}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: token}}]
YAML

# Map the image's paths into the test folder, then run the exact argv.
sed -e "s|^/usr/local/bin/prewarm\$|$P|" -e "s|^$MNT/|$T/root$MNT/|" \
  "$T/argv" >"$T/argv.local"
(
  set --
  while IFS= read -r a; do set -- "$@" "$a"; done <"$T/argv.local"
  exec env POD_NAME=prewarm-0 KUBECONFIG="$T/kubeconfig" "$@"
) >"$T/out" 2>"$T/err" &
D=$!
PIDS="$PIDS $D"
up=0
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$LPORT/healthz" >/dev/null 2>&1 && { up=1; break; }
  kill -0 "$D" 2>/dev/null || break
  sleep 0.1
done
check "the container's command starts the daemon and /healthz answers" \
  [ "$up" = 1 ] || { cat "$T/argv.local" "$T/err"; }
check "no argument is refused" sh -c "! grep -q 'unexpected argument' '$T/err'"
leader=""
for _ in $(seq 1 50); do
  leader=$(curl -s "http://127.0.0.1:$LPORT/metrics" | sed -n 's/^prewarm_leader //p')
  [ "$leader" = 1 ] && break
  sleep 0.1
done
check "it takes the Lease the ConfigMap names (prewarm_leader 1)" [ "$leader" = 1 ]
check "the unreachable Prometheus leaves the target stale" sh -c "
  curl -s 'http://127.0.0.1:$LPORT/metrics' |
    grep -q '^prewarm_target_stale{target=\"checkout\"} 1'"
kill -TERM "$D"
rc=0
wait "$D" || rc=$?
check "SIGTERM stops it cleanly (exit $rc)" [ "$rc" = 0 ]
DLOG=$("$PY" -c '
import sys, yaml
c = yaml.safe_load(yaml.safe_load(open(sys.argv[1]))["data"]["config.yaml"])
print(c["decision_log"]["path"])
' deploy/kubernetes/configmap.yaml)
"$P" log show "$T/root$DLOG" >"$T/decisions.jsonl" 2>"$T/dlog.err"
check "the decision log is written on the Deployment's volume ($DLOG)" sh -c "
  grep -q '\"target\":\"checkout\"' '$T/decisions.jsonl' &&
  ! grep -q 'decision log: cannot\|cannot open' '$T/err'" ||
  cat "$T/dlog.err"
