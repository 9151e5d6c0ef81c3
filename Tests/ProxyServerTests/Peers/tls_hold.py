#!/usr/bin/env python3
"""One TLS connection held open across what a test does to the server.

Connects (verifying against --cafile, SNI --name), prints `names <SANs>` of the certificate it
got, then for every line `get` on stdin sends `GET /` on the same connection and prints the
response's status line. Exits when stdin closes or after --max-seconds.
"""
import argparse, signal, socket, ssl, sys

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--name", default="localhost")
parser.add_argument("--cafile", required=True)
parser.add_argument("--max-seconds", type=int, default=60)
args = parser.parse_args()
signal.alarm(args.max_seconds)

context = ssl.create_default_context(cafile=args.cafile)
context.set_alpn_protocols(["http/1.1"])
raw = socket.create_connection(("127.0.0.1", args.port), timeout=10)
connection = context.wrap_socket(raw, server_hostname=args.name)
names = [value for _, value in connection.getpeercert().get("subjectAltName", ())]
print("names " + ",".join(names), flush=True)
reader = connection.makefile("rb")
for line in sys.stdin:
    if line.strip() != "get":
        continue
    connection.sendall(f"GET / HTTP/1.1\r\nHost: {args.name}\r\n\r\n".encode())
    status = reader.readline().decode().strip()
    length = 0
    while True:
        header = reader.readline().decode().strip()
        if not header:
            break
        if header.lower().startswith("content-length:"):
            length = int(header.split(":", 1)[1])
    reader.read(length)
    print(status, flush=True)
