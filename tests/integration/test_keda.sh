#!/bin/sh
# The keda and knative actuators (issue #15) against the local API server
# (tests/servers/k8s_server.py) over TLS, in-cluster auth: a floor raised
# ahead of a burst and given back to the user's own value, a zero forecast
# giving back the user's floor (so the platform may scale to zero), limits
# (maxReplicaCount, max-scale), a 409 re-read and retried, a 422/400
# refusal with the API's message, and a dry run that changes nothing.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3 (the API server is a Python script)"
make_test_ca

cat >"$T/state.json" <<'JSON'
{"ready_s": 0.3,
 "deployments": {
   "prod/worker": {"metadata": {"name": "worker", "namespace": "prod"},
                   "spec": {"replicas": 1}, "status": {"replicas": 1, "readyReplicas": 1}}},
 "scaledobjects": {
   "prod/worker-so": {"metadata": {"name": "worker-so", "namespace": "prod"},
                      "spec": {"scaleTargetRef": {"name": "worker"},
                               "minReplicaCount": 1, "maxReplicaCount": 8,
                               "triggers": [{"type": "cron"}]}},
   "prod/zero-so": {"metadata": {"name": "zero-so", "namespace": "prod"},
                    "spec": {"scaleTargetRef": {"kind": "Rollout", "name": "r"},
                             "triggers": [{"type": "kafka"}]}},
   "prod/idle-so": {"metadata": {"name": "idle-so", "namespace": "prod"},
                    "spec": {"scaleTargetRef": {"name": "worker"}, "idleReplicaCount": 0,
                             "minReplicaCount": 1, "triggers": [{"type": "kafka"}]}}},
 "ksvcs": {
   "prod/hello": {"metadata": {"name": "hello", "namespace": "prod"},
                  "spec": {"template": {"metadata": {"annotations":
                           {"autoscaling.knative.dev/min-scale": "1"}}}},
                  "status": {"latestReadyRevisionName": "hello-00002"}}},
 "revisions": {
   "prod/hello-00002": {"metadata": {"name": "hello-00002", "namespace": "prod",
                        "annotations": {"autoscaling.knative.dev/min-scale": "1",
                                        "autoscaling.knative.dev/max-scale": "10"}},
                        "spec": {"containerConcurrency": 0},
                        "status": {"actualReplicas": 1, "desiredReplicas": 1}},
   "prod/hello-00003": {"metadata": {"name": "hello-00003", "namespace": "prod",
                        "annotations": {"autoscaling.knative.dev/minScale": "2"}},
                        "spec": {"containerConcurrency": 0},
                        "status": {"actualReplicas": 2, "desiredReplicas": 2}}}}
JSON
echo "token-one" >"$T/server-token"
start_server k8s "$SERVERS/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/server-token" 127.0.0.1
mkdir -p "$T/sa"
cp "$T/ca.crt" "$T/sa/ca.crt"
echo "token-one" >"$T/sa/token"
printf 'prod\n' >"$T/sa/namespace"
inc() {  # in-cluster
  env -i PATH="$PATH" KUBERNETES_SERVICE_HOST=127.0.0.1 \
    KUBERNETES_SERVICE_PORT="$PORT" K8S_SA_DIR="$T/sa" "$@"
}
ctl() {
  curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer token-one" \
    -X POST "https://127.0.0.1:$PORT/_control" -d "$1" >/dev/null
}
bodies() {  # bodies OP: the JSON bodies of the successful requests OP
  "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["op"] == sys.argv[2] and e["status"] == 200:
        print(json.dumps(json.loads(e["body"]), sort_keys=True))
' "$T/log.jsonl" "$1"
}
obj() {  # obj PATH: the object as the server has it now
  curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer token-one" \
    "https://127.0.0.1:$PORT$1"
}
cat >"$T/deploy.sh" <<SH
curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer token-one" \
  -X POST "https://127.0.0.1:$PORT/_control" -d '{"latest": {"prod/hello": "hello-00003"}}' >/dev/null
SH
SO=/apis/keda.sh/v1alpha1/namespaces/prod/scaledobjects
REV=/apis/serving.knative.dev/v1/namespaces/prod/revisions

# 1. KEDA: raise ahead of a burst, give back the user's value after it.
inc "$TOOLS/act_script" keda "" worker-so get set:5 until-ready:5:5000 \
  set:20 set:0 get >"$T/o1" 2>&1
check "keda: reads minReplicaCount and the Deployment's ready pods" \
  grep -q '^get rc=ok requested=1 current=1 ready=1 flags= ' "$T/o1"
check "keda: the floor raised at once, ready later" \
  grep -q '^set:5 rc=ok requested=5 current=[0-9]* ready=1 flags=P ' "$T/o1"
check "keda: KEDA scales the target to the new floor" \
  grep -q '^until-ready:5:5000 rc=ok requested=5 current=5 ready=5' "$T/o1"
check "keda: above maxReplicaCount: cut to it" \
  grep -q '^set:20 rc=ok requested=8 .*flags=L.*cut to the maxReplicaCount of ScaledObject prod/worker-so' "$T/o1"
check "keda: a zero forecast gives back the user's floor (1)" \
  grep -q '^set:0 rc=ok requested=1 ' "$T/o1"
check "keda: conditional merge patches that record and then drop the user's value" "$PY" -c '
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
p = [e for e in p if e["op"] == "PATCH scaledobject"]
assert len(p) == 3, p
assert all(e["content_type"] == "application/merge-patch+json" for e in p)
assert all(e["path"] == "/apis/keda.sh/v1alpha1/namespaces/prod/scaledobjects/worker-so" for e in p)
b = [json.loads(e["body"]) for e in p]
assert all(x["metadata"]["resourceVersion"] for x in b), b
mark = "prewarm.io/user-min-replica-count"
assert [x["spec"]["minReplicaCount"] for x in b] == [5, 8, 1], b
assert [x["metadata"]["annotations"][mark] for x in b] == ["1", "1", None], b
' "$T/log.jsonl"
check "keda: the object ends as the user left it" "$PY" -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["spec"]["minReplicaCount"] == 1, o
assert "prewarm.io/user-min-replica-count" not in o["metadata"].get("annotations", {}), o
' "$(obj $SO/worker-so)"

# 2. A restart while raised still gives back the user's value (the mark).
inc "$TOOLS/act_script" keda prod worker-so set:4 >"$T/o2a" 2>&1
inc "$TOOLS/act_script" keda prod worker-so get set:2 set:0 >"$T/o2" 2>&1
check "keda: a new process reads the raised floor and gives back 1, not 4" \
  sh -c "grep -q '^get rc=ok requested=4 ' '$T/o2' && grep -q '^set:2 rc=ok requested=2 ' '$T/o2' && grep -q '^set:0 rc=ok requested=1 ' '$T/o2'"

# 3. Scale to zero: minReplicaCount absent (0), a target of another kind.
inc "$TOOLS/act_script" keda prod zero-so get set:3 set:0 >"$T/o3" 2>&1
check "keda: another scale target kind: ready unknown (-1)" \
  grep -q '^get rc=ok requested=0 current=-1 ready=-1 flags= ' "$T/o3"
check "keda: zero forecast: the floor back to 0, so KEDA may scale to zero" \
  sh -c "grep -q '^set:3 rc=ok requested=3 ' '$T/o3' && grep -q '^set:0 rc=ok requested=0 ' '$T/o3'"
check "keda: the last patch of zero-so: minReplicaCount 0, the mark removed" "$PY" -c '
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(e["body"]) for e in p if e["op"] == "PATCH scaledobject" and "zero-so" in e["path"]]
assert b[-1]["spec"] == {"minReplicaCount": 0}, b
assert b[-1]["metadata"]["annotations"] == {"prewarm.io/user-min-replica-count": None}, b
' "$T/log.jsonl"

# 4. idleReplicaCount: a floor to give back must stay above it.
inc RESTORE_MIN=0 "$TOOLS/act_script" keda prod idle-so set:3 >"$T/o4" 2>&1
check "keda: restore_min at or below idleReplicaCount: refused, nothing sent" \
  sh -c "grep -q '^set:3 rc=refused .*flags=R .*must be above its idleReplicaCount 0' '$T/o4' && \
         ! grep '\"PATCH' '$T/log.jsonl' | grep -q idle-so"
inc "$TOOLS/act_script" keda prod idle-so set:0 set:3 set:0 >"$T/o4b" 2>&1
check "keda: with idleReplicaCount, the user's floor 1 is given back" \
  sh -c "grep -q '^set:0 rc=ok requested=1 .*flags=U' '$T/o4b' && grep -q '^set:3 rc=ok requested=3 ' '$T/o4b' && \
         tail -n 1 '$T/o4b' | grep -q '^set:0 rc=ok requested=1 '"

# 5. Conflicts: one 409 re-read and retried; three in a row deferred.
ctl '{"fail": [{"op": "PATCH scaledobject", "status": 409, "count": 1}]}'
inc "$TOOLS/act_script" keda prod worker-so set:6 >"$T/o5" 2>&1
check "keda: 409: read again and retried with the new resourceVersion" \
  sh -c "grep -q '^set:6 rc=ok requested=6 ' '$T/o5' && \
         [ \$(grep '\"PATCH scaledobject\"' '$T/log.jsonl' | grep -c '\"status\": 409') = 1 ]"
ctl '{"fail": [{"op": "PATCH scaledobject", "status": 409, "count": 3}]}'
inc "$TOOLS/act_script" keda prod worker-so set:7 get >"$T/o6" 2>&1
check "keda: 409 three times: deferred (D), logged at warn, the floor kept" \
  sh -c "grep -q '^set:7 rc=ok requested=6 .*flags=[A-Z]*D.*HTTP 409 Conflict' '$T/o6' && \
         grep '\"level\":\"warn\"' '$T/o6' | grep -q 'floor deferred' && \
         grep -q '^get rc=ok requested=6 ' '$T/o6'"
ctl '{"fail": [{"op": "PATCH scaledobject", "status": 422, "count": 1, "message": "spec: Invalid value: \"object\": minReplicaCount must be less than or equal to maxReplicaCount"}]}'
inc "$TOOLS/act_script" keda prod worker-so set:2 >"$T/o7" 2>&1
check "keda: 422 Invalid: refused with the API's message, logged at warn" \
  sh -c "grep -q '^set:2 rc=refused .*HTTP 422 Invalid: spec: Invalid value' '$T/o7' && \
         grep '\"level\":\"warn\"' '$T/o7' | grep -q 'minReplicaCount must be less'"

# 6. The server's own checks: a stale resourceVersion and min > max.
check "server: stale resourceVersion is 409 with a Status body" sh -c "
  curl -s --cacert '$T/ca.crt' -H 'Authorization: Bearer token-one' -X PATCH \
    -H 'Content-Type: application/merge-patch+json' \
    -d '{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"minReplicaCount\":2}}' \
    'https://127.0.0.1:$PORT$SO/worker-so' | grep -q '\"code\": 409'"
check "server: minReplicaCount above maxReplicaCount is 422 Invalid" sh -c "
  curl -s --cacert '$T/ca.crt' -H 'Authorization: Bearer token-one' -X PATCH \
    -H 'Content-Type: application/merge-patch+json' -d '{\"spec\":{\"minReplicaCount\":9}}' \
    'https://127.0.0.1:$PORT$SO/worker-so' | grep -q '\"reason\": \"Invalid\"'"
check "server: application/json on PATCH is 415" sh -c "
  curl -s --cacert '$T/ca.crt' -H 'Authorization: Bearer token-one' -X PATCH \
    -H 'Content-Type: application/json' -d '{\"spec\":{\"minReplicaCount\":2}}' \
    'https://127.0.0.1:$PORT$SO/worker-so' | grep -q '\"code\": 415'"

# 7. Knative: the Revision's min-scale annotation; never the Service.
inc "$TOOLS/act_script" knative "" hello get set:4 until-ready:4:5000 set:30 \
  set:0 get >"$T/k1" 2>&1
check "knative: reads min-scale and the revision's ready pods" \
  grep -q '^get rc=ok requested=1 current=1 ready=1 flags= ' "$T/k1"
check "knative: min-scale raised on the revision; pods ready later" \
  sh -c "grep -q '^set:4 rc=ok requested=4 current=[0-9]* ready=1 flags=P ' '$T/k1' && \
         grep -q '^until-ready:4:5000 rc=ok requested=4 current=4 ready=4' '$T/k1'"
check "knative: above max-scale: cut to it" \
  grep -q '^set:30 rc=ok requested=10 .*flags=L.*max-scale of Revision prod/hello-00002' "$T/k1"
check "knative: a zero forecast gives back the user's min-scale" \
  grep -q '^set:0 rc=ok requested=1 ' "$T/k1"
check "knative: merge patches of the Revision's annotations only, never the Service" "$PY" -c '
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
assert not [e for e in p if e["op"] == "PATCH ksvc"], "patched the Service"
p = [e for e in p if e["op"] == "PATCH revision"]
assert all(e["content_type"] == "application/merge-patch+json" for e in p)
b = [json.loads(e["body"]) for e in p]
assert all(set(x) == {"metadata"} and x["metadata"]["resourceVersion"] for x in b), b
a = [x["metadata"]["annotations"] for x in b]
assert [x["autoscaling.knative.dev/min-scale"] for x in a] == ["4", "10", "1"], a
assert [x["prewarm.io/user-min-scale"] for x in a] == ["1", "1", None], a
' "$T/log.jsonl"
check "knative: the revision ends as the user left it; no new revision" "$PY" -c '
import json, sys
o = json.loads(sys.argv[1])
a = o["metadata"]["annotations"]
assert a["autoscaling.knative.dev/min-scale"] == "1" and "prewarm.io/user-min-scale" not in a, a
' "$(obj $REV/hello-00002)"

ctl '{"fail": [{"op": "PATCH revision", "status": 409, "count": 1}]}'
inc "$TOOLS/act_script" knative prod hello set:3 set:0 >"$T/k2" 2>&1
check "knative: 409 re-read and retried" grep -q '^set:3 rc=ok requested=3 ' "$T/k2"
# The webhook refuses min-scale above max-scale: lower max-scale behind
# prewarm's back is not possible here, so inject the webhook's answer.
ctl '{"fail": [{"op": "PATCH revision", "status": 400, "count": 1, "reason": "BadRequest", "message": "admission webhook \"validation.webhook.serving.knative.dev\" denied the request: validation failed: max-scale=3 is less than min-scale=5"}]}'
inc "$TOOLS/act_script" knative prod hello set:5 get >"$T/k3" 2>&1
check "knative: a webhook denial is a refusal with its message; floor kept" \
  sh -c "grep -q '^set:5 rc=refused .*HTTP 400 BadRequest: admission webhook.*max-scale=3' '$T/k3' && \
         grep -q '^get rc=ok requested=1 ' '$T/k3'"
check "server: a revision's spec is immutable (webhook 400)" sh -c "
  curl -s --cacert '$T/ca.crt' -H 'Authorization: Bearer token-one' -X PATCH \
    -H 'Content-Type: application/merge-patch+json' -d '{\"spec\":{\"containerConcurrency\":5}}' \
    'https://127.0.0.1:$PORT$REV/hello-00002' | grep -q 'Immutable fields changed'"
check "server: min-scale above max-scale is refused by the webhook" sh -c "
  curl -s --cacert '$T/ca.crt' -H 'Authorization: Bearer token-one' -X PATCH \
    -H 'Content-Type: application/merge-patch+json' \
    -d '{\"metadata\":{\"annotations\":{\"autoscaling.knative.dev/min-scale\":\"11\"}}}' \
    'https://127.0.0.1:$PORT$REV/hello-00002' | grep -q 'max-scale=10 is less than min-scale=11'"

# A new deploy while raised: the floor moves to the new revision, and the
# old one gets the user's value back (in set, never in a dry run's read).
inc "$TOOLS/act_script" knative prod hello set:6 \
  run:"$T/deploy.sh" get set:6 set:0 >"$T/k4" 2>&1
check "knative: a new revision: raised there, the old one given back" "$PY" -c '
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
p = [e for e in p if e["op"] == "PATCH revision" and e["status"] == 200][-4:]
got = [(e["path"].rsplit("/", 1)[1], json.loads(e["body"])["metadata"]["annotations"]) for e in p]
m, u = "autoscaling.knative.dev/min-scale", "prewarm.io/user-min-scale"
assert got[0] == ("hello-00002", {m: "6", u: "1"}), got
assert got[1] == ("hello-00002", {m: "1", u: None}), got
assert got[2] == ("hello-00003", {m: "6", u: ""}), got
assert got[3] == ("hello-00003", {m: None, u: None}), got
' "$T/log.jsonl"
check "knative: the new revision read with the older minScale key (2)" \
  sh -c "grep -q '^get rc=ok requested=2 ' '$T/k4' && tail -n 1 '$T/k4' | grep -q '^set:0 rc=ok requested=2 '"
check "knative: both revisions end as the user left them" "$PY" -c '
import json, sys
a, b = (json.loads(x)["metadata"]["annotations"] for x in sys.argv[1:3])
assert a == {"autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/max-scale": "10"}, a
assert b == {"autoscaling.knative.dev/minScale": "2"}, b
' "$(obj $REV/hello-00002)" "$(obj $REV/hello-00003)"

# 8. A dry run reads and plans, and changes nothing on the server.
before=$(obj $SO/worker-so)$(obj $REV/hello-00003)
npatch=$(grep -c '"PATCH' "$T/log.jsonl")
inc "$TOOLS/act_script" --dry-run keda prod worker-so set:7 >"$T/d1" 2>&1
inc "$TOOLS/act_script" --dry-run knative prod hello set:7 >>"$T/d1" 2>&1
after=$(obj $SO/worker-so)$(obj $REV/hello-00003)
check "dry run: what is there is reported, nothing is patched" \
  sh -c "[ \$(grep -c '^set:7 rc=ok requested=' '$T/d1') = 2 ] && \
         [ \$(grep -c '\"PATCH' '$T/log.jsonl') = $npatch ] && [ '$before' = '$after' ]"

# 9. Wired into the daemon: run --once --dry-run with each actuator kind
# reads the object through the configured kubeconfig and patches nothing.
cat >"$T/kc" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: prod}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: $T/ca.crt}}]
users: [{name: u, user: {token: token-one}}]
YAML
cat >"$T/run.yaml" <<YAML
listen: 127.0.0.1:0
targets:
- name: worker
  step: 60s
  source: {demo: {days: 21}}
  actuator:
    keda: {name: worker-so, kubeconfig: $T/kc}
  policy: {unit_capacity: 1000, warmup: 120s, min: 0, max: 50}
- name: hello
  step: 60s
  source: {demo: {days: 21}}
  actuator:
    knative: {name: hello, kubeconfig: $T/kc, restore_min: 1}
  policy: {unit_capacity: 1000, warmup: 120s, min: 0, max: 50}
YAML
npatch=$(grep -c '"PATCH' "$T/log.jsonl")
nso=$(grep -c '"GET scaledobject"' "$T/log.jsonl")
nrev=$(grep -c '"GET revision"' "$T/log.jsonl")
"$P" run --config "$T/run.yaml" --once --dry-run >"$T/run.json" 2>"$T/run.err"
rc=$?
check "run --once --dry-run with keda and knative targets: read, not patched" \
  sh -c "[ $rc = 0 ] && [ \$(grep -c '\"PATCH' '$T/log.jsonl') = $npatch ] && \
         [ \$(grep -c '\"GET scaledobject\"' '$T/log.jsonl') -gt $nso ] && \
         [ \$(grep -c '\"GET revision\"' '$T/log.jsonl') -gt $nrev ]"
