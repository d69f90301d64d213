#!/usr/bin/env python3
"""A tiny HTTP server for fault tests: every request gets the same canned
answer after an optional delay; requests (method, path, headers, body) are
logged as JSON lines.  Loopback only.

Usage: http_fake.py LOG STATUS BODY_FILE DELAY_S [AUTH] PORTFILE
With AUTH ("Basic ..." or "Bearer ..."), requests without exactly that
Authorization header get 401.
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG, STATUS, BODY_FILE, DELAY = sys.argv[1:5]
AUTH = sys.argv[5] if len(sys.argv) > 6 else None
PORTFILE = sys.argv[-1]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers),
                                "body": body.decode("utf-8", "replace")}) + "\n")
        time.sleep(float(DELAY))
        status, data = int(STATUS), open(BODY_FILE, "rb").read()
        if AUTH and self.headers.get("Authorization") != AUTH:
            status, data = 401, b"Unauthorized\n"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout test)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = any


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
