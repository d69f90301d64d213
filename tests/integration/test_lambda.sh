#!/bin/sh
# The Lambda actuator against the local AWS server (tests/servers/
# aws_server.py), which checks every signature with botocore: reading and
# setting provisioned concurrency, following IN_PROGRESS, limits and
# refusals, 409/429/5xx, the rate budget, the credential chain (keys,
# session token, web identity through STS, container credentials) and a
# dry run that never writes.  Network traffic goes to 127.0.0.1 only.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3 with botocore (apt-get install python3-botocore)"

cat >"$T/state.json" <<JSON
{"region": "eu-west-1", "unreserved": 150, "in_progress_s": 0.6,
 "list_page": 1,
 "keys": {"AKIDTEST": {"secret": "s3cr3t-KEY"},
          "AKIDSESS": {"secret": "sess-secret", "token": "tok/with+odd=chars"}},
 "functions": {
   "api": {"aliases": {"live": {}, "canary": {"weights": {"3": 0.1}}},
           "versions": ["1", "2"], "pc": {}},
   "capped": {"reserved": 10, "aliases": {"live": {}, "blue": {}, "green": {}},
              "versions": ["1"],
              "pc": {"blue": {"requested": 3, "allocated": 3, "available": 3,
                              "status": "READY", "modified": 0, "ready_at": 0},
                     "green": {"requested": 1, "allocated": 1, "available": 1,
                               "status": "READY", "modified": 0, "ready_at": 0}}}},
 "sts": {"role_arn": "arn:aws:iam::123456789012:role/prewarm",
         "token_file": "$T/sts-expected", "duration_s": 600},
 "container": {"token_file": "$T/pod-expected"}}
JSON
start_server aws "$SERVERS/aws_server.py" "$T/state.json" "$T/log.jsonl"
URL="http://127.0.0.1:$PORT"

# Runs act_script with nothing from this machine's AWS setup but what the
# test gives; extra VAR=value arguments come first.
lam() {
  env -i PATH="$PATH" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL_LAMBDA="$URL" \
    AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=s3cr3t-KEY "$@"
}
act() { "$TOOLS/act_script" "$@"; }
ops() {  # ops OP [STATUS]: how many logged requests match
  "$PY" -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["op"] == sys.argv[2] and (len(sys.argv) < 4 or e["status"] == int(sys.argv[3])):
        n += 1
print(n)' "$T/log.jsonl" "$@"
}

# 1. Set, follow IN_PROGRESS to READY, leave alone, delete.
lam "$TOOLS/act_script" lambda api live set:5 until-ready:5:5000 set:5 \
  set:0 get >"$T/o1" 2>&1
check "put 5 is accepted and pending" \
  grep -q '^set:5 rc=ok requested=5 current=0 ready=0 flags=P ' "$T/o1"
check "in progress turns ready" \
  grep -q '^until-ready:5:5000 rc=ok requested=5 current=5 ready=5' "$T/o1"
check "an unchanged request writes nothing" \
  grep -q '^set:5 rc=ok requested=5 .* flags=U ' "$T/o1"
check "0 deletes the config, and a 404 on get reads as 0" \
  grep -q '^get rc=ok requested=0 current=0 ready=0' "$T/o1"
check "exactly one put and one delete, both signed right" \
  [ "$(ops PutProvisionedConcurrencyConfig 202)" = 1 -a \
    "$(ops DeleteProvisionedConcurrencyConfig 204)" = 1 -a \
    "$(grep -c '"status": 403' "$T/log.jsonl")" = 0 ]
check "put body and content type as documented" "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["op"] == "PutProvisionedConcurrencyConfig":
        assert json.loads(e["body"]) == {"ProvisionedConcurrentExecutions": 5}, e
        assert e["content_type"] == "application/json", e
        assert e["path"].endswith("/2019-09-30/functions/api/provisioned-concurrency?Qualifier=live"), e
' "$T/log.jsonl"

# 2. Limits: reserved 10 less 4 held by blue and green (read over three
# List pages whose markers need encoding) leaves 6.
lam "$TOOLS/act_script" lambda capped live set:20 >"$T/o2" 2>&1
check "over the reserved concurrency: cut to what AWS accepts" \
  grep -q '^set:20 rc=ok requested=6 .*flags=LP .*reserved concurrency 10' "$T/o2"
check "list pages with encoded markers are signed right" \
  [ "$(ops ListProvisionedConcurrencyConfigs 200)" -ge 3 -a \
    "$(grep -c '"status": 403' "$T/log.jsonl")" = 0 ]
# Account: unreserved 150 - 100 = 50 for a function without reservation.
lam "$TOOLS/act_script" lambda api 2 set:80 set:0 >"$T/o3" 2>&1
check "over unreserved concurrency - 100: cut to 50" \
  grep -q '^set:80 rc=ok requested=50 .*flags=LP .*unreserved account concurrency 150' "$T/o3"

# 3. Refusals before any call.
puts=$(ops PutProvisionedConcurrencyConfig)
lam "$TOOLS/act_script" lambda api canary set:3 >"$T/o4" 2>&1
check "a weighted alias is refused without a put" \
  sh -c "grep -q '^set:3 rc=refused .*flags=R .*weighted alias' '$T/o4' && \
         [ $(ops PutProvisionedConcurrencyConfig) = $puts ]"
lam "$TOOLS/act_script" lambda api '$LATEST' set:3 >"$T/o5" 2>&1
check "\$LATEST is refused at start" grep -q 'init rc=.*\$LATEST' "$T/o5"

# 4. A change while one is in progress waits for READY (no Put, no 409),
# then goes through.
lam "$TOOLS/act_script" lambda api 1 set:2 set:4 until-ready:2:5000 set:4 \
  until-ready:4:5000 set:0 >"$T/o6" 2>&1
check "a change while one is in progress is not sent: pending, no 409" \
  sh -c "grep -q '^set:4 rc=ok requested=2 .*flags=PD .*4 waits until the change to 2' '$T/o6' && \
         [ $(ops PutProvisionedConcurrencyConfig 409) = 0 ]"
check "after READY the change goes through" \
  grep -q '^until-ready:4:5000 rc=ok requested=4 current=4 ready=4' "$T/o6"

# 5. 429 with Retry-After, retried; then a 500 that does not stop.
curl -s -X POST "$URL/_control" -d '{"fail": [{"op": "PutProvisionedConcurrencyConfig", "status": 429, "retry_after": 1, "count": 2}]}' >/dev/null
lam "$TOOLS/act_script" lambda api live set:3 >"$T/o7" 2>&1
check "429 retried after Retry-After, then accepted" \
  sh -c "grep -q '^set:3 rc=ok requested=3 ' '$T/o7' && [ $(ops PutProvisionedConcurrencyConfig 429) = 2 ]"
check "the retries waited for Retry-After" "$PY" -c '
import json, sys
t = [json.loads(l) for l in open(sys.argv[1])]
t = [e["t"] for e in t if e["op"] == "PutProvisionedConcurrencyConfig"][-3:]
assert t[1] - t[0] >= 0.9 and t[2] - t[1] >= 0.9, t
' "$T/log.jsonl"
curl -s -X POST "$URL/_control" -d '{"fail": [{"op": "PutProvisionedConcurrencyConfig", "status": 500, "count": 4}]}' >/dev/null
lam "$TOOLS/act_script" lambda api live until-ready:3:5000 set:9 get >"$T/o8" 2>&1
check "persistent 5xx: an error naming it, capacity as it was" \
  sh -c "grep -q '^set:9 rc=the remote API failed .*HTTP 500 ServiceException' '$T/o8' && \
         grep -q '^get rc=ok requested=3 current=3 ready=3' '$T/o8'"

# A slow answer past the timeout is retried; a missing function is named.
curl -s -X POST "$URL/_control" -d '{"fail": [{"op": "GetProvisionedConcurrencyConfig", "delay_s": 2, "count": 1}]}' >/dev/null
lam ACT_TIMEOUT_MS=700 "$TOOLS/act_script" lambda api live get >"$T/o8b" 2>&1
check "a reply slower than the timeout: given up and retried" \
  grep -q '^get rc=ok requested=3 ' "$T/o8b"
lam "$TOOLS/act_script" lambda nosuch live get >"$T/o8c" 2>&1
check "a missing function: not found, with AWS's message" \
  grep -q '^get rc=not found .*nosuch:live: HTTP 404 ResourceNotFoundException: Function not found' "$T/o8c"

# 6. The shared rate budget: 40 reads as fast as the actuator allows.
before=$(wc -l <"$T/log.jsonl")
lam ACT_REFRESH_MS=1 ACT_POLL_MS=1 "$TOOLS/act_script" lambda api live \
  $(for i in $(seq 1 40); do printf 'get sleep:1 '; done) >"$T/o9" 2>&1
check "never more than the 15/s control-plane budget (10/s by default)" \
  "$PY" -c '
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])][int(sys.argv[2]):]
assert len(t) >= 40, len(t)
worst = max(sum(1 for u in t if s <= u < s + 1.0) for s in t)
print("# busiest second:", worst, "requests")
assert worst <= 15, worst
' "$T/log.jsonl" "$before"

# 7. Credentials: a session token, a wrong secret, web identity, container.
env -i PATH="$PATH" AWS_DEFAULT_REGION=eu-west-1 AWS_ENDPOINT_URL="$URL" \
  AWS_ACCESS_KEY_ID=AKIDSESS AWS_SECRET_ACCESS_KEY=sess-secret \
  AWS_SESSION_TOKEN='tok/with+odd=chars' "$TOOLS/act_script" lambda api live get \
  >"$T/o10" 2>&1
check "session token sent as a signed header (AWS_DEFAULT_REGION, AWS_ENDPOINT_URL)" \
  grep -q '^get rc=ok requested=3 ' "$T/o10"
lam AWS_SECRET_ACCESS_KEY=wrong-secret-value "$TOOLS/act_script" lambda api live get \
  >"$T/o11" 2>&1
check "a wrong signature gets 403 and says so" \
  grep -q '^get rc=not authorised .*HTTP 403 InvalidSignatureException' "$T/o11"
check "no secret in any output" \
  sh -c "! cat '$T'/o* | grep -q -e s3cr3t-KEY -e wrong-secret-value -e sess-secret -e 'tok/with'"

echo "jwt-one" >"$T/sts-expected"
echo "jwt-one" >"$T/web-token"
cat >"$T/rotate.sh" <<SH
echo jwt-two >"$T/sts-expected"
echo jwt-two >"$T/web-token"
SH
env -i PATH="$PATH" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL_LAMBDA="$URL" \
  AWS_ENDPOINT_URL_STS="$URL" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/prewarm \
  AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token" AWS_ROLE_SESSION_NAME=prewarm-test \
  ACT_REFRESH_MS=1 "$TOOLS/act_script" lambda api live get sleep:5 get >"$T/o12" 2>&1
sh "$T/rotate.sh"
env -i PATH="$PATH" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL_LAMBDA="$URL" \
  AWS_ENDPOINT_URL_STS="$URL" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/prewarm \
  AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token" \
  "$TOOLS/act_script" lambda api live get >>"$T/o12" 2>&1
# Credentials that expire within 15 minutes (600 s here) are refreshed
# before each use: three STS calls for three reads.
check "web identity: STS (unsigned) then signed calls with its session token" \
  sh -c "[ \$(grep -c '^get rc=ok requested=3 ' '$T/o12') = 3 ] && \
         [ $(ops AssumeRoleWithWebIdentity 200) = 3 ] && \
         ! grep '\"AssumeRoleWithWebIdentity\"' '$T/log.jsonl' | grep -q '\"authorization\": true'"
check "the rotated token file is read again" "$PY" -c '
import json, sys
b = [json.loads(l)["body"] for l in open(sys.argv[1]) if "AssumeRole" in l]
assert "WebIdentityToken=jwt-one" in b[0] and "WebIdentityToken=jwt-two" in b[2], b
assert "RoleSessionName=prewarm-test" in b[0], b[0]
' "$T/log.jsonl"

echo "pod-token-1" >"$T/pod-expected"
echo "pod-token-1" >"$T/pod-token"
env -i PATH="$PATH" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL_LAMBDA="$URL" \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="$URL/v1/credentials" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/pod-token" \
  "$TOOLS/act_script" lambda api live get >"$T/o13" 2>&1
check "EKS Pod Identity: container credentials, then signed calls" \
  sh -c "grep -q '^get rc=ok requested=3 ' '$T/o13' && [ $(ops ContainerCredentials 200) = 1 ]"
env -i PATH="$PATH" AWS_REGION=eu-west-1 \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.1/v1/credentials" \
  "$TOOLS/act_script" lambda api live get >"$T/o14" 2>&1
check "a plain-http container URI off loopback is refused" \
  grep -q 'init rc=.*only to loopback' "$T/o14"
env -i PATH="$PATH" "$TOOLS/act_script" lambda api live get >"$T/o15" 2>&1
check "no region: a clear error" grep -q 'init rc=.*AWS_REGION' "$T/o15"

# 8. A dry run reads and plans, and never writes.
writes=$(( $(ops PutProvisionedConcurrencyConfig) + $(ops DeleteProvisionedConcurrencyConfig) ))
lam "$TOOLS/act_script" --dry-run lambda api live set:7 set:0 >"$T/o16" 2>&1
lam "$TOOLS/act_script" --dry-run lambda capped live set:30 >>"$T/o16" 2>&1
after=$(( $(ops PutProvisionedConcurrencyConfig) + $(ops DeleteProvisionedConcurrencyConfig) ))
check "dry run: reports what is there, never writes" \
  sh -c "grep -q '^set:7 rc=ok requested=3 current=3 ready=3' '$T/o16' && \
         [ $after = $writes ]"
check "dry run: the limit applies as for real" \
  grep -q '^set:30 rc=ok .*flags=L.* 30 cut to 6' "$T/o16"

# 9. Server gone.
lam AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:1 "$TOOLS/act_script" lambda api live get \
  >"$T/o17" 2>&1
check "no server: an I/O error naming the connection" \
  grep -q '^get rc=input/output error .*Lambda\|^get rc=input/output error .*127.0.0.1' "$T/o17"

# 10. Issue #12 item 11: pending, refusals logged once, limits without
# GetAlias, the last reading kept after a read error, dry-run reports.
cat >"$T/state2.json" <<JSON
{"region": "eu-west-1", "unreserved": 150, "in_progress_s": 0.6,
 "keys": {"AKIDTEST": {"secret": "s3cr3t-KEY"}},
 "functions": {
   "small": {"reserved": 3, "aliases": {"live": {}}, "versions": ["1"],
             "pc": {}},
   "web": {"aliases": {"live": {}, "split": {"weights": {"2": 0.5}}},
           "versions": ["1"],
           "pc": {"live": {"requested": 2, "allocated": 2, "available": 2,
                           "status": "READY", "modified": 0,
                           "ready_at": 0}}}}}
JSON
start_server aws2 "$SERVERS/aws_server.py" "$T/state2.json" "$T/log2.jsonl"
URL2="http://127.0.0.1:$PORT"
lam2() {
  env -i PATH="$PATH" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL_LAMBDA="$URL2" \
    AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=s3cr3t-KEY "$@"
}
fault2() { curl -s -X POST "$URL2/_control" -d "{\"fail\": [$1]}" >/dev/null; }
ops2() {  # ops2 OP [STATUS]
  "$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) for e in [json.loads(l)]
          if e["op"] == sys.argv[2] and (len(sys.argv) < 4 or e["status"] == int(sys.argv[3]))))
' "$T/log2.jsonl" "$@"
}
warns() {  # warns FILE TEXT: how many warn log lines hold TEXT
  grep '"level":"warn"' "$1" | grep -c -- "$2"
}

# A 409 from the Put is pending too, not an error.
fault2 '{"op": "PutProvisionedConcurrencyConfig", "status": 409, "count": 1}'
lam2 "$TOOLS/act_script" lambda web live set:3 >"$T/p1" 2>&1
check "a 409 from the put: pending (deferred), not an error" \
  grep -q '^set:3 rc=ok requested=2 .*flags=[A-Z]*D.* HTTP 409 ResourceConflictException' "$T/p1"

# Refusals are logged at warn with AWS's message, once per distinct one.
lam2 "$TOOLS/act_script" lambda web split set:3 set:3 set:3 >"$T/p2" 2>&1
check "a weighted alias: refused three times, logged at warn once" \
  [ "$(grep -c '^set:3 rc=refused' "$T/p2")" = 3 -a \
    "$(warns "$T/p2" 'weighted alias')" = 1 ]
fault2 '{"op": "PutProvisionedConcurrencyConfig", "status": 400, "count": 3, "code": "InvalidParameterValueException", "message": "Refused for reason one"}, {"op": "PutProvisionedConcurrencyConfig", "status": 400, "count": 1, "code": "InvalidParameterValueException", "message": "Refused for reason two"}'
lam2 ACT_REFRESH_MS=1 "$TOOLS/act_script" lambda web live set:1 set:1 set:1 \
  set:1 >"$T/p3" 2>&1
check "a 400 from the put: logged once per distinct message, AWS's own text" \
  [ "$(grep -c '^set:1 rc=refused' "$T/p3")" = 4 -a \
    "$(warns "$T/p3" 'reason one')" = 1 -a "$(warns "$T/p3" 'reason two')" = 1 ]
check "no secret in the refusal logs" sh -c "! grep -q s3cr3t-KEY '$T/p3'"

# GetAlias failing does not skip the concurrency limits: 4 is cut to the
# reserved 3, and no put is refused.
fault2 '{"op": "GetAlias", "status": 403, "count": 1, "code": "AccessDeniedException", "message": "not allowed to GetAlias"}'
refused=$(ops2 PutProvisionedConcurrencyConfig 400)
lam2 "$TOOLS/act_script" lambda small live set:4 >"$T/p4" 2>&1
check "GetAlias denied: the limits are still read, 4 cut to the reserved 3" \
  sh -c "grep -q '^set:4 rc=ok requested=3 .*flags=L' '$T/p4' && \
         [ $(ops2 PutProvisionedConcurrencyConfig 400) = $refused ]"
check "GetAlias denied: logged at warn with AWS's message" \
  [ "$(warns "$T/p4" 'not allowed to GetAlias')" -ge 1 ]

# A read error keeps the last reading, flagged stale, never -1.
cat >"$T/fault-get.sh" <<SH
curl -s -X POST "$URL2/_control" -d '{"fail": [{"op": "GetProvisionedConcurrencyConfig", "status": 403, "count": 1, "code": "AccessDeniedException", "message": "denied"}]}' >/dev/null
SH
lam2 ACT_REFRESH_MS=1 "$TOOLS/act_script" lambda web live get \
  run:"$T/fault-get.sh" sleep:5 get sleep:5 get >"$T/p5" 2>&1
check "a failed read: the last reading, flagged stale (S), not -1" \
  sh -c "grep -q '^get rc=not authorised requested=2 current=2 ready=2 flags=S ' '$T/p5' && \
         [ \$(grep -c '^get rc=ok requested=2 current=2 ready=2 flags= ' '$T/p5') = 2 ]"

# A dry run with a wrong secret reports the call that failed first (the
# config read, as the real set does) with AWS's reason.
lam2 AWS_SECRET_ACCESS_KEY=wrong-secret-value "$TOOLS/act_script" --dry-run \
  lambda web live set:3 >"$T/p6" 2>&1
check "dry run, 403 on every call: the first one named, with AWS's reason" \
  grep -q '^set:3 rc=not authorised requested=-1 .*flags=S why=lambda GetProvisionedConcurrencyConfig web:live: HTTP 403 InvalidSignatureException' "$T/p6"

# The explanation of a failure does not outlive a later success.
lam2 ACT_REFRESH_MS=1 "$TOOLS/act_script" --dry-run lambda web live \
  run:"$T/fault-get.sh" set:3 sleep:5 set:3 >"$T/p7" 2>&1
check "dry run: an error's text is gone after the next success" \
  sh -c "grep -q '^set:3 rc=not authorised .*denied' '$T/p7' && \
         grep -q '^set:3 rc=ok requested=2 .*why=\$' '$T/p7'"
