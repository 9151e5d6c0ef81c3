#!/usr/bin/env python3
"""A frame-level HTTP/2 client for the defence tests: writes the frames itself (HPACK from the
`hpack` package that comes with Python's `h2`), reads what the server answers, and prints one
JSON line saying what happened.

usage: h2_frames.py HOST PORT CA_FILE|plain SCENARIO [ARG]
"""
import json, socket, ssl, struct, sys, time

from hpack import Decoder, Encoder

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 5: "STREAM_CLOSED",
          6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class Conn:
    def __init__(self, host, port, ca, settings=None):
        raw = socket.create_connection((host, port), timeout=10)
        if ca == "plain":
            self.sock = raw
        else:
            context = ssl.create_default_context(cafile=ca)
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(raw, server_hostname="localhost")
            assert self.sock.selected_alpn_protocol() == "h2", self.sock.selected_alpn_protocol()
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.decoder.max_header_list_size = 1 << 24
        self.buffer = b""
        self.closed = False
        payload = b"".join(struct.pack(">HI", k, v) for k, v in (settings or {}).items())
        self.send(PREFACE + frame(SETTINGS, 0, 0, payload))
        self.host = host if ca == "plain" else "localhost"
        self.port = port

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def headers_block(self, path="/", method="GET", extra=()):
        fields = [(":method", method), (":scheme", "https"), (":authority", f"{self.host}:{self.port}"), (":path", path)]
        return self.encoder.encode(fields + list(extra))

    def request(self, stream, path="/", method="GET", extra=(), end_stream=True):
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        return frame(HEADERS, flags, stream, self.headers_block(path, method, extra))

    def read_frame(self, timeout):
        deadline = time.time() + timeout
        while len(self.buffer) < 9 or len(self.buffer) < 9 + int.from_bytes(self.buffer[:3], "big"):
            remaining = deadline - time.time()
            if remaining <= 0 or self.closed:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except (ssl.SSLError, OSError):
                self.closed = True
                return None
            if not chunk:
                self.closed = True
                return None
            self.buffer += chunk
        length = int.from_bytes(self.buffer[:3], "big")
        kind, flags = self.buffer[3], self.buffer[4]
        stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7FFFFFFF
        payload = self.buffer[9:9 + length]
        self.buffer = self.buffer[9 + length:]
        if kind == PING and not flags & ACK:
            self.send(frame(PING, ACK, 0, payload))
        if kind == SETTINGS and not flags & ACK:
            self.send(frame(SETTINGS, ACK, 0))
        return kind, flags, stream, payload

    def collect(self, timeout=5, until=None, check_closed=True):
        """Reads frames for `timeout` seconds (or until `until(frame)` is true, or the connection
        closes); returns what it saw."""
        seen = {"goaway": None, "resets": {}, "status": {}, "data": {}, "body": {}, "ended": set(), "closed": False}
        deadline = time.time() + timeout
        decoder = self.decoder
        while time.time() < deadline:
            got = self.read_frame(deadline - time.time())
            if got is None:
                break
            kind, flags, stream, payload = got
            if kind == GOAWAY:
                last, code = struct.unpack(">II", payload[:8])
                seen["goaway"] = {"last_stream": last & 0x7FFFFFFF, "error": ERRORS.get(code, str(code))}
            elif kind == RST_STREAM:
                seen["resets"][stream] = ERRORS.get(struct.unpack(">I", payload)[0], "?")
            elif kind == HEADERS:
                block = payload
                if flags & 0x8:  # PADDED
                    block = block[1:len(block) - payload[0]]
                if flags & 0x20:  # PRIORITY
                    block = block[5:]
                for name, value in decoder.decode(block):
                    if name == ":status":
                        seen["status"][stream] = int(value)
                if flags & END_STREAM:
                    seen["ended"].add(stream)
            elif kind == DATA:
                seen["data"][stream] = seen["data"].get(stream, 0) + len(payload)
                if len(seen["body"].get(stream, "")) < 200:
                    seen["body"][stream] = seen["body"].get(stream, "") + payload[:200].decode("latin-1")
                if flags & END_STREAM:
                    seen["ended"].add(stream)
                if payload:  # give the window back, as a client that reads does
                    self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(payload))) +
                              frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", len(payload))))
            if until and until(seen):
                break
        satisfied = until is not None and until(seen)
        # After a GOAWAY the server closes: wait for that; otherwise only when nothing was awaited.
        seen["closed"] = self.closed or (check_closed and (not satisfied or seen["goaway"] is not None) and self.is_closed())
        return seen

    def wait_for_settings_ack(self, timeout=5):
        """Reads until the server has acknowledged our SETTINGS (its own limits apply from then on)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.read_frame(deadline - time.time())
            if got is None or (got[0] == SETTINGS and got[1] & ACK):
                return

    def is_closed(self):
        """Whether the server closes the connection within 2 s (what arrives meanwhile is kept)."""
        try:
            self.sock.settimeout(2)
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except socket.timeout:
            return False
        except (ssl.SSLError, OSError):
            return True


def report(seen, **extra):
    out = {"goaway": seen["goaway"], "resets": {str(k): v for k, v in seen["resets"].items()},
           "status": {str(k): v for k, v in seen["status"].items()}, "data": {str(k): v for k, v in seen["data"].items()},
           "body": {str(k): v for k, v in seen.get("body", {}).items()}, "closed": seen["closed"]}
    out.update(extra)
    print(json.dumps(out), flush=True)


def main():
    host, port, ca, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    arg = sys.argv[5] if len(sys.argv) > 5 else None
    if scenario == "data-on-stream-0":
        c = Conn(host, port, ca)
        c.send(frame(DATA, 0, 0, b"hello"))
        report(c.collect(5, until=lambda s: s["goaway"]))
    elif scenario == "rapid-reset":
        count = int(arg or 1000)
        c = Conn(host, port, ca)
        batch = b""
        seen = None
        for i in range(count):
            stream = 1 + 2 * i
            batch += c.request(stream, "/slow") + frame(RST_STREAM, 0, stream, struct.pack(">I", 8))
            if len(batch) > 4096:
                if not c.send(batch):
                    break
                batch = b""
                seen = c.collect(0.02, until=lambda s: s["goaway"], check_closed=False)
                if seen["goaway"] or c.closed:
                    break
        if batch and not c.closed and not (seen and seen["goaway"]):
            c.send(batch)
        if seen and seen["goaway"]:
            seen["closed"] = c.closed or c.is_closed()
        else:
            seen = c.collect(5, until=lambda s: s["goaway"] and s["goaway"]["error"] != "NO_ERROR")
        report(seen, sent=count)
    elif scenario == "continuation-flood":
        # Small CONTINUATION frames, ten at a time, looking for the GOAWAY in between.
        c = Conn(host, port, ca)
        c.wait_for_settings_ack()
        block = c.headers_block("/")
        c.send(frame(HEADERS, 0, 1, block))
        sent = 0
        seen = None
        for i in range(int(arg or 10000)):
            if not c.send(frame(CONTINUATION, 0, 1, c.encoder.encode([(f"x-flood-{i}", "a")]))):
                break
            sent += 1
            if sent % 10 == 0:
                seen = c.collect(0.05, until=lambda s: s["goaway"], check_closed=False)
                if seen["goaway"] or c.closed:
                    break
        if seen and seen["goaway"]:
            seen["closed"] = c.closed or c.is_closed()
        else:
            seen = c.collect(5, until=lambda s: s["goaway"])
        report(seen, continuation_frames_sent=sent)
    elif scenario == "big-header":
        size = int(arg)
        c = Conn(host, port, ca)
        c.wait_for_settings_ack()
        block = c.headers_block("/", extra=[("x-big", "a" * size)])
        # split into frames of at most 16 KiB (the default SETTINGS_MAX_FRAME_SIZE)
        pieces = [block[i:i + 16384] for i in range(0, len(block), 16384)]
        data = b""
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            kind = HEADERS if index == 0 else CONTINUATION
            flags = (END_HEADERS if last else 0) | (END_STREAM if index == 0 else 0)
            data += frame(kind, flags, 1, piece)
        c.send(data)
        seen = c.collect(5, until=lambda s: s["goaway"] or 1 in s["ended"] or 1 in s["resets"])
        # the connection goes on after a 431
        if not seen["goaway"] and not c.closed:
            c.send(c.request(3, "/after"))
            seen2 = c.collect(5, until=lambda s: 3 in s["ended"])
            seen["status"].update(seen2["status"])
        report(seen)
    elif scenario in ("ping-flood", "settings-flood", "priority-flood", "empty-data-flood"):
        c = Conn(host, port, ca)
        count = int(arg or 2000)
        if scenario == "empty-data-flood":
            c.send(c.request(1, "/upload", "POST", end_stream=False))
        # In batches, looking for the GOAWAY in between: a client still sending when the server
        # closes gets a TCP reset, which can discard the GOAWAY before it is read.
        seen = None
        sent = 0
        for batch in range(0, count, 50):
            data = b""
            for i in range(batch, min(count, batch + 50)):
                if scenario == "ping-flood":
                    data += frame(PING, 0, 0, struct.pack(">Q", i))
                elif scenario == "settings-flood":
                    data += frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535))
                elif scenario == "priority-flood":
                    data += frame(PRIORITY, 0, 1 + 2 * i, struct.pack(">IB", 0, 16))
                else:
                    data += frame(DATA, 0, 1, b"")
            if not c.send(data):
                break
            sent = min(count, batch + 50)
            seen = c.collect(0.05, until=lambda s: s["goaway"], check_closed=False)
            if seen["goaway"] or c.closed:
                break
        if seen and seen["goaway"]:
            seen["closed"] = c.closed or c.is_closed()
        else:
            seen = c.collect(5, until=lambda s: s["goaway"])
        report(seen, sent=sent)
    elif scenario == "reset-mid-response":
        # A large response, reset after its first DATA frame; then the connection serves another.
        c = Conn(host, port, ca)
        c.send(c.request(1, arg or "/big"))
        first = c.collect(10, until=lambda s: s["data"].get(1, 0) > 0)
        c.send(frame(RST_STREAM, 0, 1, struct.pack(">I", 8)))
        c.send(c.request(3, "/after"))
        seen = c.collect(10, until=lambda s: 3 in s["ended"])
        report(seen, first_data=first["data"].get(1, 0))
    elif scenario == "client-goaway":
        c = Conn(host, port, ca)
        c.send(c.request(1, "/before"))
        seen = c.collect(10, until=lambda s: 1 in s["ended"])
        c.send(frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0)))
        after = c.collect(5)
        report(seen, closed_after_goaway=after["closed"])
    elif scenario == "zero-window":
        # SETTINGS_INITIAL_WINDOW_SIZE 0: the server may send no DATA; the send timeout resets the stream.
        c = Conn(host, port, ca, settings={4: 0})
        c.send(c.request(1, arg or "/big"))
        deadline = time.time() + 20
        seen = {"goaway": None, "resets": {}, "status": {}, "data": {}, "closed": False}
        while time.time() < deadline and 1 not in seen["resets"] and not c.closed:
            got = c.read_frame(deadline - time.time())
            if got is None:
                break
            kind, flags, stream, payload = got
            if kind == RST_STREAM:
                seen["resets"][stream] = ERRORS.get(struct.unpack(">I", payload)[0], "?")
            elif kind == GOAWAY:
                seen["goaway"] = {"error": ERRORS.get(struct.unpack(">II", payload[:8])[1], "?")}
            elif kind == HEADERS:
                c.decoder.decode(payload)
        c.send(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)))
        c.send(c.request(3, "/after"))
        after = c.collect(10, until=lambda s: 3 in s["ended"])
        seen["status"] = after["status"]
        seen["closed"] = after["closed"]
        report(seen)
    elif scenario == "slow-reader":
        # Takes nothing on stream 1 (no WINDOW_UPDATE: its window runs out) while stream 3 is served.
        c = Conn(host, port, ca, settings={4: 16384})
        c.send(c.request(1, arg or "/big"))
        time.sleep(1)
        c.send(c.request(3, "/after"))
        seen = {"status": {}, "data": {}, "ended": set()}
        deadline = time.time() + 10
        decoder = c.decoder
        while time.time() < deadline and 3 not in seen["ended"]:
            got = c.read_frame(deadline - time.time())
            if got is None:
                break
            kind, flags, stream, payload = got
            if kind == HEADERS:
                for name, value in decoder.decode(payload):
                    if name == ":status":
                        seen["status"][stream] = int(value)
            if kind == DATA:
                seen["data"][stream] = seen["data"].get(stream, 0) + len(payload)
                if stream == 3:  # stream 3 is read; stream 1 is not
                    c.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", max(1, len(payload)))) if payload else b"")
            if flags & END_STREAM and kind in (DATA, HEADERS):
                seen["ended"].add(stream)
        print(json.dumps({"status": {str(k): v for k, v in seen["status"].items()},
                          "data": {str(k): v for k, v in seen["data"].items()},
                          "ended": sorted(seen["ended"])}), flush=True)
    elif scenario == "in-flight":
        # A slow request in flight while the server shuts down: prints "sent", then what came.
        c = Conn(host, port, ca)
        c.send(c.request(1, arg or "/slow?ms=1500"))
        print("sent", flush=True)
        seen = c.collect(15, until=lambda s: 1 in s["ended"] and s["goaway"])
        report(seen)
    elif scenario == "two-requests":
        # One request, a report; then, on the same connection, one more for each path read from
        # standard input (the test reloads the proxy in between), a report after each.
        c = Conn(host, port, ca)
        c.send(c.request(1, arg or "/"))
        report(c.collect(10, until=lambda s: 1 in s["ended"]))
        stream = 3
        for line in sys.stdin:
            c.send(c.request(stream, line.strip()))
            report(c.collect(10, until=lambda s, stream=stream: stream in s["ended"]))
            stream += 2
    elif scenario == "idle":
        c = Conn(host, port, ca)
        c.send(c.request(1, "/"))
        started = time.time()
        seen = c.collect(float(arg or 10), until=lambda s: s["goaway"])
        report(seen, goaway_after=round(time.time() - started, 1))
    else:
        print(json.dumps({"error": f"unknown scenario {scenario}"}))
        sys.exit(2)


if __name__ == "__main__":
    main()
