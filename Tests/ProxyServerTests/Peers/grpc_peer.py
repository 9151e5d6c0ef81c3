"""gRPC peers for the h2c/gRPC integration tests, on Python's grpcio (an independent gRPC
implementation: C core, its own HTTP/2). No generated code: methods take and return raw bytes.

  grpc_peer.py server
      Serves on 127.0.0.1:<ephemeral> over h2c and prints the port. Methods:
        /test.Echo/Unary    echoes the request; initial metadata x-initial: hello, trailing
                            metadata x-trailer: yes-<request>
        /test.Echo/Stream   request "N": N messages "msg-<i>", trailing metadata x-count: N
        /test.Echo/Slow     request "<ms>": sleeps that long, then answers "slept"
        /test.Echo/Fail     aborts with PERMISSION_DENIED "denied by target"
        /test.Control/SetHealth   request "SERVING" or "NOT_SERVING": the health status of ""
        /test.Control/Peers       the number of distinct client connections seen (by peer address)
      and the standard grpc.health.v1.Health service.

  grpc_peer.py client <target> <check> [options]
      Runs one check through the proxy and prints one JSON line. <target> is host:port;
      --tls <ca.pem> uses TLS with that CA (server name "localhost").
"""
import json
import sys
import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

identity = None  # raw bytes both ways


def serve():
    peers = set()
    lock = threading.Lock()
    health_servicer = health.HealthServicer()
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)

    def seen(context):
        with lock:
            peers.add(context.peer())

    def unary(request, context):
        seen(context)
        context.send_initial_metadata((("x-initial", "hello"),))
        context.set_trailing_metadata((("x-trailer", "yes-" + request.decode()),))
        return request

    def stream(request, context):
        seen(context)
        count = int(request.decode() or "0")
        context.set_trailing_metadata((("x-count", str(count)),))
        for i in range(count):
            yield ("msg-%d" % i).encode()

    def slow(request, context):
        seen(context)
        time.sleep(int(request.decode()) / 1000.0)
        return b"slept"

    def fail(request, context):
        seen(context)
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied by target")

    def set_health(request, context):
        status = health_pb2.HealthCheckResponse.ServingStatus.Value(request.decode())
        health_servicer.set("", status)
        return b"ok"

    def peer_count(request, context):
        with lock:
            return str(len(peers)).encode()

    echo = grpc.method_handlers_generic_handler("test.Echo", {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    })
    control = grpc.method_handlers_generic_handler("test.Control", {
        "SetHealth": grpc.unary_unary_rpc_method_handler(set_health),
        "Peers": grpc.unary_unary_rpc_method_handler(peer_count),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((echo, control))
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()  # until the test stops us


def client(argv):
    target, check = argv[0], argv[1]
    options = argv[2:]
    if "--tls" in options:
        ca = open(options[options.index("--tls") + 1], "rb").read()
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca),
                                      options=[("grpc.ssl_target_name_override", "localhost")])
    else:
        channel = grpc.insecure_channel(target)
    prefix = "test.Echo"
    if "--service" in options:
        prefix = options[options.index("--service") + 1]
    result = {}
    try:
        if check == "unary":
            call = channel.unary_unary("/%s/Unary" % prefix)
            response, info = call.with_call(b"ping", timeout=10)
            result = {"response": response.decode(), "code": info.code().name,
                      "initial": dict(info.initial_metadata()), "trailing": dict(info.trailing_metadata())}
        elif check == "stream":
            call = channel.unary_stream("/%s/Stream" % prefix)
            responses = call(b"5", timeout=10)
            messages = [m.decode() for m in responses]
            result = {"messages": messages, "code": responses.code().name, "trailing": dict(responses.trailing_metadata())}
        elif check == "fail":
            try:
                channel.unary_unary("/%s/Fail" % prefix)(b"x", timeout=10)
                result = {"code": "OK"}
            except grpc.RpcError as error:
                result = {"code": error.code().name, "details": error.details()}
        elif check == "deadline":
            started = time.monotonic()
            try:
                channel.unary_unary("/%s/Slow" % prefix)(b"3000", timeout=0.5)
                result = {"code": "OK"}
            except grpc.RpcError as error:
                result = {"code": error.code().name, "details": error.details()}
            result["seconds"] = time.monotonic() - started
        elif check == "concurrent":
            count = int(options[options.index("--count") + 1])
            call = channel.unary_unary("/%s/Slow" % prefix)
            pending = [call.future(b"200", timeout=20) for _ in range(count)]
            result = {"ok": sum(1 for f in pending if f.result() == b"slept")}
        elif check == "peers":
            result = {"peers": int(channel.unary_unary("/test.Control/Peers")(b"", timeout=10).decode())}
        elif check == "set-health":
            channel.unary_unary("/test.Control/SetHealth")(options[0].encode(), timeout=10)
            result = {"ok": True}
        else:
            result = {"error": "unknown check " + check}
    except grpc.RpcError as error:
        result = {"code": error.code().name, "details": error.details()}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    else:
        client(sys.argv[2:])
