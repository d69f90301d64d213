#!/usr/bin/env python3
"""A local Kubernetes API server for prewarm's tests, following CONTRACTS.md 4.

HTTPS only (a CA made by the test), on loopback.  It serves Deployments and
StatefulSets with their scale subresource, autoscaling/v2 HPAs, and
coordination.k8s.io/v1 Leases, with resourceVersion on every object, the
PATCH content types the API server accepts (anything else gets 415), 409
Conflict on a stale resourceVersion, 422 Invalid on values the API server
rejects, and Status objects as error bodies.

Auth: "Authorization: Bearer T" where T is a line of the token file
(re-read per request, so tests can rotate it; requests with a token other
than the first are logged as "token:T"), or a client certificate signed by
the CA.  Anything else is 401.  Leases: POST (409 AlreadyExists), PUT
only with the current resourceVersion (422 without, 409 when stale), and
MicroTime with exactly six fractional digits (400 otherwise).

Usage: k8s_server.py STATE.json LOG.jsonl CERT KEY CA TOKENFILE HOST PORTFILE
POST /_control (with a valid token) injects faults (and, for Knative,
{"latest": {"NS/SERVICE": "REVISION"}} makes REVISION the latest ready):
{"fail": [{"op": "PATCH scale", "status": 409, "count": 1, "retry_after": 1}]}
("reason" and "message" may be given too: the Status object's fields).
Pods become ready "ready_s" seconds after a scale (STATE).
"""
import json
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {}
FAULTS = []
LOG = None
TOKEN_FILE = None
RV = [1000]
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json",
               "application/apply-patch+yaml")


def next_rv():
    RV[0] += 1
    return str(RV[0])


class Reply(Exception):
    def __init__(self, status, reason, message, headers=None):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.headers = headers or {}

    def body(self):
        return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": self.message,
                "reason": self.reason, "code": self.status}


def merge(dst, patch):
    for k, v in patch.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v


def settle(w):
    """Pods become ready ready_s after a scale."""
    want = w["spec"].get("replicas", 0)
    if time.time() >= w.get("_ready_at", 0):
        w["status"]["replicas"] = want
        w["status"]["readyReplicas"] = want
    else:
        w["status"]["replicas"] = max(want, w["status"].get("replicas", 0))


def view(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def scale_of(kind, w):
    spec = {}
    if w["spec"].get("replicas", 0):
        spec["replicas"] = w["spec"]["replicas"]   # omitempty, as upstream
    return {"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": w["metadata"]["name"],
                         "namespace": w["metadata"]["namespace"],
                         "resourceVersion": w["metadata"]["resourceVersion"]},
            "spec": spec,
            "status": {"replicas": w["status"].get("replicas", 0),
                       "selector": "app=" + w["metadata"]["name"]}}


def check_rv(obj, patch):
    rv = patch.get("metadata", {}).get("resourceVersion")
    if rv is not None and rv != obj["metadata"]["resourceVersion"]:
        raise Reply(409, "Conflict", "Operation cannot be fulfilled: the "
                    "object has been modified; please apply your changes to "
                    "the latest version and try again")


def workload_op(method, ns, plural, name, sub, body, ctype):
    coll = STATE.setdefault(plural, {})
    w = coll.get(ns + "/" + name)
    if w is None:
        raise Reply(404, "NotFound", '%s.apps "%s" not found' % (plural, name))
    settle(w)
    if method == "GET":
        return 200, scale_of(plural, w) if sub == "scale" else view(w)
    if method == "PATCH" and sub == "scale":
        if ctype not in PATCH_TYPES:
            raise Reply(415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format - "
                        "accepted media types include: " + ", ".join(PATCH_TYPES))
        if ctype != "application/merge-patch+json":
            raise Reply(415, "UnsupportedMediaType", "this server speaks "
                        "merge-patch only")
        patch = json.loads(body)
        check_rv(w, patch)
        n = patch.get("spec", {}).get("replicas")
        if not isinstance(n, int) or n < 0:
            raise Reply(422, "Invalid", "Scale.autoscaling \"%s\" is invalid: "
                        "spec.replicas: Invalid value: must be greater than "
                        "or equal to 0" % name)
        if n != w["spec"].get("replicas"):
            w["spec"]["replicas"] = n
            w["_ready_at"] = time.time() + STATE.get("ready_s", 0.5)
            w["metadata"]["resourceVersion"] = next_rv()
        settle(w)
        return 200, scale_of(plural, w)
    raise Reply(405, "MethodNotAllowed", "method not allowed")


def hpa_op(method, ns, name, body, ctype):
    hpas = STATE.setdefault("hpas", {})
    if name is None:
        items = [view(h) for k, h in sorted(hpas.items())
                 if k.startswith(ns + "/")]
        return 200, {"apiVersion": "autoscaling/v2",
                     "kind": "HorizontalPodAutoscalerList",
                     "metadata": {"resourceVersion": str(RV[0])},
                     "items": items}
    h = hpas.get(ns + "/" + name)
    if h is None:
        raise Reply(404, "NotFound", 'horizontalpodautoscalers.autoscaling '
                    '"%s" not found' % name)
    if method == "GET":
        return 200, view(h)
    if method == "PATCH":
        if ctype not in PATCH_TYPES or ctype != "application/merge-patch+json":
            raise Reply(415, "UnsupportedMediaType", "unsupported patch type")
        patch = json.loads(body)
        check_rv(h, patch)
        new = json.loads(json.dumps(h))
        merge(new, patch)
        lo, hi = new["spec"].get("minReplicas", 1), new["spec"]["maxReplicas"]
        if not isinstance(lo, int) or lo < 1:
            raise Reply(422, "Invalid", "spec.minReplicas: Invalid value: %r: "
                        "must be greater than or equal to 1" % lo)
        if lo > hi:
            raise Reply(422, "Invalid", "spec.maxReplicas: Invalid value: %d: "
                        "must be greater than or equal to `minReplicas`" % hi)
        new["metadata"]["resourceVersion"] = next_rv()
        hpas[ns + "/" + name] = new
        # The HPA controller raises the workload to the new floor.
        ref = new["spec"]["scaleTargetRef"]
        plural = {"Deployment": "deployments",
                  "StatefulSet": "statefulsets"}.get(ref["kind"])
        w = STATE.get(plural, {}).get(ns + "/" + ref["name"])
        if w is not None and w["spec"].get("replicas", 0) < lo:
            w["spec"]["replicas"] = lo
            w["_ready_at"] = time.time() + STATE.get("ready_s", 0.5)
            w["metadata"]["resourceVersion"] = next_rv()
        new["status"]["currentReplicas"] = max(
            lo, w["spec"]["replicas"] if w else lo)
        return 200, view(new)
    raise Reply(405, "MethodNotAllowed", "method not allowed")


MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def check_lease(obj):
    spec = obj.get("spec", {})
    for k in ("acquireTime", "renewTime"):
        if k in spec and spec[k] is not None and not MICRO.match(spec[k]):
            raise Reply(400, "BadRequest", "parsing time %r as "
                        "\"2006-01-02T15:04:05.000000Z07:00\": cannot parse"
                        % spec[k])


def lease_op(method, ns, name, body, ctype):
    leases = STATE.setdefault("leases", {})
    if method in ("POST", "PUT") and ctype != "application/json":
        raise Reply(415, "UnsupportedMediaType", "json only here")
    if method == "POST":
        obj = json.loads(body)
        check_lease(obj)
        key = ns + "/" + obj["metadata"]["name"]
        if key in leases:
            raise Reply(409, "AlreadyExists", 'leases.coordination.k8s.io '
                        '"%s" already exists' % obj["metadata"]["name"])
        obj["metadata"]["namespace"] = ns
        obj["metadata"]["resourceVersion"] = next_rv()
        leases[key] = obj
        return 201, obj
    if method == "GET" and name is None:
        # A LeaseList (sharding reads every shard's Lease in one request).
        items = [v for k, v in sorted(leases.items())
                 if k.startswith(ns + "/")]
        return 200, {"kind": "LeaseList", "apiVersion":
                     "coordination.k8s.io/v1",
                     "metadata": {"resourceVersion": str(RV[0])},
                     "items": items}
    lease = leases.get(ns + "/" + name)
    if lease is None:
        raise Reply(404, "NotFound", 'leases.coordination.k8s.io "%s" not '
                    'found' % name)
    if method == "GET":
        return 200, lease
    if method == "PUT":
        obj = json.loads(body)
        rv = obj.get("metadata", {}).get("resourceVersion")
        if not rv:
            raise Reply(422, "Invalid", "metadata.resourceVersion: Invalid "
                        "value: 0: must be specified for an update")
        if rv != lease["metadata"]["resourceVersion"]:
            raise Reply(409, "Conflict", "Operation cannot be fulfilled on "
                        "leases.coordination.k8s.io: the object has been "
                        "modified")
        check_lease(obj)
        obj["metadata"]["resourceVersion"] = next_rv()
        leases[ns + "/" + name] = obj
        return 200, obj
    raise Reply(405, "MethodNotAllowed", "method not allowed")


# --- KEDA ScaledObjects and Knative Services/Revisions (issue #15). ---
# Self-contained: STATE["scaledobjects"], STATE["ksvcs"] and
# STATE["revisions"], keyed "NS/NAME".  Merge patches only (415 for any
# other type), a stale metadata.resourceVersion is 409 Conflict, KEDA's
# CRD rule minReplicaCount <= maxReplicaCount (default 100) is 422
# Invalid, and Knative's revision webhook refuses spec changes and
# min-scale above max-scale with 400 BadRequest ("admission webhook ...
# denied the request"), as knative.dev/pkg's webhook answers.  A raised
# floor raises the scale target (KEDA) or the revision's pods (Knative,
# ready after ready_s).

def merge_patch_only(ctype):
    if ctype != "application/merge-patch+json":
        raise Reply(415, "UnsupportedMediaType", "the body of the request "
                    "was in an unknown format - accepted media types "
                    "include: " + ", ".join(PATCH_TYPES))


def scaledobject_op(method, ns, name, body, ctype):
    objs = STATE.setdefault("scaledobjects", {})
    so = objs.get(ns + "/" + name)
    if so is None:
        raise Reply(404, "NotFound", 'scaledobjects.keda.sh "%s" not found'
                    % name)
    if method == "GET":
        return 200, view(so)
    if method != "PATCH":
        raise Reply(405, "MethodNotAllowed", "method not allowed")
    merge_patch_only(ctype)
    patch = json.loads(body)
    check_rv(so, patch)
    new = json.loads(json.dumps(so))
    merge(new, patch)
    sp = new["spec"]
    lo, hi = sp.get("minReplicaCount", 0), sp.get("maxReplicaCount", 100)
    if not isinstance(lo, int) or lo < 0:
        raise Reply(422, "Invalid", 'ScaledObject.keda.sh "%s" is invalid: '
                    'spec.minReplicaCount: Invalid value: %r: should be '
                    'greater than or equal to 0' % (name, lo))
    if lo > hi:
        raise Reply(422, "Invalid", 'ScaledObject.keda.sh "%s" is invalid: '
                    'spec: Invalid value: "object": minReplicaCount must be '
                    'less than or equal to maxReplicaCount' % name)
    new["metadata"]["resourceVersion"] = next_rv()
    objs[ns + "/" + name] = new
    # KEDA's HPA raises the target to a raised floor.
    ref = sp.get("scaleTargetRef", {})
    plural = {"Deployment": "deployments", "StatefulSet": "statefulsets"}.get(
        ref.get("kind", "Deployment"))
    w = STATE.get(plural, {}).get(ns + "/" + ref.get("name", ""))
    if w is not None and w["spec"].get("replicas", 0) < lo:
        w["spec"]["replicas"] = lo
        w["_ready_at"] = time.time() + STATE.get("ready_s", 0.5)
        w["metadata"]["resourceVersion"] = next_rv()
    return 200, view(new)


KN_MIN = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale")
KN_MAX = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")


def kn_ann(ann, keys):
    for k in keys:
        if k in ann:
            return ann[k]
    return None


def kn_deny(msg):
    raise Reply(400, "BadRequest", 'admission webhook "validation.webhook.'
                'serving.knative.dev" denied the request: validation failed: '
                + msg)


def kn_settle(r):
    ann = r["metadata"].get("annotations", {})
    lo = int(kn_ann(ann, KN_MIN) or 0)
    st = r.setdefault("status", {})
    want = max(lo, st.get("_load", 0))
    st["desiredReplicas"] = want
    if time.time() >= r.get("_ready_at", 0):
        st["actualReplicas"] = want
    else:
        st["actualReplicas"] = min(st.get("actualReplicas", 0), want)


def knative_op(method, ns, plural, name, body, ctype):
    coll = STATE.setdefault("ksvcs" if plural == "services" else "revisions",
                            {})
    obj = coll.get(ns + "/" + name)
    if obj is None:
        raise Reply(404, "NotFound", '%s.serving.knative.dev "%s" not found'
                    % (plural, name))
    if plural == "revisions":
        kn_settle(obj)
    if method == "GET":
        return 200, view(obj)
    if method != "PATCH":
        raise Reply(405, "MethodNotAllowed", "method not allowed")
    merge_patch_only(ctype)
    patch = json.loads(body)
    check_rv(obj, patch)
    new = json.loads(json.dumps(obj))
    merge(new, patch)
    if plural == "services":
        # A template change stamps out a new Revision: counted, so tests
        # can show it never happens.
        STATE["revisions_created"] = STATE.get("revisions_created", 0) + 1
    else:
        if new.get("spec") != obj.get("spec"):
            kn_deny("Immutable fields changed (-old +new): spec")
        ann = new["metadata"].get("annotations", {})
        vals = {}
        for keys in (KN_MIN, KN_MAX):
            v = kn_ann(ann, keys)
            if v is not None and (not isinstance(v, str) or not v.isdigit()):
                kn_deny("invalid value: %s: metadata.annotations.%s"
                        % (v, keys[0]))
            vals[keys[0]] = int(v) if v is not None else 0
        lo, hi = vals[KN_MIN[0]], vals[KN_MAX[0]]
        if hi != 0 and hi < lo:
            kn_deny("max-scale=%d is less than min-scale=%d: metadata."
                    "annotations.%s, metadata.annotations.%s"
                    % (hi, lo, KN_MAX[0], KN_MIN[0]))
        if lo > new.get("status", {}).get("actualReplicas", 0):
            new["_ready_at"] = time.time() + STATE.get("ready_s", 0.5)
    new["metadata"]["resourceVersion"] = next_rv()
    coll[ns + "/" + name] = new
    if plural == "revisions":
        kn_settle(new)
    return 200, view(new)


def kn_control(req):
    """/_control {"latest": {"NS/SERVICE": "REVISION"}}: a new deploy."""
    for key, rev in req.get("latest", {}).items():
        STATE["ksvcs"][key]["status"]["latestReadyRevisionName"] = rev


def route_crd(method, p, body, ctype):
    """Routes KEDA and Knative paths; None for any other path."""
    if p[:3] == ["apis", "keda.sh", "v1alpha1"] and len(p) == 7 and \
            p[3] == "namespaces" and p[5] == "scaledobjects":
        return method + " scaledobject", scaledobject_op(method, p[4], p[6],
                                                         body, ctype)
    if p[:3] == ["apis", "serving.knative.dev", "v1"] and len(p) == 7 and \
            p[3] == "namespaces" and p[5] in ("services", "revisions"):
        op = method + (" ksvc" if p[5] == "services" else " revision")
        return op, knative_op(method, p[4], p[5], p[6], body, ctype)
    return None
# --- end of KEDA and Knative. ---


def route(method, path, body, ctype):
    p = [x for x in path.split("/") if x]
    # /apis/apps/v1/namespaces/NS/PLURAL/NAME[/scale]
    if p[:3] == ["apis", "apps", "v1"] and len(p) in (7, 8) and \
            p[3] == "namespaces" and p[5] in ("deployments", "statefulsets"):
        sub = p[7] if len(p) == 8 else None
        op = method + (" scale" if sub else " " + p[5])
        return op, workload_op(method, p[4], p[5], p[6], sub, body, ctype)
    if p[:3] == ["apis", "autoscaling", "v2"] and len(p) in (6, 7) and \
            p[3] == "namespaces" and p[5] == "horizontalpodautoscalers":
        name = p[6] if len(p) == 7 else None
        op = method + (" hpa" if name else " hpas")
        return op, hpa_op(method, p[4], name, body, ctype)
    if p[:3] == ["apis", "coordination.k8s.io", "v1"] and len(p) in (6, 7) \
            and p[3] == "namespaces" and p[5] == "leases":
        return method + (" lease" if len(p) == 7 else " leases"), \
            lease_op(method, p[4], p[6] if len(p) == 7 else None, body, ctype)
    crd = route_crd(method, p, body, ctype)
    if crd is not None:
        return crd
    raise Reply(404, "NotFound", "the server could not find the requested "
                "resource")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        with open(TOKEN_FILE) as f:
            good = [t.strip() for t in f if t.strip()]
        auth = self.headers.get("Authorization", "")
        for t in good:
            if auth == "Bearer " + t:
                return "token" if t == good[0] else "token:" + t
        if auth:
            return None
        cert = self.connection.getpeercert()
        return "cert" if cert else None

    def record(self, op, status, body, who):
        e = {"t": time.time(), "method": self.command, "path": self.path,
             "op": op, "status": status, "auth": who,
             "content_type": self.headers.get("Content-Type"),
             "body": body.decode("utf-8", "replace")}
        with LOCK:
            LOG.write(json.dumps(e) + "\n")
            LOG.flush()

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = urllib.parse.urlsplit(self.path).path
        who = self.authorised()
        op = route_name(self.command, path)
        try:
            if not who:
                raise Reply(401, "Unauthorized", "Unauthorized")
            if path == "/_control":
                with LOCK:
                    FAULTS.extend(json.loads(body).get("fail", []))
                    kn_control(json.loads(body))
                return self.send(200, {})
            with LOCK:
                for f in FAULTS:
                    if f["op"] == op and f["count"] > 0:
                        f["count"] -= 1
                        h = {"Retry-After": f["retry_after"]} \
                            if "retry_after" in f else {}
                        reason = {409: "Conflict", 422: "Invalid",
                                  429: "TooManyRequests",
                                  500: "InternalError"}.get(f["status"], "x")
                        raise Reply(f["status"], f.get("reason", reason),
                                    f.get("message", "injected"), h)
                op, (status, out) = route(self.command, path, body,
                                          self.headers.get("Content-Type"))
        except Reply as r:
            self.record(op, r.status, body, who)
            return self.send(r.status, r.body(), r.headers)
        self.record(op, status, body, who)
        self.send(status, out)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def route_name(method, path):
    p = [x for x in path.split("/") if x]
    if len(p) == 8 and p[7] == "scale":
        return method + " scale"
    if len(p) == 7 and p[5] in ("deployments", "statefulsets"):
        return method + " " + p[5]
    if len(p) == 7 and p[5] == "horizontalpodautoscalers":
        return method + " hpa"
    if len(p) == 6 and p[5] == "horizontalpodautoscalers":
        return method + " hpas"
    if len(p) == 7 and p[5] == "leases":
        return method + " lease"
    if len(p) == 6 and p[5] == "leases":
        return method + " leases"
    if len(p) == 7 and p[5] in ("scaledobjects", "services", "revisions"):
        return method + {"scaledobjects": " scaledobject",
                         "services": " ksvc", "revisions": " revision"}[p[5]]
    return method + " ?"


class Server(ThreadingHTTPServer):
    def __init__(self, host, handler, ctx):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), handler)
        self.ctx = ctx

    def get_request(self):
        sock, addr = super().get_request()
        return self.ctx.wrap_socket(sock, server_side=True), addr


def main():
    global STATE, LOG, TOKEN_FILE
    state, log, cert, key, ca, TOKEN_FILE, host, portfile = sys.argv[1:9]
    with open(state) as f:
        STATE = json.load(f)
    for coll in ("deployments", "statefulsets", "hpas", "scaledobjects",
                 "ksvcs", "revisions"):
        for obj in STATE.get(coll, {}).values():
            obj.setdefault("metadata", {})["resourceVersion"] = next_rv()
            obj.setdefault("status", {})
    LOG = open(log, "a")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    srv = Server(host, Handler, ctx)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
