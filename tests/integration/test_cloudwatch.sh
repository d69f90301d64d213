#!/bin/sh
# The CloudWatch source against the local AWS server (tests/servers/
# aws_server.py), which checks the SigV4 signature (service "monitoring")
# with botocore: GetMetricData in the JSON protocol, exact dimensions,
# pagination, the newest minutes left until final, absent minutes missing
# (or zero when asked), throttling retried, errors reported.
set -u
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip_all "no python3 with botocore (apt-get install python3-botocore)"

NOW=$(date +%s)
H=$(( NOW / 60 * 60 - 3600 ))   # a whole minute, an hour ago
"$PY" - "$T/state.json" "$H" <<'PY'
import json, sys
h = int(sys.argv[2])
alias = {str(h + 60 * i): float(i % 50) for i in range(0, 62) if i % 7 != 3}
fn = {str(h + 60 * i): 1000.0 + i for i in range(0, 62)}
json.dump({"region": "eu-west-1", "unreserved": 1000, "cw_page": 10,
           "keys": {"AKIDTEST": {"secret": "s3cr3t-KEY"}}, "functions": {},
           "metrics": {"FunctionName=api,Resource=api:live|ConcurrentExecutions": alias,
                       "FunctionName=api|Invocations": fn}},
          open(sys.argv[1], "w"))
PY
start_server aws "$SERVERS/aws_server.py" "$T/state.json" "$T/log.jsonl"
URL="http://127.0.0.1:$PORT"
cw() {
  env -i PATH="$PATH" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL_CLOUDWATCH="$URL" \
    AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=s3cr3t-KEY "$@"
}

# 1. An alias's concurrency over the last hour, read in pages of 10.
# The source cuts at its own clock: a minute may turn between the time
# taken here and its reading, so each fetch is bracketed by two readings
# and the count may be the one either gives (and nothing else).
# A minute is final 3 minutes after it ends: the minutes t <= now - 240.
final() { echo $(( ($1 - 240 - H) / 60 + 1 )); }
bracket() {
  B=$(date +%s)
  "$@"
  A=$(date +%s)
}
absent_in() { "$PY" -c "print(sum(1 for i in range($1) if i % 7 == 3))"; }
n_is() {  # n_is FILE present|all: n is the count at B or at A
  f=$1 kind=$2
  for t in "$B" "$A"; do
    w=$(final "$t")
    [ "$kind" = present ] && w=$(( w - $(absent_in "$w") ))
    grep -q "^rc=ok n=$w " "$f" && return 0
  done
  return 1
}
bracket cw "$TOOLS/src_script" cw api:live ConcurrentExecutions 60 "$H" "$NOW" >"$T/o1"
c1() { grep -q '^rc=ok n=[0-9]* nan=0 rejected=0 ' "$T/o1" && n_is "$T/o1" present; }
check "datapoints up to 3 minutes ago; absent minutes are missing, not zero" c1
check "values and times as CloudWatch has them" \
  sh -c "grep -q '^$(( H * 1000 )) 0\$' '$T/o1' && grep -q '^$(( (H + 660) * 1000 )) 11\$' '$T/o1'"
check "the request: JSON protocol, exact dimensions, Maximum, ascending, signed" "$PY" - "$T/log.jsonl" <<'PY'
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
assert all(x["status"] == 200 for x in e), [x["status"] for x in e]
b = json.loads(e[0]["body"])
q = b["MetricDataQueries"][0]
assert q["MetricStat"]["Metric"]["Dimensions"] == [
    {"Name": "FunctionName", "Value": "api"}, {"Name": "Resource", "Value": "api:live"}], q
assert q["MetricStat"]["Stat"] == "Maximum" and q["MetricStat"]["Period"] == 60, q
assert b["ScanBy"] == "TimestampAscending" and isinstance(b["StartTime"], int), b
assert e[0]["content_type"] == "application/x-amz-json-1.0"
assert len(e) >= 5 and "NextToken" in json.loads(e[1]["body"]), len(e)
PY
bracket cw CW_FILL_ZERO=1 "$TOOLS/src_script" cw api:live ConcurrentExecutions 60 "$H" "$NOW" >"$T/o2"
c2() {
  grep -q '^rc=ok n=[0-9]* nan=0 ' "$T/o2" &&
    grep -q "^$(( (H + 180) * 1000 )) 0\$" "$T/o2" && n_is "$T/o2" all
}
check "fill_zero: a minute without datapoints is 0" c2
bracket cw "$TOOLS/src_script" cw api Invocations 60 "$H" "$NOW" >"$T/o3"
c3() { tail -n 1 "$T/log.jsonl" | grep -q 'Sum' && n_is "$T/o3" all; }
check "a function without alias: FunctionName only, Sum" c3
bracket cw CW_SETTLE_S=60 "$TOOLS/src_script" cw api Invocations 60 \
  "fetch:$H:$((NOW - 600))" "fetch:$((NOW - 600)):$NOW" >"$T/o4"
check "two consecutive fetches meet without a gap or an overlap" "$PY" - "$T/o4" "$H" "$B" "$A" <<'PY'
import sys
ts = [int(l.split()[0]) for l in open(sys.argv[1]) if l[0].isdigit()]
h, before, after = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok = [list(range(h * 1000, ((now - 120) // 60 * 60 + 60) * 1000, 60000))
      for now in (before, after)]
assert ts in ok, (ts[:3], ts[-3:])
PY

# 2. Throttling and errors.
curl -s -X POST "$URL/_control" -d '{"fail": [{"op": "GetMetricData", "status": 400, "count": 2}]}' >/dev/null
cw "$TOOLS/src_script" cw api Invocations 60 "$H" $((H + 600)) >"$T/o5"
check "throttling (400 Throttling, x-amzn-query-error) is retried" \
  sh -c "grep -q '^rc=ok n=10 ' '$T/o5' && [ \$(grep -c '\"status\": 400' '$T/log.jsonl') = 2 ]"
curl -s -X POST "$URL/_control" -d '{"fail": [{"op": "GetMetricData", "status": 500, "count": 9}]}' >/dev/null
cw "$TOOLS/src_script" cw api Invocations 60 "$H" $((H + 600)) >"$T/o6"
check "a server error that persists: reported with the metric and code" \
  grep -q '^rc=the remote API failed n=0 .*GetMetricData Invocations api: HTTP 500 InternalFailure' "$T/o6"
cw AWS_SECRET_ACCESS_KEY=wrong "$TOOLS/src_script" cw api Invocations 60 "$H" $((H + 600)) >"$T/o7"
check "a wrong signature: not authorised, no secret shown" \
  sh -c "grep -q '^rc=not authorised .*HTTP 403' '$T/o7' && ! grep -q s3cr3t '$T/o7'"
cw "$TOOLS/src_script" cw api:live Invocations 30 "$H" $((H + 600)) >"$T/o8" 2>&1
check "a step that is not a whole minute is refused" grep -q 'init rc=.*multiple of 60' "$T/o8"
