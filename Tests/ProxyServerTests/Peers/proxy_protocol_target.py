#!/usr/bin/env python3
"""An HTTP/1.1 target that requires a PROXY protocol v2 header first (stdlib only), independent of
Portcullis. Prints its port as the first line, serves until stdin closes (or 300 s).

Each connection must start with a v2 header (PROXY command, TCP over IPv4 or IPv6); then each
request gets `200` with the body `src=ADDR:PORT dst=ADDR:PORT conn=N` (N counts connections).
A connection without a valid header is closed at once.
"""
import socket, struct, sys, threading, time

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
count = 0
lock = threading.Lock()


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn):
    global count
    with lock:
        count += 1
        number = count
    try:
        head = read_exact(conn, 16)
        if head[:12] != SIGNATURE or head[12] != 0x21:
            return
        length = struct.unpack("!H", head[14:16])[0]
        body = read_exact(conn, length)
        if head[13] == 0x11:
            src, dst = socket.inet_ntop(socket.AF_INET, body[0:4]), socket.inet_ntop(socket.AF_INET, body[4:8])
            sport, dport = struct.unpack("!HH", body[8:12])
        elif head[13] == 0x21:
            src, dst = socket.inet_ntop(socket.AF_INET6, body[0:16]), socket.inet_ntop(socket.AF_INET6, body[16:32])
            sport, dport = struct.unpack("!HH", body[32:36])
        else:
            return
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            _, buffer = buffer.split(b"\r\n\r\n", 1)
            text = f"src={src}:{sport} dst={dst}:{dport} conn={number}".encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(text)).encode() + b"\r\n\r\n" + text)
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)


def accept():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


threading.Thread(target=accept, daemon=True).start()
deadline = time.time() + 300
while time.time() < deadline and sys.stdin.readline():
    pass
