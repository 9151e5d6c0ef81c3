#!/usr/bin/env python3
"""A WebSocket echo server on 127.0.0.1, independent of Portcullis (the `websockets` package).

    python3 ws_echo_server.py [--port 0] [--refuse STATUS] [--close-after N]

Prints the port it listens on as the first line of stdout (then flushes), and serves until its
standard input closes, or until SIGTERM / SIGINT, or until --max-seconds have passed.

- An upgrade request (`Connection: upgrade`, `Upgrade: websocket`) is accepted (101) and every
  text or binary message is sent back as it came; pings are answered with pongs (by the library).
- `--refuse STATUS`: every upgrade request is answered with STATUS (for example 403) and the
  body `upgrade refused by target`, instead of 101.
- A request without `Upgrade: websocket` (what a proxy sends when it does not forward the
  upgrade) is answered `426 Upgrade Required` with the body `no upgrade requested`.
- `--close-after N`: after echoing N messages on a connection, the server closes it (close
  code 1000, reason `server closes`).
- `--log FILE`: one line per event (`open`, `refused`, `plain`, `closed CODE`), for tests that
  want to know what reached the target.

Only 127.0.0.1 is listened on.
"""

import argparse
import asyncio
import http
import logging
import os
import signal
import sys
import threading

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

HOST = "127.0.0.1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--refuse", type=int, metavar="STATUS", help="answer upgrades with STATUS instead of 101")
    parser.add_argument("--close-after", type=int, metavar="N", help="close each connection after N echoed messages")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop after this long in any case")
    parser.add_argument("--log", metavar="FILE", help="append one line per event to FILE")
    args = parser.parse_args()
    if args.refuse is not None and not (200 <= args.refuse <= 599 and args.refuse != 101):
        parser.error("--refuse must be a final status, 200...599")
    if args.close_after is not None and args.close_after < 0:
        parser.error("--close-after must be >= 0")
    logging.basicConfig(level=logging.CRITICAL)  # rejected handshakes are expected here
    return asyncio.run(serve_until_stopped(args))


async def serve_until_stopped(args) -> int:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def request_stop(*_):
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)

    # stdin closing (the test process ended or closed the pipe) stops the server.
    def watch_stdin():
        try:
            while os.read(0, 4096):  # unbuffered: no lock held at interpreter shutdown
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(request_stop)

    threading.Thread(target=watch_stdin, daemon=True).start()
    loop.call_later(args.max_seconds, request_stop)

    events = open(args.log, "a", buffering=1) if args.log else None

    def note(text: str) -> None:
        if events:
            events.write(text + "\n")

    def process_request(connection, request):
        upgrade = request.headers.get("Upgrade", "")
        if "websocket" not in upgrade.lower():
            note(f"plain {request.path}")
            return plain_response(http.HTTPStatus.UPGRADE_REQUIRED, "no upgrade requested\n",
                                  extra=[("Upgrade", "websocket")])
        if args.refuse is not None:
            note(f"refused {request.path}")
            return plain_response(args.refuse, "upgrade refused by target\n")
        note(f"open {request.path}")
        return None

    async def echo(websocket):
        count = 0
        try:
            async for message in websocket:
                await websocket.send(message)
                count += 1
                if args.close_after is not None and count >= args.close_after:
                    await websocket.close(1000, "server closes")
                    break
        except ConnectionClosed:
            pass
        code = websocket.close_code
        note(f"closed {code} after {count}")

    async with serve(echo, HOST, args.port, process_request=process_request, compression=None,
                     max_size=None, ping_interval=None, close_timeout=2) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await stop
        server.close(close_connections=True)
    if events:
        events.close()
    return 0


def plain_response(status: int, text: str, extra=()) -> Response:
    status = http.HTTPStatus(status)
    body = text.encode()
    headers = Headers([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    for name, value in extra:
        headers[name] = value
    # websockets closes the connection after a response other than 101; say so.
    headers["Connection"] = "close"
    return Response(status.value, status.phrase, headers, body)


if __name__ == "__main__":
    sys.exit(main())
