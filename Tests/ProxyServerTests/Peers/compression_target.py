#!/usr/bin/env python3
"""An HTTP/1.1 target for the compression tests (stdlib only), independent of Portcullis.
Prints its port as the first line, serves until stdin closes (or 300 s).

`python3 compression_target.py digest N` prints the SHA-256 and length of /stream?bytes=N's body
instead (the same generator), for the test to compare with what a client decoded.

Paths (every body deterministic):
  /json            100 KiB of JSON, Content-Length, a strong ETag, Accept-Ranges, Vary: Origin
  /json-chunked    the same without Content-Length (chunked, in 8 KiB pieces)
  /small           200 bytes of text/plain with Content-Length (under min_bytes)
  /encoded         /json gzip-compressed by the target, Content-Encoding: gzip
  /partial         206 with Content-Range, text/plain
  /no-transform    /json with Cache-Control: no-transform
  /png             bytes labelled image/png
  /stream?bytes=N  N bytes of base64 text (poorly compressible: 6 random bits per byte), chunked,
                   written in 64 KiB pieces as the socket takes them
"""
import base64, gzip, hashlib, http.server, json, random, sys, threading


def json_body():
    """Exactly 100 KiB of valid JSON: an array of records, padded with spaces before the end."""
    records = []
    size = 2
    for i in range(10000):
        record = json.dumps({"id": i, "name": f"item-{i}", "price": round(i * 1.25, 2), "tags": ["alpha", "beta", "gamma"][: i % 3 + 1],
                             "active": i % 2 == 0, "description": "A reasonably typical JSON record for an API response."},
                            separators=(",", ":"))
        if size + len(record) + 1 > 100 * 1024:
            break
        records.append(record)
        size += len(record) + 1
    text = "[" + ",".join(records)
    return (text + " " * (100 * 1024 - len(text) - 1) + "]").encode()


JSON = json_body()
SMALL = b"s" * 199 + b"\n"


def stream_pieces(total):
    """The /stream body, in pieces of at most 64 KiB: base64 of a seeded generator's bytes."""
    rng = random.Random(20)
    sent = 0
    while sent < total:
        raw = rng.randbytes(48 * 1024)
        piece = base64.b64encode(raw)[: total - sent]
        sent += len(piece)
        yield piece


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def fixed(self, status, body, headers):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunked(self, status, pieces, headers):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        for piece in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path, _, query = self.path.partition("?")
        json_headers = [("Content-Type", "application/json"), ("ETag", '"v1"'), ("Accept-Ranges", "bytes"), ("Vary", "Origin")]
        if path == "/json":
            self.fixed(200, JSON, json_headers)
        elif path == "/json-chunked":
            self.chunked(200, (JSON[i:i + 8192] for i in range(0, len(JSON), 8192)), [("Content-Type", "application/json")])
        elif path == "/small":
            self.fixed(200, SMALL, [("Content-Type", "text/plain")])
        elif path == "/encoded":
            self.fixed(200, gzip.compress(JSON, mtime=0), json_headers + [("Content-Encoding", "gzip")])
        elif path == "/partial":
            self.fixed(206, JSON[:5000], [("Content-Type", "text/plain"), ("Content-Range", f"bytes 0-4999/{len(JSON)}")])
        elif path == "/no-transform":
            self.fixed(200, JSON, json_headers + [("Cache-Control", "public, no-transform")])
        elif path == "/png":
            self.fixed(200, JSON, [("Content-Type", "image/png")])
        elif path == "/stream":
            total = int(query.partition("=")[2] or 0)
            self.chunked(200, stream_pieces(total), [("Content-Type", "text/plain")])
        else:
            self.fixed(404, b"not found\n", [("Content-Type", "text/plain")])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "digest":
        digest, length = hashlib.sha256(), 0
        for piece in stream_pieces(int(sys.argv[2])):
            digest.update(piece)
            length += len(piece)
        print(digest.hexdigest(), length)
        return
    if len(sys.argv) == 2 and sys.argv[1] == "json":
        sys.stdout.buffer.write(JSON)
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(300)
    server.shutdown()


if __name__ == "__main__":
    main()
