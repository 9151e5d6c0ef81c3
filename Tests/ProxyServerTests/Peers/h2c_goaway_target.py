#!/usr/bin/env python3
"""An h2c (prior-knowledge HTTP/2) target that sends GOAWAY with a low last-stream-id, on
Python's `h2` (an HTTP/2 implementation independent of ours and of swift-nio-http2).

usage: h2c_goaway_target.py
    Serves on 127.0.0.1:<ephemeral> and prints the port. On every connection the first request
    (stream 1) is answered 200 with the body "connection <n> stream <id> <method> <body>". A
    request on any later stream is not processed: the target sends GOAWAY(last-stream-id 1,
    NO_ERROR) at once, never answers it and keeps the connection open until the proxy closes it
    (RFC 9113 §6.8: streams above the last stream id were not processed, a client may retry them
    on another connection).
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events

lock = threading.Lock()
connections = 0


def serve_connection(sock, number):
    config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
    conn = h2.connection.H2Connection(config=config)
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    requests = {}  # stream id -> [headers, body]
    going_away = False
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        try:
            events = conn.receive_data(data)
        except Exception:
            break
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                requests[event.stream_id] = [dict(event.headers), b""]
            elif isinstance(event, h2.events.DataReceived):
                if event.stream_id in requests:
                    requests[event.stream_id][1] += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, body = requests.pop(event.stream_id, [{}, b""])
                method = headers.get(":method", "")
                if event.stream_id == 1 and not going_away:
                    answer = ("connection %d stream %d %s %s" % (number, event.stream_id, method, body.decode())).encode()
                else:
                    going_away = True
                    conn.close_connection(error_code=0, last_stream_id=1)
                    continue
                conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", str(len(answer)))])
                conn.send_data(event.stream_id, answer, end_stream=True)
        out = conn.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except OSError:
                break
    sock.close()


def main():
    global connections
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:  # until the test stops us
        sock, _ = listener.accept()
        with lock:
            connections += 1
            number = connections
        threading.Thread(target=serve_connection, args=(sock, number), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
