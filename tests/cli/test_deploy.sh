#!/bin/sh
# deploy/ checked without a cluster: every manifest parses and has the
# fields it uses; the ConfigMap's configuration passes check-config; the
# Deployment runs two non-root replicas on a read-only root with the
# probes, the config mount the daemon expects and a writable volume for
# the decision log; RBAC grants what the code calls and no more; the
# PrometheusRule passes promtool and its alerts fire on the series they
# are for; the Grafana dashboard parses and every query names a metric
# prewarm exports; the Dockerfile installs the runtime packages of
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
check "the Deployment: two replicas, non-root, read-only root, probes, config mount, decision-log volume" $PY - "$K" <<'PY'
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
# The decision log is on a writable volume (the root is read-only).
cm = yaml.safe_load(open(sys.argv[1] + "/configmap.yaml"))
dlog = yaml.safe_load(cm["data"]["config.yaml"])["decision_log"]["path"]
vols = {v["name"]: v for v in pod["volumes"]}
rw = [m for m in c["volumeMounts"] if not m.get("readOnly")
      and dlog.startswith(m["mountPath"] + "/")]
assert rw and ("emptyDir" in vols[rw[0]["name"]] or
               "persistentVolumeClaim" in vols[rw[0]["name"]]), (dlog, rw)
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
        ("autoscaling", "horizontalpodautoscalers"): {"get", "list", "patch"},
        ("keda.sh", "scaledobjects"): {"get", "patch"},
        ("serving.knative.dev", "services"): {"get"},
        ("serving.knative.dev", "revisions"): {"get", "patch"}}
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

# The metrics prewarm exports, from the code that renders /metrics (a
# histogram's series end in _bucket, _count, _sum).
grep -ho '"prewarm_[a-z_]*' controller/ctl_metrics.c | tr -d '"' | sort -u \
  >"$T/metric_names"
# names FILE: every prewarm_* series an expression in FILE (one a line)
# reads is one /metrics has.
names_exported() {
  $PY - "$1" "$T/metric_names" <<'PY'
import re, sys
have = set(open(sys.argv[2]).read().split())
have |= {n + s for n in have for s in ("_bucket", "_count", "_sum")}
exprs = [l for l in open(sys.argv[1]).read().split("\n") if l.strip()]
assert exprs, "no expressions"
for e in exprs:
    used = set(re.findall(r"\bprewarm_[a-z_]+", e))
    assert used, "names no prewarm metric: " + e
    assert used <= have, "not exported: %s in %s" % (used - have, e)
PY
}
$PY - "$K/prometheusrule.yaml" "$T/rules.yaml" "$T/rule_exprs" \
  "$T/rules_bare.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["kind"] == "PrometheusRule", d["kind"]
yaml.safe_dump({"groups": d["spec"]["groups"]}, open(sys.argv[2], "w"))
# For promtool test rules, which compares annotations too: without them.
for g in d["spec"]["groups"]:
    for r in g["rules"]:
        r.pop("annotations", None)
yaml.safe_dump({"groups": d["spec"]["groups"]}, open(sys.argv[4], "w"))
open(sys.argv[3], "w").write("\n".join(" ".join(r["expr"].split())
    for g in d["spec"]["groups"] for r in g["rules"]) + "\n")
PY
check "the PrometheusRule's expressions read metrics prewarm exports" \
  names_exported "$T/rule_exprs"
if command -v promtool >/dev/null; then
  check "promtool check rules: the PrometheusRule's rules are valid" \
    sh -c "promtool check rules '$T/rules.yaml' >'$T/promtool.out' 2>&1" ||
    cat "$T/promtool.out"
  # Each alert fires on the series it is for, and not on healthy ones.
  cat >"$T/rules_test.yaml" <<YAML
rule_files: [$T/rules_bare.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'prewarm_target_stale{namespace="prewarm",instance="a",target="checkout"}'
    values: '0 1x20'
  - series: 'prewarm_target_stale{namespace="prewarm",instance="a",target="cart"}'
    values: '0x20'
  - series: 'prewarm_actuations_total{namespace="prewarm",instance="a",target="checkout",result="error"}'
    values: '0+1x40'
  - series: 'prewarm_actuations_total{namespace="prewarm",instance="a",target="checkout",result="ok"}'
    values: '0+1x40'
  - series: 'prewarm_target_forecast_error_ratio{namespace="prewarm",instance="a",target="checkout"}'
    values: '2.5x90'
  - series: 'prewarm_decisions_total{namespace="prewarm",instance="a",target="checkout",reason="fallback"}'
    values: '0+1x90'
  - series: 'prewarm_decision_log_failing{namespace="prewarm",pod="p",instance="a"}'
    values: '0 0 1x10'
  - series: 'prewarm_decision_log_errors_total{namespace="prewarm",pod="p",instance="a"}'
    values: '0 0 1+1x10'
  - series: 'prewarm_tick_duration_seconds_count{namespace="prewarm",instance="a"}'
    values: '0+1x5 5x30'
  - series: 'prewarm_leader{namespace="prewarm",instance="a"}'
    values: '1x5 0x10'
  - series: 'prewarm_leader{namespace="prewarm",instance="b"}'
    values: '0x15'
  alert_rule_test:
  - {eval_time: 15m, alertname: PrewarmSourceStale, exp_alerts: [{exp_labels: {severity: warning, namespace: prewarm, target: checkout}}]}
  - {eval_time: 5m, alertname: PrewarmSourceStale, exp_alerts: []}
  - {eval_time: 35m, alertname: PrewarmActuationErrors, exp_alerts: [{exp_labels: {severity: warning, namespace: prewarm, target: checkout, result: error}}]}
  - {eval_time: 85m, alertname: PrewarmForecastFallback, exp_alerts: [{exp_labels: {severity: info, namespace: prewarm, instance: a, target: checkout}}]}
  - {eval_time: 10m, alertname: PrewarmDecisionLogFailing, exp_alerts: [{exp_labels: {severity: warning, namespace: prewarm, pod: p, instance: a}}]}
  - {eval_time: 10m, alertname: PrewarmDecisionLogErrors, exp_alerts: [{exp_labels: {severity: info, namespace: prewarm, pod: p, instance: a}}]}
  - {eval_time: 10m, alertname: PrewarmLoopStuck, exp_alerts: []}
  - {eval_time: 30m, alertname: PrewarmLoopStuck, exp_alerts: [{exp_labels: {severity: critical, namespace: prewarm, instance: a}}]}
  - {eval_time: 12m, alertname: PrewarmNoLeader, exp_alerts: [{exp_labels: {severity: critical, namespace: prewarm}}]}
YAML
  check "promtool test rules: each alert fires on what it is for" \
    sh -c "promtool test rules '$T/rules_test.yaml' >'$T/promtest.out' 2>&1" ||
    cat "$T/promtest.out"
else
  skip_one "promtool check rules" "promtool not installed"
  skip_one "promtool test rules" "promtool not installed"
fi
check "the Grafana dashboard parses; each panel has a query" $PY - \
  deploy/grafana-dashboard.json "$T/dash_exprs" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["title"] and d["panels"], "no panels"
exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
assert all(p["targets"] for p in d["panels"])
open(sys.argv[2], "w").write("\n".join(exprs) + "\n")
PY
check "the Grafana dashboard's queries read metrics prewarm exports" \
  names_exported "$T/dash_exprs"
S=deploy/kubernetes-sharded
$PY -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["config.yaml"], end="")' \
  "$S/configmap.yaml" >"$T/sharded.yaml"
"$P" check-config "$T/sharded.yaml" >"$T/out" 2>&1
check "the sharded variant's configuration passes check-config" sh -c "[ $? -eq 0 ]"
check "the sharded variant: a StatefulSet with POD_NAME, the shards' Lease RBAC, files that exist" $PY - "$S" <<'PY'
import os, sys, yaml
s = sys.argv[1]
k = yaml.safe_load(open(s + "/kustomization.yaml"))
for r in k["resources"]:
    assert os.path.exists(os.path.join(s, r)), r
st = yaml.safe_load(open(s + "/statefulset.yaml"))
assert st["kind"] == "StatefulSet" and st["spec"]["replicas"] >= 2, st
assert st["spec"]["serviceName"] == "prewarm-replicas"
env = st["spec"]["template"]["spec"]["containers"][0]["env"]
assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in env
role = list(yaml.safe_load_all(open(s + "/role.yaml")))[0]
(rule,) = role["rules"]
assert rule["resources"] == ["leases"] and sorted(rule["verbs"]) == ["create", "get", "list", "update"], rule
cfg = yaml.safe_load(yaml.safe_load(open(s + "/configmap.yaml"))["data"]["config.yaml"])
assert cfg["sharding"]["identity_env"] == "POD_NAME" and "leader_election" not in cfg
PY
