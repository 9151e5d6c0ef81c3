#!/usr/bin/env python3
"""The client of the failover test (scripts/failover-test.sh): GET http://VIP:PORT/ in a loop,
one new connection per request, each with a short timeout, until told to stop or a time limit.

Writes one line per request to stdout: `<seconds since start> ok <body>` or
`<seconds since start> fail <error>`, flushed, so the test reads the outcome as it goes.
Stops at --max-seconds or --max-requests, whichever comes first, or when the file
--stop-file exists.
"""
import argparse
import os
import socket
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--stop-file", required=True)
    arguments = parser.parse_args()
    started = time.monotonic()
    request = f"GET / HTTP/1.1\r\nHost: {arguments.host}\r\nConnection: close\r\n\r\n".encode()
    for _ in range(arguments.max_requests):
        now = time.monotonic()
        if now - started > arguments.max_seconds or os.path.exists(arguments.stop_file):
            break
        try:
            with socket.create_connection((arguments.host, arguments.port), timeout=arguments.timeout) as connection:
                connection.settimeout(arguments.timeout)
                connection.sendall(request)
                response = b""
                while True:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    response += chunk
            head, _, body = response.partition(b"\r\n\r\n")
            status = head.split(b" ")[1] if head.startswith(b"HTTP/1.1 ") else b"?"
            if status == b"200":
                print(f"{now - started:.3f} ok {body.decode(errors='replace').strip()}", flush=True)
            else:
                print(f"{now - started:.3f} fail status {status.decode(errors='replace')}", flush=True)
        except OSError as error:
            print(f"{now - started:.3f} fail {type(error).__name__}", flush=True)
        elapsed = time.monotonic() - now
        time.sleep(max(0.0, arguments.interval - elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
