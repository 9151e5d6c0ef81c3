#!/usr/bin/env python3
"""A forward-auth service on 127.0.0.1 (Python's http.server), independent of Portcullis.

    python3 auth_service.py

Prints its port as the first line of stdout, serves until its standard input closes (or 300 s).
`Authorization: Token good` gets 200 with `X-User: alice` (and `X-Seen-Uri` = the
X-Forwarded-Uri it was given); `Token slow` answers after 3 s; anything else gets 401 with
`WWW-Authenticate: Token realm="test"`, `Content-Type: application/json` and the body
`{"error":"denied"}`. Every request is one line on stderr: method, path, X-Forwarded-Method,
X-Forwarded-Uri.
"""
import http.server, sys, threading, time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        sys.stderr.write(f"{self.command} {self.path} {self.headers.get('X-Forwarded-Method')} {self.headers.get('X-Forwarded-Uri')}\n")
        sys.stderr.flush()
        auth = self.headers.get("Authorization", "")
        if auth == "Token slow":
            time.sleep(3)
        if auth == "Token good":
            self.send_response(200)
            self.send_header("X-User", "alice")
            self.send_header("X-Seen-Uri", self.headers.get("X-Forwarded-Uri", "-"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"error":"denied"}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Token realm="test"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
deadline = time.time() + 300
while time.time() < deadline and sys.stdin.readline():
    pass
server.shutdown()
