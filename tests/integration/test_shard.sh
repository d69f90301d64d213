#!/bin/sh
# Sharding (issue 16): three prewarm run daemons share 1,012 targets (1,000
# dry-run, 12 Kubernetes) over 12 shards, each shard owned through its own
# Lease on the local Kubernetes API server (resourceVersion conflicts,
# MicroTime).  Each holds ceil(12/3) = 4 shards and builds only their
# targets; killing one moves its shards to the others within the lease
# duration plus the retry period, and no deployment is touched by a
# replica outside its own lease term; restarting it rebalances.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3"
P=${PREWARM:-build/prewarm}
make_test_ca
"$PY" - "$T/state.json" <<'PY'
import json, sys
d = {"ready_s": 0.2, "deployments": {}}
for i in range(12):
    d["deployments"]["shop/k%d" % i] = {
        "metadata": {"name": "k%d" % i, "namespace": "shop"},
        "spec": {"replicas": 1}, "status": {"replicas": 1, "readyReplicas": 1}}
json.dump(d, open(sys.argv[1], "w"))
PY
printf 'admin\ntokA\ntokB\ntokC\n' >"$T/tokens"
start_server k8s "$SERVERS/k8s_server.py" "$T/state.json" "$T/log.jsonl" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" "$T/tokens" 127.0.0.1
KPORT=$PORT
for who in A B C; do
  echo "tok$who" >"$T/token$who"
  cat >"$T/kc$who.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u, namespace: shop}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$KPORT", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: token$who}}]
YAML
  {
    cat <<YAML
listen: 127.0.0.1:0
speed: 60
workers: 2
decision_log: {path: $T/dlog$who}
sharding:
  shards: 12
  lease_prefix: prewarm-shard
  kubeconfig: $T/kc$who.yaml
  lease_duration: 3s
  renew_deadline: 2s
  retry_period: 500ms
targets:
YAML
    i=0
    while [ $i -lt 12 ]; do
      cat <<YAML
- name: k$i
  step: 60s
  source: {demo: {days: 1, seed: $i}}
  forecast: {model: snaive, history: 1h}
  actuator:
    kubernetes: {mode: replicas, name: k$i, kubeconfig: $T/kc$who.yaml}
  policy: {unit_capacity: 1000, warmup: 120s, min: 2, max: 50}
YAML
      i=$((i + 1))
    done
    "$PY" -c '
for i in range(1000):
    print("- {name: t%04d, step: 60s, source: {demo: {days: 1, seed: %d}}, "
          "forecast: {model: snaive, history: 1h}, actuator: {dryrun: {}}, "
          "policy: {unit_capacity: 1000, warmup: 120s, min: 1, max: 50}}"
          % (i, i))'
  } >"$T/run$who.yaml"
done
PA=$(free_port)
PB=$(free_port)
PC=$(free_port)
start() {  # start WHO PORT
  POD_NAME=r-$(echo "$1" | tr A-Z a-z) "$P" run --config "$T/run$1.yaml" \
    --listen "127.0.0.1:$2" 2>>"$T/$1.err" &
}
start A "$PA"
A=$!
start B "$PB"
B=$!
start C "$PC"
C=$!
PIDS="$PIDS $A $B $C"
owned() {  # owned PORT: the shards it holds, "0 3 7 ..."
  curl -s "http://127.0.0.1:$1/metrics" |
    sed -n 's/^prewarm_shard_owned{shard="\([0-9]*\)"} 1$/\1/p' | tr '\n' ' '
}
count() { set -- $1; echo $#; }
# settle PORTS... COUNT: waits (at most 20 s) until each holds COUNT shards.
settle() {
  want=$1
  shift
  for _ in $(seq 1 100); do
    ok=1
    for p in "$@"; do
      [ "$(count "$(owned "$p")")" = "$want" ] || ok=0
    done
    [ $ok = 1 ] && return 0
    sleep 0.2
  done
  return 1
}
check "three replicas: ceil(12/3) = 4 shards each" settle 4 "$PA" "$PB" "$PC"
sleep 2   # a few ticks with the shards settled
for p in A B C; do
  eval port=\$P$p
  curl -s "http://127.0.0.1:$port/api/v1/shards" >"$T/shards$p.json"
done
check "every target built by exactly one replica, in the shard its FNV-1a name hash says" \
  "$PY" - "$T/shardsA.json" "$T/shardsB.json" "$T/shardsC.json" <<'PY'
import json, sys
def shard(name, n=12):
    h = 14695981039346656037
    for c in name.encode():
        h = ((h ^ c) * 1099511628211) % 2**64
    return h % n
seen = {}
owners = {}
for f in sys.argv[1:]:
    v = json.load(open(f))
    assert v["live_replicas"] == 3 and v["fair_share"] == 4, v
    for l in v["leases"]:
        assert l["holder"], l   # every shard held, and its holder shown
        if l["owned"]:
            assert l["holder"] == v["identity"], l
            assert owners.setdefault(l["shard"], v["identity"]) == v["identity"]
        else:
            assert not l["targets"], l
        for t in l["targets"]:
            assert t not in seen, t
            assert shard(t) == l["shard"], (t, l["shard"])
            seen[t] = v["identity"]
assert len(owners) == 12, owners
assert len(seen) == 1012, len(seen)
PY
# Exactly once per tick: a replica decides each of its targets once per
# tick (no two decisions of one target at one tick), and the decisions of
# the last ticks come, for each target, from one replica.
check "each target decided once per tick, by one replica" \
  sh -c '"$0" log show "$1/dlogA" >"$1/dA" 2>/dev/null; "$0" log show "$1/dlogB" >"$1/dB" 2>/dev/null; "$0" log show "$1/dlogC" >"$1/dC" 2>/dev/null; "$2" - "$1" <<"PY"
import json, sys, collections
t = sys.argv[1]
last = {}
for r in "ABC":
    rows = [json.loads(l) for l in open(t + "/d" + r) if l.strip()]
    seen = collections.Counter((x["target"], x["time_ms"]) for x in rows)
    dup = [k for k, n in seen.items() if n > 1]
    assert not dup, dup[:5]
    # The newest tick may be half written: the two before it.
    ticks = sorted(set(x["time_ms"] for x in rows))[-3:-1]
    for x in rows:
        if x["time_ms"] in ticks and x["leader"]:
            last.setdefault(x["target"], set()).add(r)
both = [k for k, v in last.items() if len(v) > 1]
assert not both, both[:5]
assert len(last) == 1012, len(last)
PY' "$P" "$T" "$PY"
before=$(owned "$PA")
kill -HUP "$A"
reloaded() {
  curl -s "http://127.0.0.1:$PA/metrics" |
    grep -q '^prewarm_config_reloads_total{result="ok"} 1$'
}
for _ in $(seq 1 50); do reloaded && break; sleep 0.1; done
check "SIGHUP: A reloads and keeps its shards and their Leases" \
  sh -c "[ '$(reloaded && echo y)' = y ] && [ \"\$1\" = '$before' ]" - "$(owned "$PA")"
kill -KILL "$C"   # no release: its shards expire
t_kill=$("$PY" -c 'import time; print(time.time())')
check "C gone: A and B take its shards, 6 each" settle 6 "$PA" "$PB"
t_start=$("$PY" -c 'import time; print(time.time())')
start C "$PC"
C=$!
PIDS="$PIDS $C"
check "C back: the shards rebalance, 4 each" settle 4 "$PA" "$PB" "$PC"
sleep 1
check "handovers within the bounds; no deployment touched outside its lease term" \
  "$PY" - "$T/log.jsonl" "$t_kill" "$t_start" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
kill, restart = float(sys.argv[2]), float(sys.argv[3])
who = {"token:tokA": "r-a", "token:tokB": "r-b", "token:tokC": "r-c"}
def shard(name, n=12):
    h = 14695981039346656037
    for c in name.encode():
        h = ((h ^ c) * 1099511628211) % 2**64
    return h % n
# Each shard's Lease history: (t, holder) of every accepted write.
hist = {}
for e in log:
    if e["op"] in ("PUT lease", "POST leases") and e["status"] in (200, 201):
        b = json.loads(e["body"])
        name = b["metadata"]["name"]
        if name.startswith("prewarm-shard-") and name[14:].isdigit():
            hist.setdefault(int(name[14:]), []).append(
                (e["t"], b["spec"]["holderIdentity"]))
assert len(hist) == 12, sorted(hist)
# Terms: from a holder's first write to the next write by anyone else
# (a release, "", ends a term too).
def terms(k):
    out, cur = [], None
    for t, h in hist[k]:
        if cur and cur[0] != h:
            out.append((cur[0], cur[1], t))
            cur = None
        if h and not cur:
            cur = (h, t)
    if cur:
        out.append((cur[0], cur[1], float("inf")))
    return out
bad = []
for e in log:
    if e["op"] not in ("GET deployments", "PATCH scale"):
        continue
    name = e["path"].rsplit("/", 2)[-2 if e["op"] == "PATCH scale" else -1]
    k, w = shard(name), who[e["auth"]]
    if not any(h == w and a <= e["t"] <= b for h, a, b in terms(k)):
        bad.append((name, k, w, e["t"]))
assert not bad, bad[:5]
# C killed: its shards were taken within lease duration (3 s) + two
# jittered retries (0.6 s each) + one round's requests (a list, a member
# renewal and six shard renewals, about 1 s on this Python server), after
# its last renewal.
gaps = []
for k, h in hist.items():
    c_last = [t for t, x in h if x == "r-c" and t < kill]
    took = [t for t, x in h if x in ("r-a", "r-b") and t > kill]
    if c_last and [x for t, x in h if t < kill][-1] == "r-c":
        gaps.append(min(took) - max(c_last))
assert len(gaps) == 4, (gaps, {k: [(round(t - kill, 2), x) for t, x in h
                                    if abs(t - kill) < 5] for k, h in hist.items()})
assert max(gaps) <= 3.0 + 2 * 0.6 + 1.0, gaps
assert min(gaps) >= 3.0, gaps
# C back: the shards it got were released by their holder first, and
# taken by C less than a lease duration (3 s) later.
moves = []
for k, h in hist.items():
    after = [(t, x) for t, x in h if t > restart]
    for (t0, x0), (t1, x1) in zip(after, after[1:]):
        if x0 == "" and x1 == "r-c":
            moves.append(t1 - t0)
assert len(moves) == 4, (moves, {k: [(round(t - restart, 2), x)
    for t, x in h if t > restart][:8] for k, h in hist.items()})
assert max(moves) < 3.0, moves
print("# takeover after a kill: %.2f-%.2f s; rebalance gap %.2f-%.2f s"
      % (min(gaps), max(gaps), min(moves), max(moves)))
PY
check "every Lease write has MicroTime (the server refuses others)" \
  sh -c "! grep -q '\"op\": \"PUT lease\", \"status\": 400' '$T/log.jsonl'"
kill -TERM "$A" "$B" "$C"
wait "$A"
ra=$?
check "SIGTERM: exits 0" [ "$ra" = 0 ]
wait "$B" "$C"
holders=$(curl -s --cacert "$T/ca.crt" -H "Authorization: Bearer admin" \
  "https://127.0.0.1:$KPORT/apis/coordination.k8s.io/v1/namespaces/shop/leases" |
  "$PY" -c 'import json,sys; print(sorted(set(i["spec"]["holderIdentity"] for i in json.load(sys.stdin)["items"])))')
check "SIGTERM: every shard and member Lease released" [ "$holders" = "['']" ]
