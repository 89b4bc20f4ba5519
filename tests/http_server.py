#!/usr/bin/env python3
"""A loopback HTTP/1.1 server for the HTTP client's tests (Python 3 stdlib).

It binds 127.0.0.1 on a free port, prints "PORT <n>" on stdout and serves
until its standard input closes (the test that started it ended).  Each
endpoint plays one behaviour of a real API, modelled on the HubSpot and
Salesforce answers in docs/connectors.md: keep-alive, gzip, Retry-After in
both forms, rate-limit bodies, expired sessions, slow, dropped, huge and
streamed answers.  Counters are per "key" query parameter, so tests sharing
a server do not see each other.

  GET  /echo                      the request as JSON, with the peer port
  GET  /gzip?bytes=N              N bytes of JSON, gzip when offered
  GET  /flaky?key&fail=N&status=S&retry_after=V
                                  S (with Retry-After V; "date+N" is an
                                  HTTP date N s ahead) N times, then 200
  GET  /html503?key&fail=N        a CDN's HTML 503 page N times, then 200
  GET  /drop?key&fail=N           closes the connection N times, then 200
  GET  /limit?key&fail=N&kind=K   403 REQUEST_LIMIT_EXCEEDED (K: concurrent
                                  or daily) N times, then 200
  GET  /daily                     429 with HubSpot's DAILY policy body
  POST /token                     a new access token (OAuth-like JSON)
  POST /expire                    the current token stops working
  GET  /protected                 200 with the current Bearer token, else
                                  401 INVALID_SESSION_ID
  GET  /big?bytes=N               N bytes
  GET  /slow?ms=N                 answers after N ms
  GET  /stream?lines=N            N CSV lines, chunked
  GET  /paced?key                 200, its arrival time recorded
  GET  /hits?key                  the arrival times of /paced?key
  GET  /count?key&path=P          how many requests P?key had
  GET  /tokens                    every token issued
  POST /crm/tasks?delay_ms=N      a CRM task created (answered N ms late)
  GET  /crm/tasks?FIELD=VALUE     the tasks whose fields match
  POST /crm/tasks/ID/complete     a person completed it (JSON body kept)
  POST /crm/reset                 no tasks
"""

import email.utils
import gzip
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
COUNTS = {}
HITS = {}
TOKEN = {"current": None, "issued": []}
TASKS = []      # the fake CRM's tasks, in creation order


def count(path, key):
    with LOCK:
        COUNTS[(path, key)] = COUNTS.get((path, key), 0) + 1
        return COUNTS[(path, key)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def json(self, status, obj, headers=()):
        self.answer(status, json.dumps(obj), headers=headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PATCH(self):
        self.route("PATCH")

    def route(self, method):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/crm/"):
            self.crm(method, url.path, q)
            return
        key = q.get("key", "")
        n = count(url.path, key)
        handler = getattr(self, "ep_" + url.path.strip("/"), None)
        if handler is None:
            self.json(404, {"status": "error", "message": "no such path",
                            "category": "OBJECT_NOT_FOUND"})
            return
        handler(method, q, key, n)

    def ep_echo(self, method, q, key, n):
        self.json(200, {"method": method, "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": self.body().decode("utf-8", "replace"),
                        "port": self.client_address[1]})

    def ep_gzip(self, method, q, key, n):
        raw = json.dumps({"fill": "a" * int(q.get("bytes", "1000"))})
        offered = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if offered:
            self.answer(200, gzip.compress(raw.encode()),
                        headers=[("Content-Encoding", "gzip")])
        else:
            self.answer(200, raw)

    def ep_flaky(self, method, q, key, n):
        if n > int(q.get("fail", "1")):
            self.json(200, {"ok": True, "calls": n})
            return
        headers = []
        after = q.get("retry_after")
        if after is not None and after.startswith("date+"):
            when = time.time() + int(after[5:])
            after = email.utils.formatdate(when, usegmt=True)
        if after is not None:
            headers.append(("Retry-After", after))
        self.json(int(q.get("status", "503")),
                  {"status": "error", "message": "try again later"},
                  headers)

    def ep_html503(self, method, q, key, n):
        if n > int(q.get("fail", "1")):
            self.json(200, {"ok": True})
            return
        self.answer(503, "<html><body><h1>503 Service Unavailable</h1>"
                    "</body></html>", ctype="text/html")

    def ep_drop(self, method, q, key, n):
        if n > int(q.get("fail", "1")):
            self.json(200, {"ok": True, "calls": n})
            return
        self.close_connection = True
        self.connection.shutdown(2)

    def ep_limit(self, method, q, key, n):
        if n > int(q.get("fail", "1")):
            self.json(200, {"ok": True, "calls": n})
            return
        what = ("ConcurrentPerOrgLongTxn Limit exceeded."
                if q.get("kind") == "concurrent"
                else "TotalRequests Limit exceeded.")
        self.json(403, [{"message": what,
                         "errorCode": "REQUEST_LIMIT_EXCEEDED"}])

    def ep_daily(self, method, q, key, n):
        self.json(429, {"status": "error", "errorType": "RATE_LIMIT",
                        "message": "You have reached your daily limit.",
                        "policyName": "DAILY", "correlationId": "c-1"},
                  [("Retry-After", "1")])

    def ep_token(self, method, q, key, n):
        self.body()
        token = "tok-" + secrets.token_hex(20)
        with LOCK:
            TOKEN["current"] = token
            TOKEN["issued"].append(token)
        self.json(200, {"access_token": token, "token_type": "bearer",
                        "expires_in": 1800})

    def ep_expire(self, method, q, key, n):
        self.body()
        with LOCK:
            TOKEN["current"] = None
        self.json(200, {"ok": True})

    def ep_protected(self, method, q, key, n):
        auth = self.headers.get("Authorization") or ""
        with LOCK:
            current = TOKEN["current"]
        if current is None or auth != "Bearer " + current:
            self.json(401, [{"message": "Session expired or invalid",
                             "errorCode": "INVALID_SESSION_ID"}])
            return
        self.json(200, {"ok": True, "token": current})

    def ep_big(self, method, q, key, n):
        self.answer(200, b"x" * int(q.get("bytes", "1000")),
                    ctype="application/octet-stream")

    def ep_slow(self, method, q, key, n):
        time.sleep(int(q.get("ms", "1000")) / 1000.0)
        self.json(200, {"ok": True})

    def ep_stream(self, method, q, key, n):
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        lines = int(q.get("lines", "10"))
        for start in range(0, lines, 500):
            chunk = "".join("%d,row %d\n" % (i, i)
                            for i in range(start, min(lines, start + 500)))
            data = chunk.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")

    def ep_paced(self, method, q, key, n):
        with LOCK:
            HITS.setdefault(key, []).append(time.monotonic())
        self.json(200, {"ok": True})

    def ep_hits(self, method, q, key, n):
        with LOCK:
            self.json(200, {"hits": HITS.get(key, [])})

    def ep_tokens(self, method, q, key, n):
        with LOCK:
            self.json(200, {"tokens": TOKEN["issued"]})

    def ep_count(self, method, q, key, n):
        with LOCK:
            self.json(200, {"count": COUNTS.get((q.get("path"), key), 0)})

    # A CRM's task API, shaped like HubSpot's and Salesforce's: a create
    # answers 201 with the new id; tasks can be searched by the exception
    # id the client put in them, or by status; a person completes one.
    def crm(self, method, path, q):
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["crm", "tasks"]:
            task = json.loads(self.body() or b"{}")
            with LOCK:
                task["id"] = "T%d" % (len(TASKS) + 1)
                task["status"] = "NOT_STARTED"
                TASKS.append(task)
            # Created, then slow to answer: a client that gives up
            # cannot know the task exists.
            time.sleep(int(q.get("delay_ms", "0")) / 1000.0)
            self.json(201, {"id": task["id"], "success": True})
        elif method == "GET" and parts == ["crm", "tasks"]:
            with LOCK:
                found = [t for t in TASKS
                         if all(t.get(k) == v for k, v in q.items())]
            self.json(200, {"results": found})
        elif (method == "POST" and len(parts) == 4 and
              parts[:2] == ["crm", "tasks"] and parts[3] == "complete"):
            done = json.loads(self.body() or b"{}")
            with LOCK:
                for t in TASKS:
                    if t["id"] == parts[2]:
                        t.update(done, status="COMPLETED")
            self.json(200, {"ok": True})
        elif method == "POST" and parts == ["crm", "reset"]:
            self.body()
            with LOCK:
                del TASKS[:]
            self.json(200, {"ok": True})
        else:
            self.json(404, {"status": "error", "message": "no such path"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # /drop closes connections on purpose: not worth a traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
