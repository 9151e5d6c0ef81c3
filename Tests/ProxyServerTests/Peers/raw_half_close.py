#!/usr/bin/env python3
"""A raw-socket upgrade target and client, to check that a tunnel passes a half-close on.

Prints the target's port as its first line, then reads the proxy's port from stdin. The target
answers an upgrade request with 101, echoes what it gets, and, when its input ends (the client
half-closed through the proxy), sends b"bye" and closes. The client sends the upgrade, reads the
101, sends b"ping", reads the echo, half-closes (shutdown SHUT_WR), and expects b"bye" before the
end of input. Prints "ok half-close" or "FAIL half-close: ..." and exits 0 or 1.
"""
import socket
import sys
import threading


def target(listener):
    connection, _ = listener.accept()
    connection.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(4096)
        if not chunk:
            return
        head += chunk
    connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    rest = head.split(b"\r\n\r\n", 1)[1]
    if rest:
        connection.sendall(rest)
    while True:
        chunk = connection.recv(4096)
        if not chunk:
            break  # the half-close arrived
        connection.sendall(chunk)
    connection.sendall(b"bye")
    connection.close()


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(listener.getsockname()[1], flush=True)
    threading.Thread(target=target, args=(listener,), daemon=True).start()
    port = int(sys.stdin.readline())
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(
        b"GET /ws/half HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = client.recv(4096)
        if not chunk:
            print("FAIL half-close: closed before the 101", flush=True)
            return 1
        received += chunk
    if not received.startswith(b"HTTP/1.1 101"):
        print("FAIL half-close: %r" % received[:40], flush=True)
        return 1
    client.sendall(b"ping")
    echoed = received.split(b"\r\n\r\n", 1)[1]
    while len(echoed) < 4:
        echoed += client.recv(4096)
    client.shutdown(socket.SHUT_WR)
    tail = b""
    while True:
        chunk = client.recv(4096)
        if not chunk:
            break
        tail += chunk
    if echoed != b"ping" or tail != b"bye":
        print("FAIL half-close: echoed %r, then %r" % (echoed, tail), flush=True)
        return 1
    print("ok half-close", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
