#!/usr/bin/env python3
"""A local AWS API server for prewarm's tests, following CONTRACTS.md.

It serves, on 127.0.0.1 only:
  * Lambda provisioned concurrency (Put/Get/Delete/List), GetFunctionConcurrency,
    GetAccountSettings and GetAlias, with the documented paths, status codes,
    JSON shapes and x-amzn-ErrorType headers; IN_PROGRESS turns READY after a
    delay; 409 while a change is in progress; limits enforced with 400;
  * STS AssumeRoleWithWebIdentity (form POST, XML reply, unsigned);
  * a container credential endpoint (EKS Pod Identity style).
Every signed request is checked by recomputing its SigV4 signature with
botocore; a wrong one gets 403 InvalidSignatureException as AWS answers.

Usage: aws_server.py STATE.json LOG.jsonl PORTFILE
STATE holds the functions, accounts and credentials (see tests/integration).
Each request is appended to LOG as one JSON line.  POST /_control (unsigned)
injects faults: {"fail": [{"op": NAME, "status": N, "count": K,
"retry_after": S, "delay_s": D, "code": C, "message": M}]} (code and
message are optional: the error code and text of the reply).
"""
import base64
import datetime
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LOCK = threading.Lock()
STATE = {}
LOG = None
FAULTS = []
ISSUED = {}   # access key id -> (secret, token)


def now():
    return time.time()


class Reply(Exception):
    def __init__(self, status, body=None, code=None, headers=None):
        super().__init__(code or str(status))
        self.status, self.body, self.code = status, body, code
        self.headers = headers or {}


def aws_error(status, code, message, headers=None):
    h = {"x-amzn-ErrorType": code + ":http://internal.amazon.com/coral/x/"}
    h.update(headers or {})
    return Reply(status, {"Type": "User", "message": message}, code, h)


def check_signature(handler, body, want_service="lambda"):
    auth = handler.headers.get("Authorization")
    if not auth or not auth.startswith("AWS4-HMAC-SHA256 "):
        raise aws_error(403, "MissingAuthenticationTokenException",
                        "Missing Authentication Token")
    parts = dict(p.strip().split("=", 1) for p in auth[17:].split(","))
    akid, date, region, service, term = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    secret, token = ISSUED.get(akid) or STATE["keys"].get(akid, (None, None))
    if secret is None:
        raise aws_error(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.")
    if token is not None and handler.headers.get("X-Amz-Security-Token") != token:
        raise aws_error(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.")
    if token is not None and "x-amz-security-token" not in signed:
        raise aws_error(403, "InvalidSignatureException",
                        "x-amz-security-token must be signed")
    if region != STATE["region"] or service != want_service or term != "aws4_request":
        raise aws_error(403, "InvalidSignatureException",
                        "Credential should be scoped to a valid region/service")
    amzdate = handler.headers.get("X-Amz-Date", "")
    t = datetime.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    if abs(t - now()) > 300 or not amzdate.startswith(date):
        raise aws_error(403, "InvalidSignatureException",
                        "Signature expired or date mismatch")
    for h in ("host", "x-amz-date"):
        if h not in signed:
            raise aws_error(403, "InvalidSignatureException", h + " unsigned")
    headers = {h: handler.headers.get(h, "") for h in signed}
    url = "http://" + handler.headers["Host"] + handler.path
    req = AWSRequest(method=handler.command, url=url, data=body, headers=headers)
    req.context["timestamp"] = amzdate
    signer = SigV4Auth(Credentials(akid, secret, token), service, region)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if expected != parts["Signature"]:
        raise aws_error(403, "InvalidSignatureException",
                        "The request signature we calculated does not match "
                        "the signature you provided.")


def take_fault(op):
    with LOCK:
        for f in FAULTS:
            if f["op"] == op and f["count"] > 0:
                f["count"] -= 1
                return dict(f)
    return None


def function(name):
    fn = STATE["functions"].get(name)
    if fn is None:
        raise aws_error(404, "ResourceNotFoundException",
                        "Function not found: " + name)
    return fn


def qualifier(fn, q):
    if q is None or q == "":
        raise aws_error(400, "InvalidParameterValueException",
                        "Qualifier is required")
    if q == "$LATEST":
        raise aws_error(400, "InvalidParameterValueException",
                        "Provisioned Concurrency Configs cannot be applied "
                        "to unpublished function versions.")
    if q not in fn["aliases"] and q not in fn["versions"]:
        raise aws_error(404, "ResourceNotFoundException",
                        "Cannot find alias or version " + q)
    return q


def config_view(c):
    if c["status"] == "IN_PROGRESS" and now() >= c["ready_at"]:
        c["status"] = "READY"
        c["allocated"] = c["available"] = c["requested"]
    return {"RequestedProvisionedConcurrentExecutions": c["requested"],
            "AllocatedProvisionedConcurrentExecutions": c["allocated"],
            "AvailableProvisionedConcurrentExecutions": c["available"],
            "Status": c["status"],
            "LastModified": time.strftime("%Y-%m-%dT%H:%M:%S+0000",
                                          time.gmtime(c["modified"]))}


def put_pc(fn, name, q, body):
    try:
        n = json.loads(body)["ProvisionedConcurrentExecutions"]
    except (ValueError, KeyError, TypeError):
        raise aws_error(400, "InvalidParameterValueException", "bad body")
    if not isinstance(n, int) or n < 1:
        raise aws_error(400, "InvalidParameterValueException",
                        "ProvisionedConcurrentExecutions must be >= 1")
    if q in fn["aliases"] and fn["aliases"][q].get("weights"):
        raise aws_error(400, "InvalidParameterValueException",
                        "Alias with weights can not be used with "
                        "Provisioned Concurrency")
    cur = fn["pc"].get(q)
    if cur is not None:
        config_view(cur)
        if cur["status"] == "IN_PROGRESS":
            raise aws_error(409, "ResourceConflictException",
                            "An update is in progress for resource")
    others = sum(c["requested"] for k, c in fn["pc"].items() if k != q)
    cap = fn["reserved"] if fn.get("reserved") is not None \
        else STATE["unreserved"] - 100
    if n + others > cap:
        raise aws_error(400, "InvalidParameterValueException",
                        "Requested Provisioned Concurrency exceeds the limit")
    c = {"requested": n, "allocated": cur["allocated"] if cur else 0,
         "status": "IN_PROGRESS", "modified": now(),
         "ready_at": now() + STATE.get("in_progress_s", 1.0)}
    c["available"] = min(c["allocated"], n)
    fn["pc"][q] = c
    return 202, config_view(c)


def list_pc(fn, name, query):
    if query.get("List") != "ALL":
        raise aws_error(400, "InvalidParameterValueException", "List=ALL")
    items = sorted(fn["pc"].items())
    start = 0
    if "Marker" in query:
        start = int(base64.b64decode(query["Marker"]).decode().split("/")[1])
    size = min(int(query.get("MaxItems", 50)), STATE.get("list_page", 50))
    page = items[start:start + size]
    out = {"ProvisionedConcurrencyConfigs": [
        dict(config_view(c), FunctionArn="arn:aws:lambda:%s:123456789012:"
             "function:%s:%s" % (STATE["region"], name, k)) for k, c in page]}
    if start + size < len(items):
        out["NextMarker"] = base64.b64encode(
            ("page/%d/??>" % (start + size)).encode()).decode()
    return 200, out


def lambda_op(method, path, query, body):
    """Returns (operation, status, json body)."""
    p = path.split("/")
    if path == "/2016-08-19/account-settings" and method == "GET":
        return "GetAccountSettings", 200, {"AccountLimit": {
            "ConcurrentExecutions": STATE["unreserved"] + 100,
            "UnreservedConcurrentExecutions": STATE["unreserved"]},
            "AccountUsage": {"FunctionCount": len(STATE["functions"])}}
    if len(p) == 5 and p[2] == "functions" and p[4] == "concurrency" \
            and p[1] == "2019-09-30" and method == "GET":
        fn = function(p[3])
        r = fn.get("reserved")
        return "GetFunctionConcurrency", 200, \
            {} if r is None else {"ReservedConcurrentExecutions": r}
    if len(p) == 6 and p[1] == "2015-03-31" and p[4] == "aliases":
        fn = function(p[3])
        a = fn["aliases"].get(p[5])
        if a is None:
            raise aws_error(404, "ResourceNotFoundException", "no alias")
        out = {"Name": p[5], "FunctionVersion": a.get("version", "1")}
        if a.get("weights"):
            out["RoutingConfig"] = {"AdditionalVersionWeights": a["weights"]}
        return "GetAlias", 200, out
    if len(p) == 5 and p[1] == "2019-09-30" and p[4] == "provisioned-concurrency":
        fn = function(p[3])
        if "List" in query:
            return ("ListProvisionedConcurrencyConfigs",) + list_pc(fn, p[3], query)
        q = qualifier(fn, query.get("Qualifier"))
        if method == "PUT":
            return ("PutProvisionedConcurrencyConfig",) + put_pc(fn, p[3], q, body)
        if method == "DELETE":
            if q not in fn["pc"]:
                raise aws_error(404, "ResourceNotFoundException", "no config")
            del fn["pc"][q]
            return "DeleteProvisionedConcurrencyConfig", 204, None
        if method == "GET":
            if q not in fn["pc"]:
                raise aws_error(404, "ProvisionedConcurrencyConfigNotFoundException",
                                "No Provisioned Concurrency Config found")
            return "GetProvisionedConcurrencyConfig", 200, config_view(fn["pc"][q])
    raise aws_error(404, "UnknownOperationException", "no such operation")


def op_name(method, path, query):
    p = path.split("/")
    if path.endswith("/provisioned-concurrency"):
        if "List" in query:
            return "ListProvisionedConcurrencyConfigs"
        return {"PUT": "Put", "GET": "Get", "DELETE": "Delete"}.get(
            method, "") + "ProvisionedConcurrencyConfig"
    if path.endswith("/concurrency"):
        return "GetFunctionConcurrency"
    if path.endswith("account-settings"):
        return "GetAccountSettings"
    if len(p) == 6 and p[4] == "aliases":
        return "GetAlias"
    return "?"


def sts(form):
    s = STATE["sts"]
    if form.get("Action") != "AssumeRoleWithWebIdentity" or \
            form.get("Version") != "2011-06-15":
        return 400, "<ErrorResponse><Error><Type>Sender</Type><Code>" \
            "InvalidAction</Code><Message>bad action</Message></Error>" \
            "</ErrorResponse>"
    with open(s["token_file"]) as f:
        good = f.read().strip()
    if form.get("RoleArn") != s["role_arn"] or \
            form.get("WebIdentityToken") != good:
        return 400, "<ErrorResponse><Error><Type>Sender</Type><Code>" \
            "InvalidIdentityToken</Code><Message>Token is not valid" \
            "</Message></Error></ErrorResponse>"
    n = len(ISSUED) + 1
    akid, secret, token = "ASIASTS%09d" % n, "sts-secret-%d" % n, \
        "sts-token-%d/+=&<x>" % n
    ISSUED[akid] = (secret, token)
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                        time.gmtime(now() + s.get("duration_s", 3600)))
    tok = token.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return 200, (
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/'
        'doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>'
        "<AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
        "<SessionToken>%s</SessionToken><Expiration>%s</Expiration>"
        "</Credentials><SubjectFromWebIdentityToken>system:serviceaccount:"
        "ns:sa</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult>"
        "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
        "</AssumeRoleWithWebIdentityResponse>" % (akid, secret, tok, exp))


def container(handler):
    c = STATE["container"]
    with open(c["token_file"]) as f:
        good = f.read().strip()
    if handler.headers.get("Authorization") != good:
        return 401, {"message": "bad token"}
    n = len(ISSUED) + 1
    akid, secret, token = "ASIAPOD%09d" % n, "pod-secret-%d" % n, \
        "pod-token-%d" % n
    ISSUED[akid] = (secret, token)
    return 200, {"AccessKeyId": akid, "SecretAccessKey": secret,
                 "Token": token, "AccountId": "123456789012",
                 "Expiration": time.strftime(
                     "%Y-%m-%dT%H:%M:%SZ",
                     time.gmtime(now() + c.get("duration_s", 3600)))}


def get_metric_data(req):
    """Serves STATE["metrics"]: {"FunctionName=f,Resource=f:q|Metric":
    {epoch: value}}, with exact dimension matching, StartTime inclusive,
    EndTime exclusive, and pages of STATE["cw_page"] points."""
    q = req["MetricDataQueries"][0]
    ms = q["MetricStat"]
    dims = ",".join("%s=%s" % (d["Name"], d["Value"])
                    for d in ms["Metric"]["Dimensions"])
    if ms["Metric"]["Namespace"] != "AWS/Lambda" or ms["Period"] % 60 or \
            not isinstance(req["StartTime"], (int, float)):
        raise Reply(400, {"__type": "#InvalidParameterValue",
                          "message": "bad request"}, "InvalidParameterValue")
    series = STATE.get("metrics", {}).get(dims + "|" + ms["Metric"]["MetricName"], {})
    pts = sorted((int(t), v) for t, v in series.items()
                 if req["StartTime"] <= int(t) < req["EndTime"])
    start = int(req.get("NextToken", "0/x").split("/")[0])
    size = STATE.get("cw_page", 100800)
    page = pts[start:start + size]
    out = {"MetricDataResults": [{"Id": q["Id"], "Label": ms["Metric"]["MetricName"],
                                  "Timestamps": [t for t, _ in page],
                                  "Values": [v for _, v in page],
                                  "StatusCode": "Complete"}], "Messages": []}
    if start + size < len(pts):
        out["MetricDataResults"][0]["StatusCode"] = "PartialData"
        out["NextToken"] = "%d/opaque+token==" % (start + size)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json", headers=None):
        data = b"" if body is None else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        if status != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return status

    def record(self, op, status, body):
        entry = {"t": now(), "method": self.command, "path": self.path,
                 "op": op, "status": status,
                 "content_type": self.headers.get("Content-Type"),
                 "authorization": bool(self.headers.get("Authorization")),
                 "token": self.headers.get("X-Amz-Security-Token"),
                 "body": body.decode("utf-8", "replace")}
        with LOCK:
            LOG.write(json.dumps(entry) + "\n")
            LOG.flush()

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/_control":
            with LOCK:
                for f in json.loads(body).get("fail", []):
                    FAULTS.append(f)
            return self.reply(200, {})
        if url.path == "/" and self.command == "POST" and \
                self.headers.get("X-Amz-Target"):
            return self.cloudwatch(body)
        if url.path == "/" and self.command == "POST":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            status, xml = sts(form)
            if self.headers.get("Authorization"):
                status, xml = 400, "<ErrorResponse><Error><Code>Unexpected" \
                    "Auth</Code></Error></ErrorResponse>"
            self.record("AssumeRoleWithWebIdentity", status, body)
            return self.reply(status, xml, "text/xml")
        if url.path == "/v1/credentials":
            status, out = container(self)
            self.record("ContainerCredentials", status, body)
            return self.reply(status, out)
        op = op_name(self.command, url.path, query)
        try:
            check_signature(self, body)
            f = take_fault(op)
            if f:
                time.sleep(f.get("delay_s", 0))
                if f.get("status"):
                    h = {"Retry-After": f["retry_after"]} \
                        if "retry_after" in f else {}
                    code = {429: "TooManyRequestsException",
                            500: "ServiceException",
                            409: "ResourceConflictException"}.get(
                                f["status"], "ServiceException")
                    raise aws_error(f["status"], f.get("code", code),
                                    f.get("message", "injected"), h)
            with LOCK:
                op, status, out = lambda_op(self.command, url.path, query,
                                            body)
        except Reply as r:
            self.record(op, r.status, body)
            return self.reply(r.status, r.body, headers=r.headers)
        self.record(op, status, body)
        return self.reply(status, out)

    def cloudwatch(self, body):
        op = "GetMetricData"
        try:
            check_signature(self, body, "monitoring")
            if self.headers.get("X-Amz-Target") != \
                    "GraniteServiceVersion20100801.GetMetricData" or \
                    self.headers.get("Content-Type") != "application/x-amz-json-1.0" or \
                    self.headers.get("x-amzn-query-mode") != "true":
                raise Reply(400, {"__type": "com.amazon.coral.service#"
                                  "UnknownOperationException"}, "Unknown")
            f = take_fault(op)
            if f:
                time.sleep(f.get("delay_s", 0))
                if f.get("status"):
                    code = "Throttling" if f["status"] == 400 else "InternalFailure"
                    raise Reply(f["status"], {"__type": "com.amazonaws.cloudwatch#"
                                              + code, "message": "injected"},
                                code, {"x-amzn-query-error": code + ";Sender"})
            out = get_metric_data(json.loads(body))
        except Reply as r:
            self.record(op, r.status, body)
            return self.reply(r.status, r.body, "application/x-amz-json-1.0",
                              r.headers)
        self.record(op, 200, body)
        return self.reply(200, out, "application/x-amz-json-1.0")

    do_GET = do_PUT = do_POST = do_DELETE = handle_any


def main():
    global STATE, LOG
    with open(sys.argv[1]) as f:
        STATE = json.load(f)
    STATE["keys"] = {k: (v["secret"], v.get("token"))
                     for k, v in STATE.get("keys", {}).items()}
    LOG = open(sys.argv[2], "a")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[3] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    srv.serve_forever()


if __name__ == "__main__":
    main()
