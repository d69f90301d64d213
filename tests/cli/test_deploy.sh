#!/bin/sh
# deploy/ checked without a cluster: every manifest parses and has the
# fields it uses; the ConfigMap's configuration passes check-config; the
# Deployment runs two non-root replicas on a read-only root with the
# probes and the config mount the daemon expects; RBAC grants what the
# code calls and no more; the Dockerfile installs the runtime packages of
# every library the binary links (libc6, libgcc-s1 and the sanitizers'
# runtimes aside: the base image has the first two, make check adds the
# rest).
set -u
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3
$PY -c 'import yaml' 2>/dev/null || { skip_one "deploy/" "no python3-yaml"; exit 0; }
K=deploy/kubernetes

check "every manifest parses, each object with apiVersion, kind and a name" $PY - "$K" <<'PY'
import glob, sys, yaml
for f in glob.glob(sys.argv[1] + "/*.yaml"):
    for d in yaml.safe_load_all(open(f)):
        if d is None: continue
        if f.endswith("kustomization.yaml"):
            continue
        assert d["apiVersion"] and d["kind"] and d["metadata"]["name"], f
PY
check "the kustomization lists files that exist" $PY - "$K" <<'PY'
import os, sys, yaml
k = yaml.safe_load(open(sys.argv[1] + "/kustomization.yaml"))
for r in k["resources"]:
    assert os.path.exists(os.path.join(sys.argv[1], r)), r
PY
$PY -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["config.yaml"], end="")' \
  "$K/configmap.yaml" >"$T/config.yaml"
"$P" check-config "$T/config.yaml" >"$T/out" 2>&1
check "the ConfigMap's configuration passes check-config" sh -c "[ $? -eq 0 ]"
check "the Deployment: two replicas, non-root, read-only root, probes, config mount" $PY - "$K" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1] + "/deployment.yaml"))
s = d["spec"]
assert s["replicas"] == 2
pod = s["template"]["spec"]
assert pod["securityContext"]["runAsNonRoot"] is True
c = pod["containers"][0]
sc = c["securityContext"]
assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
assert sc["capabilities"]["drop"] == ["ALL"]
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
assert c["livenessProbe"]["httpGet"]["port"] in ports
cfg = c["args"][c["args"].index("--config") + 1]
mounts = [m["mountPath"] for m in c["volumeMounts"]]
assert any(cfg.startswith(m + "/") for m in mounts), (cfg, mounts)
assert any(e["name"] == "POD_NAME" and e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name" for e in c["env"])
sa = yaml.safe_load(open(sys.argv[1] + "/serviceaccount.yaml"))
assert pod["serviceAccountName"] == sa["metadata"]["name"]
svc = yaml.safe_load(open(sys.argv[1] + "/service.yaml"))
assert svc["spec"]["ports"][0]["targetPort"] in ports
PY
check "RBAC: exactly the verbs the code uses" $PY - "$K" <<'PY'
import sys, yaml
rules = []
for f in ("role.yaml", "target-rbac.yaml"):
    for d in yaml.safe_load_all(open(sys.argv[1] + "/" + f)):
        if d and d["kind"] == "Role":
            rules += d["rules"]
grant = {(g, r): set(x["verbs"]) for x in rules for g in x["apiGroups"] for r in x["resources"]}
want = {("coordination.k8s.io", "leases"): {"get", "create", "update"},
        ("apps", "deployments"): {"get"}, ("apps", "statefulsets"): {"get"},
        ("apps", "deployments/scale"): {"patch"}, ("apps", "statefulsets/scale"): {"patch"},
        ("autoscaling", "horizontalpodautoscalers"): {"get", "list", "patch"}}
assert grant == want, grant
PY
if command -v dpkg >/dev/null && command -v objdump >/dev/null; then
  for l in $(objdump -p "$P" | awk '/NEEDED/ {print $2}'); do
    dpkg -S "/usr/lib/x86_64-linux-gnu/$l" "/lib/x86_64-linux-gnu/$l" 2>/dev/null |
      head -n 1 | cut -d: -f1
  done | sort -u | grep -v -e '^libc6$' -e '^libgcc-s1$' -e '^libasan' -e '^libubsan' \
    -e '^libclang' >"$T/pkgs"
  check "the Dockerfile's runtime stage installs every library package ($(tr '\n' ' ' <"$T/pkgs"))" \
    sh -c "for p in \$(cat '$T/pkgs'); do
             sed -n '/^FROM debian:12-slim\$/,\$p' deploy/Dockerfile | grep -qw \"\$p\" || exit 1
           done"
else
  skip_one "Dockerfile packages" "no dpkg or objdump"
fi
# What the container runs (ENTRYPOINT, CMD, command and args combined) is
# checked by running it: tests/integration/test_deploy_run.sh.
check "the image runs as non-root; .dockerignore keeps the host's build/ out" sh -c "
  grep -q '^USER 65532:65532' deploy/Dockerfile &&
  grep -qx 'build' .dockerignore"
