#!/usr/bin/env python3
"""WebSocket checks through a proxy, independent of Portcullis (the `websockets` package).

    python3 ws_client_check.py URL [CHECK ...] [--cafile CA | --insecure] [options]

URL is ws://… or wss://…. Each check opens its own connection, prints one line
(`ok CHECK: …` or `FAIL CHECK: …`), and the exit status is 1 when any check failed (2 for a
usage error). Without CHECKs: text binary ping order idle close-client.

Checks:
  text          a text message round trip
  binary        a 1 MiB binary message (one frame) round trip, compared byte for byte
  ping          a ping answered by a pong
  order         200 messages sent back to back, all echoed, in order
  idle          an echo, --idle seconds (3) of silence, another echo
  close-client  the client closes (1000); the server's close frame (1000) comes back
  close-server  --close-after N (3) echoes, then the server closes: the client sees code 1000
                (the echo server must run with the same --close-after)
  refused       the upgrade is refused with HTTP --expect-status N (default when that option
                is given); --expect-body TEXT must then be in the response body
  idle-closed   an echo, then silence until the connection is closed by the other side
                (a proxy's tunnel idle timeout), which must happen within --within seconds (10)
  hold          interactive, for tests that keep a tunnel open across events: prints `open`,
                then reads stdin lines: `echo TEXT` (prints `echo TEXT` once echoed), `close`
                (closes with 1000); stdin closing closes too. Whenever the connection ends it
                prints `closed CODE` (1006 when it ended without a close frame) and exits 0.
                Bounded by --max-seconds (60).

Every wait is bounded (--timeout per operation, 10 s); only the URL's host is contacted.
"""

import argparse
import asyncio
import os
import ssl
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus

DEFAULT_CHECKS = ["text", "binary", "ping", "order", "idle", "close-client"]
ALL_CHECKS = DEFAULT_CHECKS + ["close-server", "refused", "idle-closed", "hold"]


class CheckFailed(Exception):
    pass


def say(line: str) -> None:
    print(line, flush=True)


class Checker:
    def __init__(self, args):
        self.args = args
        self.timeout = args.timeout
        self.ssl = None
        if args.url.startswith("wss://"):
            ctx = ssl.create_default_context(cafile=args.cafile)
            if args.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self.ssl = ctx

    def connect(self):
        kwargs = dict(proxy=None, compression=None, max_size=None, ping_interval=None,
                      open_timeout=self.timeout, close_timeout=self.timeout)
        if self.ssl is not None:
            kwargs["ssl"] = self.ssl
            if self.args.server_name:
                kwargs["server_hostname"] = self.args.server_name
        return connect(self.args.url, **kwargs)

    async def recv(self, ws):
        return await asyncio.wait_for(ws.recv(), self.timeout)

    async def echo(self, ws, message):
        await ws.send(message)
        reply = await self.recv(ws)
        if reply != message:
            raise CheckFailed(f"sent {describe(message)}, got {describe(reply)}")
        return reply

    # ---- checks -------------------------------------------------------------------------

    async def check_text(self):
        async with self.connect() as ws:
            await self.echo(ws, "hello through the tunnel ✓")
            return "text message echoed"

    async def check_binary(self):
        payload = os.urandom(1 << 20)
        async with self.connect() as ws:
            t0 = time.monotonic()
            await self.echo(ws, payload)
            return f"1 MiB binary frame echoed byte for byte in {time.monotonic() - t0:.3f}s"

    async def check_ping(self):
        async with self.connect() as ws:
            waiter = await ws.ping(b"portcullis")
            latency = await asyncio.wait_for(waiter, self.timeout)
            return f"pong after {latency * 1000:.1f} ms"

    async def check_order(self):
        count = 200
        async with self.connect() as ws:
            for i in range(count):
                await ws.send(f"message {i}")
            for i in range(count):
                reply = await self.recv(ws)
                if reply != f"message {i}":
                    raise CheckFailed(f"message {i}: got {describe(reply)}")
            return f"{count} messages echoed in order"

    async def check_idle(self):
        async with self.connect() as ws:
            await self.echo(ws, "before the pause")
            await asyncio.sleep(self.args.idle)
            await self.echo(ws, "after the pause")
            return f"echo after {self.args.idle:g}s idle"

    async def check_close_client(self):
        async with self.connect() as ws:
            await self.echo(ws, "about to close")
            await asyncio.wait_for(ws.close(1000, "client done"), self.timeout + 1)
            sent, rcvd = ws.protocol.close_sent, ws.protocol.close_rcvd
            if sent is None or sent.code != 1000:
                raise CheckFailed(f"close frame sent: {sent}")
            if rcvd is None:
                raise CheckFailed("no close frame came back (connection dropped)")
            if rcvd.code != 1000:
                raise CheckFailed(f"close frame came back with code {rcvd.code}")
            if ws.protocol.close_rcvd_then_sent:
                raise CheckFailed("the other side closed first")
            return "client closed with 1000, server answered 1000"

    async def check_close_server(self):
        n = self.args.close_after
        async with self.connect() as ws:
            for i in range(n):
                await self.echo(ws, f"message {i}")
            try:
                extra = await self.recv(ws)
                raise CheckFailed(f"expected the server to close after {n} messages, got {describe(extra)}")
            except ConnectionClosedOK as closed:
                if closed.rcvd is None or closed.rcvd.code != 1000:
                    raise CheckFailed(f"closed with {closed.rcvd}") from None
                return f"server closed after {n} messages: code {closed.rcvd.code} ({closed.rcvd.reason!r})"
            except ConnectionClosed as closed:
                raise CheckFailed(f"connection ended without a clean close: {closed}") from None

    async def check_refused(self):
        want = self.args.expect_status
        if want is None:
            raise CheckFailed("refused needs --expect-status N")
        try:
            async with self.connect() as ws:
                await ws.close()
        except InvalidStatus as err:
            got = err.response.status_code
            body = (err.response.body or b"").decode("utf-8", "replace")
            if got != want:
                raise CheckFailed(f"refused with HTTP {got} (body {body.strip()!r}), expected {want}") from None
            if self.args.expect_body and self.args.expect_body not in body:
                raise CheckFailed(f"HTTP {got}, but the body {body.strip()!r} lacks {self.args.expect_body!r}") from None
            return f"upgrade refused with HTTP {got}: {body.strip()!r}"
        raise CheckFailed(f"the upgrade was accepted (101), expected HTTP {want}")

    async def check_idle_closed(self):
        async with self.connect() as ws:
            await self.echo(ws, "then silence")
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(ws.wait_closed(), self.args.within)
            except asyncio.TimeoutError:
                raise CheckFailed(f"still open after {self.args.within:g}s of silence") from None
            return f"closed by the other side after {time.monotonic() - t0:.1f}s idle (code {ws.close_code})"

    async def check_hold(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        deadline = time.monotonic() + self.args.max_seconds
        async with self.connect() as ws:
            say("open")
            closed = asyncio.ensure_future(ws.wait_closed())
            try:
                while True:
                    line_task = asyncio.ensure_future(reader.readline())
                    remaining = deadline - time.monotonic()
                    done, _ = await asyncio.wait({line_task, closed}, timeout=max(0.0, remaining),
                                                 return_when=asyncio.FIRST_COMPLETED)
                    if line_task not in done:
                        line_task.cancel()
                    if closed in done:
                        break
                    if not done:
                        raise CheckFailed(f"still open after --max-seconds {self.args.max_seconds:g}")
                    line = line_task.result().decode("utf-8", "replace").rstrip("\r\n")
                    if not line or line == "close":
                        await asyncio.wait_for(ws.close(1000, "client done"), self.timeout + 1)
                        break
                    if line.startswith("echo "):
                        try:
                            reply = await self.echo(ws, line[5:])
                            say(f"echo {reply}")
                        except (ConnectionClosed, asyncio.TimeoutError) as err:
                            say(f"echo failed: {type(err).__name__}")
                            await asyncio.wait_for(closed, self.timeout)
                            break
            finally:
                closed.cancel()
            code = ws.close_code if ws.close_code is not None else 1006
            say(f"closed {code}")
            return f"tunnel held, then closed ({code})"

    async def run(self, checks) -> int:
        failed = 0
        for name in checks:
            fn = getattr(self, "check_" + name.replace("-", "_"))
            try:
                detail = await asyncio.wait_for(fn(), self.budget(name))
                say(f"ok {name}: {detail}")
            except CheckFailed as err:
                failed += 1
                say(f"FAIL {name}: {err}")
            except InvalidStatus as err:
                failed += 1
                say(f"FAIL {name}: upgrade refused with HTTP {err.response.status_code}")
            except asyncio.TimeoutError:
                failed += 1
                say(f"FAIL {name}: timed out")
            except (OSError, ConnectionClosed, Exception) as err:  # noqa: BLE001 - report and go on
                failed += 1
                say(f"FAIL {name}: {type(err).__name__}: {err}")
        return 1 if failed else 0

    def budget(self, name: str) -> float:
        """A hard bound for one whole check."""
        extra = {"idle": self.args.idle, "idle-closed": self.args.within, "hold": self.args.max_seconds}
        return 3 * self.timeout + extra.get(name, 0.0) + 5


def describe(message) -> str:
    if isinstance(message, bytes):
        return f"{len(message)} bytes"
    return repr(message if len(message) <= 60 else message[:60] + "…")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("url")
    parser.add_argument("checks", nargs="*", metavar="CHECK", help=" ".join(ALL_CHECKS))
    parser.add_argument("--cafile", help="CA certificate to trust for wss://")
    parser.add_argument("--insecure", action="store_true", help="do not verify the certificate (wss://)")
    parser.add_argument("--server-name", help="TLS server name (SNI and verification) when not the URL's host")
    parser.add_argument("--timeout", type=float, default=10.0, help="bound for each operation, seconds")
    parser.add_argument("--idle", type=float, default=3.0, help="pause of the idle check, seconds")
    parser.add_argument("--within", type=float, default=10.0, help="idle-closed: longest wait for the close")
    parser.add_argument("--close-after", type=int, default=3, help="close-server: echoes before the server closes")
    parser.add_argument("--expect-status", type=int, metavar="N", help="refused: the expected HTTP status")
    parser.add_argument("--expect-body", metavar="TEXT", help="refused: text the response body must contain")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="hold: longest the tunnel is held")
    args = parser.parse_args()
    if not args.url.startswith(("ws://", "wss://")):
        parser.error("URL must start with ws:// or wss://")
    checks = args.checks or (["refused"] if args.expect_status is not None else DEFAULT_CHECKS)
    unknown = [c for c in checks if c not in ALL_CHECKS]
    if unknown:
        parser.error(f"unknown check(s) {unknown}; known: {' '.join(ALL_CHECKS)}")
    for name in ("timeout", "idle", "within", "max_seconds"):
        if not 0 <= getattr(args, name) <= 3600:
            parser.error(f"--{name.replace('_', '-')} out of range (0...3600)")
    return asyncio.run(Checker(args).run(checks))


if __name__ == "__main__":
    sys.exit(main())
