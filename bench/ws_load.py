#!/usr/bin/env python3
"""The WebSocket scenario of `make bench`: an echo target and a load generator, raw sockets.

    python3 bench/ws_load.py serve --port 18481
    python3 bench/ws_load.py load --port 18404 [--tls] [--connections 50] [--size 64]
                                  [--duration 5 | --count N] [--wait-go]

Both are one epoll loop over non-blocking sockets (no asyncio: a few microseconds of Python per
message instead of tens), so that neither is what limits the proxies.

`serve`: a WebSocket echo target on 127.0.0.1 (RFC 6455 opening handshake; every data frame is
sent back unmasked, pings are answered, a close is echoed). A request without
`Upgrade: websocket` gets `426 Upgrade Required`. It does only what the scenario needs, so that
the target costs little CPU: small frames, no extensions, no fragmentation reassembly (a
fragment is echoed as a fragment).

`load`: opens --connections WebSocket connections through a proxy (wss:// with --tls), then each
connection sends one --size byte binary message (masked, as a client must) and waits for its
echo before sending the next: many small messages both ways, one message per read, as a chat or
a live feed does. With --wait-go it prints `READY <connections>` once every connection is
upgraded and starts only when a line arrives on stdin, so that the driver can measure the proxy
from there on (the handshakes left out). It ends after --duration seconds (or --count messages)
and prints one JSON line: messages echoed, seconds, rate, errors; `"ok": false` with the reason
when an upgrade was refused (the proxy does not tunnel) or a connection failed.

The frames are pre-built and echoes are counted by length (and compared). Every loop is bounded (--max-seconds, 120); only 127.0.0.1
is contacted.
"""

import argparse
import base64
import hashlib
import json
import os
import select
import signal
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ------------------------------------------------------------------------------------------
# serve
# ------------------------------------------------------------------------------------------

def frame_header(first: int, length: int) -> bytes:
    if length < 126:
        return bytes((first, length))
    if length < 1 << 16:
        return bytes((first, 126)) + length.to_bytes(2, "big")
    return bytes((first, 127)) + length.to_bytes(8, "big")


def unmask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


class Peer:
    """One non-blocking connection in an epoll loop, with what is still to be sent."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()
        self.pending = b""
        self.upgraded = False

    def send(self, data: bytes) -> bool:
        """Sends now what the socket takes; keeps the rest. False when the peer is gone."""
        data = self.pending + data if self.pending else data
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            sent = 0
        except OSError:
            return False
        self.pending = data[sent:]
        return True

    def flush(self) -> bool:
        return self.send(b"") if self.pending else True


def echo_frames(peer: Peer):
    """The replies to every complete frame in peer.buffer (consumed); None after a close."""
    out = []
    buf = peer.buffer
    while len(buf) >= 2:
        first, second = buf[0], buf[1]
        length, pos = second & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                break
            length, pos = int.from_bytes(buf[2:4], "big"), 4
        elif length == 127:
            if len(buf) < 10:
                break
            length, pos = int.from_bytes(buf[2:10], "big"), 10
        key = None
        if second & 0x80:
            key = bytes(buf[pos:pos + 4])
            pos += 4
        if len(buf) < pos + length:
            break
        payload = bytes(buf[pos:pos + length])
        del buf[:pos + length]
        if key:
            payload = unmask(payload, key)
        opcode = first & 0x0F
        if opcode == 0x8:  # close: answer it, then the connection ends
            out.append(frame_header(0x88, len(payload)) + payload)
            return b"".join(out), True
        if opcode == 0x9:  # ping -> pong
            out.append(frame_header(0x8A, len(payload)) + payload)
        elif opcode != 0xA:
            out.append(frame_header(first, length) + payload)
    return b"".join(out), False


def upgrade_answer(peer: Peer):
    """(bytes to send, keep the connection) once the request head is in, else None."""
    end = peer.buffer.find(b"\r\n\r\n")
    if end < 0:
        return None if len(peer.buffer) <= 65536 else (b"", False)
    head = bytes(peer.buffer[:end]).decode("latin-1").split("\r\n")
    del peer.buffer[:end + 4]
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    key = headers.get("sec-websocket-key")
    if "websocket" not in headers.get("upgrade", "").lower() or not key:
        body = b"no upgrade requested\n"
        return (b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nConnection: close\r\n"
                b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)), False
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
    peer.upgraded = True
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"), True


def serve(args) -> int:
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, args.port))
    listener.listen(4096)
    listener.setblocking(False)
    ep = select.epoll()
    ep.register(listener.fileno(), select.EPOLLIN)
    peers = {}
    print(listener.getsockname()[1], flush=True)
    deadline = time.monotonic() + args.max_seconds

    def drop(fd):
        peer = peers.pop(fd, None)
        if peer:
            ep.unregister(fd)
            peer.sock.close()

    while not stop and time.monotonic() < deadline:
        for fd, events in ep.poll(0.5):
            if fd == listener.fileno():
                while True:
                    try:
                        sock, _ = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    peers[sock.fileno()] = Peer(sock)
                    ep.register(sock.fileno(), select.EPOLLIN)
                continue
            peer = peers.get(fd)
            if peer is None:
                continue
            if events & select.EPOLLOUT:
                if not peer.flush():
                    drop(fd)
                    continue
                if not peer.pending:
                    ep.modify(fd, select.EPOLLIN)
            if not events & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                continue
            try:
                data = peer.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                drop(fd)
                continue
            peer.buffer += data
            keep = True
            out = b""
            if not peer.upgraded:
                answer = upgrade_answer(peer)
                if answer is None:
                    continue
                out, keep = answer
            if keep and peer.upgraded:
                frames, closing = echo_frames(peer)
                out += frames
                keep = not closing
            if out and not peer.send(out):
                drop(fd)
                continue
            if not keep and not peer.pending:
                drop(fd)
            elif peer.pending:
                ep.modify(fd, select.EPOLLIN | select.EPOLLOUT)
    for fd in list(peers):
        drop(fd)
    listener.close()
    return 0


# ------------------------------------------------------------------------------------------
# load
# ------------------------------------------------------------------------------------------

def load(args) -> dict:
    """The load run; returns the result document."""
    payload = os.urandom(args.size)
    mask = os.urandom(4)
    header = frame_header(0x82, args.size)
    send_frame = bytes((header[0], header[1] | 0x80)) + header[2:] + mask + unmask(payload, mask)
    echo_frame = header + payload
    frame_size = len(echo_frame)
    context = None
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    tool = f"ws_load.py load --connections {args.connections} --size {args.size}" + (" --tls" if args.tls else "")
    result = {"tool": tool, "ok": False, "connections": args.connections}
    ep = select.epoll()
    peers = {}
    problems = []
    # Opening: connect, TLS handshake, upgrade request, 101 -- all connections at once.
    state = {}  # fd -> "connect" | "tls" | "upgrade" | "open"
    keys = {}
    for _ in range(args.connections):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex((HOST, args.port))
        fd = sock.fileno()
        peers[fd] = Peer(sock)
        state[fd] = "connect"
        ep.register(fd, select.EPOLLOUT)

    def request(fd):
        keys[fd] = base64.b64encode(os.urandom(16))
        peers[fd].send(b"GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                       b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + keys[fd] + b"\r\n\r\n")
        state[fd] = "upgrade"
        ep.modify(fd, select.EPOLLIN)

    def handshake(fd):
        try:
            peers[fd].sock.do_handshake()
        except ssl.SSLWantReadError:
            ep.modify(fd, select.EPOLLIN)
            return
        except ssl.SSLWantWriteError:
            ep.modify(fd, select.EPOLLOUT)
            return
        request(fd)

    def fail(fd, why):
        problems.append(why)
        state[fd] = "failed"
        ep.unregister(fd)
        peers[fd].sock.close()

    opening_deadline = time.monotonic() + args.timeout
    while any(s not in ("open", "failed") for s in state.values()) and time.monotonic() < opening_deadline:
        for fd, events in ep.poll(0.2):
            peer, st = peers[fd], state[fd]
            try:
                if st == "connect":
                    err = peer.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        fail(fd, f"connect: {os.strerror(err)}")
                    elif context:
                        peer.sock = context.wrap_socket(peer.sock, server_hostname="localhost",
                                                        do_handshake_on_connect=False)
                        state[fd] = "tls"
                        handshake(fd)
                    else:
                        request(fd)
                elif st == "tls":
                    handshake(fd)
                elif st == "upgrade":
                    if not peer.flush():
                        fail(fd, "connection lost during the upgrade")
                        continue
                    try:
                        data = peer.sock.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError):
                        continue
                    if not data:
                        fail(fd, "connection closed during the upgrade")
                        continue
                    peer.buffer += data
                    end = peer.buffer.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    head = bytes(peer.buffer[:end]).decode("latin-1")
                    del peer.buffer[:end + 4]
                    status = head.split("\r\n", 1)[0].strip()
                    accept = base64.b64encode(hashlib.sha1(keys[fd] + GUID).digest()).decode()
                    if not status.startswith("HTTP/1.1 101"):
                        fail(fd, f"upgrade refused: {status}")
                    elif accept not in head:
                        fail(fd, "101 without the right Sec-WebSocket-Accept")
                    else:
                        state[fd] = "open"
            except (OSError, ssl.SSLError) as err:
                fail(fd, f"{type(err).__name__}: {err}")
    stuck = [fd for fd, s in state.items() if s not in ("open", "failed")]
    if stuck:
        problems.extend([f"not upgraded within {args.timeout:g}s"] * len(stuck))
    if problems:
        result["error"] = f"{problems[0]} ({len(problems)} of {args.connections} connections)"
        for peer in peers.values():
            peer.sock.close()
        return result

    if args.wait_go:
        print(f"READY {len(peers)}", flush=True)
        ready, _, _ = select.select([sys.stdin], [], [], args.max_seconds)
        if not ready or not sys.stdin.readline():
            result["error"] = "no go from the driver"
            return result

    messages = errors = 0
    failures = []
    t0 = time.monotonic()
    deadline = t0 + (args.duration if not args.count else args.max_seconds)
    for peer in peers.values():
        for _ in range(args.depth):
            peer.send(send_frame)
        if peer.pending:
            ep.modify(peer.sock.fileno(), select.EPOLLIN | select.EPOLLOUT)
    running = True
    last = t0
    outstanding = len(peers) * args.depth
    while outstanding > 0:
        now = time.monotonic()
        if running and (now >= deadline or (args.count and messages >= args.count) or failures):
            running = False
            tail_deadline = now + 2.0
        if not running and now >= tail_deadline:
            break
        for fd, events in ep.poll(0.05):
            peer = peers[fd]
            if events & select.EPOLLOUT and peer.flush() and not peer.pending:
                ep.modify(fd, select.EPOLLIN)
            try:
                data = peer.sock.recv(262144)
                while isinstance(peer.sock, ssl.SSLSocket) and peer.sock.pending():
                    data += peer.sock.recv(262144)
            except (BlockingIOError, ssl.SSLWantReadError):
                continue
            except (OSError, ssl.SSLError) as err:
                data = b""
                failures.append(f"{type(err).__name__}: {err}")
            if not data:
                failures.append("tunnel closed by the other side")
                ep.unregister(fd)
                outstanding -= args.depth
                continue
            buf = peer.buffer
            buf += data
            while len(buf) >= frame_size:
                if buf[:frame_size] != echo_frame:
                    errors += 1
                del buf[:frame_size]
                messages += 1
                if running:
                    if not peer.send(send_frame):
                        failures.append("send failed")
                    elif peer.pending:
                        ep.modify(fd, select.EPOLLIN | select.EPOLLOUT)
                else:
                    outstanding -= 1
            last = time.monotonic()
    seconds = max(1e-9, last - t0)
    for peer in peers.values():
        peer.sock.close()
    result.update(ok=not failures, requests=messages, seconds=seconds, rps=messages / seconds,
                  errors=errors + len(failures))
    if failures:
        result["error"] = f"{failures[0]} ({len(failures)} tunnels)"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--max-seconds", type=float, default=7200)
    lo = sub.add_parser("load")
    lo.add_argument("--port", type=int, required=True)
    lo.add_argument("--tls", action="store_true")
    lo.add_argument("--connections", type=int, default=50)
    lo.add_argument("--size", type=int, default=64)
    lo.add_argument("--depth", type=int, default=1, help="messages in flight per connection")
    lo.add_argument("--duration", type=float, default=5.0)
    lo.add_argument("--count", type=int, default=0, help="stop after this many messages instead")
    lo.add_argument("--timeout", type=float, default=15.0, help="bound for opening the connections")
    lo.add_argument("--wait-go", action="store_true")
    lo.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args)
    if not (1 <= args.connections <= 5000 and 1 <= args.size <= 1 << 20 and 1 <= args.depth <= 64
            and 0 < args.duration <= 600 and 0 <= args.count <= 10_000_000 and 0 < args.max_seconds <= 3600):
        parser.error("an argument is out of range")
    try:
        result = load(args)
    except OSError as err:
        result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    print(json.dumps(result), flush=True)
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
