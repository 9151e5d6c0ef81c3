#!/usr/bin/env python3
"""A recording HTTP/1.1 target for the cache tests (stdlib only), independent of Portcullis.
Prints its port as the first line, serves until stdin closes (or 300 s).

Every request is counted by its target (path and query); GET /__count?target=<urlencoded>
answers the count (and /__count?target=...&kind=304 the conditional requests it answered 304).
The response is configured by the query of the request itself:
  cc=...        a Cache-Control value          expires=N   Expires: now+N s (with Date)
  etag=...      ETag (quoted by the target)    lm=1        Last-Modified: a fixed date
  vary=...      Vary                           cookie=1    Set-Cookie: id=<count>
  status=N      the status (default 200)       delay=S     sleep S seconds before answering
  tag=...       Cache-Tag                      fail=1      answer 503 (after the first request)
  age=N         Age
A request with If-None-Match equal to the ETag (or If-Modified-Since with lm=1) gets 304.
The body is "<target> #<count>\n": a client can tell which upstream response it got.
"""
import http.server, sys, threading, time, urllib.parse
from email.utils import formatdate

counts = {}
not_modified = {}
lock = threading.Lock()
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, headers, body=b""):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def handle_any(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if parsed.path == "/__count":
            target = query.get("target", "")
            with lock:
                value = (not_modified if query.get("kind") == "304" else counts).get(target, 0)
            self.answer(200, [("Content-Type", "text/plain")], f"{value}\n".encode())
            return
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            count = counts[self.path]
        if "delay" in query:
            time.sleep(float(query["delay"]))
        headers = [("Content-Type", "text/plain"), ("Date", formatdate(usegmt=True))]
        if "cc" in query:
            headers.append(("Cache-Control", query["cc"]))
        if "expires" in query:
            headers.append(("Expires", formatdate(time.time() + int(query["expires"]), usegmt=True)))
        etag = f'"{query["etag"]}"' if "etag" in query else None
        if etag:
            headers.append(("ETag", etag))
        if query.get("lm") == "1":
            headers.append(("Last-Modified", LAST_MODIFIED))
        if "vary" in query:
            headers.append(("Vary", query["vary"]))
        if query.get("cookie") == "1":
            headers.append(("Set-Cookie", f"id={count}; Path=/"))
        if "tag" in query:
            headers.append(("Cache-Tag", query["tag"]))
        if "age" in query:
            headers.append(("Age", query["age"]))
        if query.get("fail") == "1" and count > 1:
            self.answer(503, [("Content-Type", "text/plain")], b"down\n")
            return
        conditional = (etag is not None and self.headers.get("If-None-Match") == etag) or (
            query.get("lm") == "1" and self.headers.get("If-Modified-Since") == LAST_MODIFIED and self.headers.get("If-None-Match") is None)
        if conditional:
            with lock:
                not_modified[self.path] = not_modified.get(self.path, 0) + 1
            self.answer(304, headers)
            return
        language = self.headers.get("Accept-Language", "-")
        body = f"{self.path} #{count} lang={language}\n".encode()
        self.answer(int(query.get("status", "200")), headers, body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
deadline = time.time() + 300
try:
    while time.time() < deadline:
        if not sys.stdin.readline():
            break
except KeyboardInterrupt:
    pass
