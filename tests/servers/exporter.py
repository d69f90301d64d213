#!/usr/bin/env python3
"""A metrics endpoint for Prometheus to scrape in tests: a counter
prewarm_test_requests_total that grows by RATE a second from when it
started, reset to 0 once RESET_AT seconds after start (a process restart).

Usage: exporter.py RATE RESET_AT PORTFILE
"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

RATE, RESET_AT, PORTFILE = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
T0 = time.time()


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        age = time.time() - T0
        if RESET_AT > 0 and age >= RESET_AT:
            value = RATE * (age - RESET_AT)
        else:
            value = 1000 + RATE * age
        data = ("# HELP prewarm_test_requests_total requests\n"
                "# TYPE prewarm_test_requests_total counter\n"
                "prewarm_test_requests_total{service=\"checkout\"} %.3f\n"
                % value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


srv = HTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
