import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyConfig

/// A small client for etcd v3's JSON gateway (`/v3/kv/...`, `/v3/lease/...`, `/v3/watch`) over
/// plain HTTP/1.1: one connection per call (``PlainHTTPClient``), one long-lived connection per
/// watch. For the control plane only: a handful of calls a second at most.
public struct EtcdClient: Sendable {
    public var host: String
    public var port: Int
    public var timeout: Duration

    /// - Parameter endpoint: `http://host:port` (the `http://` may be left out).
    public init(endpoint: String, timeout: Duration = .seconds(3)) throws {
        var text = Substring(endpoint)
        if text.hasPrefix("https://") {
            throw EtcdError.unreachable("\(endpoint): only plain http:// endpoints are supported (run etcd on loopback or a private network)")
        }
        if text.hasPrefix("http://") { text = text.dropFirst("http://".count) }
        if text.hasSuffix("/") { text = text.dropLast() }
        switch BindAddress.parseTarget(String(text)) {
        case .success(let address):
            self.host = address.host
            self.port = address.port
        case .failure(let problem):
            throw EtcdError.unreachable("bad etcd endpoint \"\(endpoint)\": \(problem.message)")
        }
        self.timeout = timeout
    }

    public var endpoint: String { "http://\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)" }

    func call(_ path: String, _ json: String) async throws -> [UInt8] {
        let client = PlainHTTPClient(host: self.host, port: self.port, timeout: self.timeout)
        let response: PlainHTTPClient.Response
        do {
            response = try await client.request("POST", path, headers: [("Content-Type", "application/json")], body: Array(json.utf8))
        } catch {
            throw EtcdError.unreachable("\(self.endpoint): \(error)")
        }
        guard response.status == 200 else {
            let message = (try? JSONDecoder().decode(EtcdJSON.GatewayError.self, from: Data(response.body)))?.message ?? response.text
            throw EtcdError.status(response.status, message)
        }
        return response.body
    }

    /// The key, or `nil` when it does not exist; with the store's revision.
    public func get(_ key: String) async throws -> (keyValue: EtcdKeyValue?, revision: Int64) {
        let body = try await self.call("/v3/kv/range", "{\"key\":\"\(EtcdJSON.base64(key))\"}")
        let response = try EtcdJSON.decode(EtcdJSON.RangeResponse.self, body)
        return (try response.kvs?.first?.decoded(), Int64(response.header?.revision ?? "0") ?? 0)
    }

    /// Every key that starts with `prefix`, in key order; with the store's revision.
    public func list(prefix: String) async throws -> (keyValues: [EtcdKeyValue], revision: Int64) {
        let json = "{\"key\":\"\(EtcdJSON.base64(prefix))\",\"range_end\":\"\(EtcdJSON.base64(EtcdKeys.rangeEnd(ofPrefix: prefix)))\"}"
        let response = try EtcdJSON.decode(EtcdJSON.RangeResponse.self, try await self.call("/v3/kv/range", json))
        return (try (response.kvs ?? []).map { try $0.decoded() }, Int64(response.header?.revision ?? "0") ?? 0)
    }

    /// Writes the key (attached to `lease` when not 0); the revision of the write.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        var json = "{\"key\":\"\(EtcdJSON.base64(key))\",\"value\":\"\(EtcdJSON.base64(value))\""
        if lease != 0 { json += ",\"lease\":\"\(lease)\"" }
        json += "}"
        let response = try EtcdJSON.decode(EtcdJSON.PutResponse.self, try await self.call("/v3/kv/put", json))
        return Int64(response.header?.revision ?? "0") ?? 0
    }

    /// Writes the key only if its last change is `expected` (0: only if it does not exist): a
    /// compare-and-swap. The revision of the write, or `nil` when the key had moved on.
    public func put(_ key: String, _ value: [UInt8], ifModRevision expected: Int64) async throws -> Int64? {
        let encodedKey = EtcdJSON.base64(key)
        let json = """
            {"compare":[{"key":"\(encodedKey)","target":"MOD","result":"EQUAL","mod_revision":"\(expected)"}],\
            "success":[{"request_put":{"key":"\(encodedKey)","value":"\(EtcdJSON.base64(value))"}}]}
            """
        let response = try EtcdJSON.decode(EtcdJSON.TxnResponse.self, try await self.call("/v3/kv/txn", json))
        guard response.succeeded == true else { return nil }
        return Int64(response.header?.revision ?? "0") ?? 0
    }

    /// Writes the key under `lease` only if it does not exist; `false` when it does.
    public func create(_ key: String, _ value: [UInt8], lease: Int64) async throws -> Bool {
        let encodedKey = EtcdJSON.base64(key)
        let json = """
            {"compare":[{"key":"\(encodedKey)","target":"CREATE","result":"EQUAL","create_revision":"0"}],\
            "success":[{"request_put":{"key":"\(encodedKey)","value":"\(EtcdJSON.base64(value))","lease":"\(lease)"}}]}
            """
        let response = try EtcdJSON.decode(EtcdJSON.TxnResponse.self, try await self.call("/v3/kv/txn", json))
        return response.succeeded == true
    }

    public func delete(_ key: String) async throws {
        _ = try await self.call("/v3/kv/deleterange", "{\"key\":\"\(EtcdJSON.base64(key))\"}")
    }

    /// A new lease of `ttl` seconds; its ID.
    public func grantLease(ttl: Int) async throws -> Int64 {
        let response = try EtcdJSON.decode(EtcdJSON.LeaseGrantResponse.self, try await self.call("/v3/lease/grant", "{\"TTL\":\(ttl)}"))
        guard let id = response.ID.flatMap({ Int64($0) }), id != 0 else {
            throw EtcdError.malformed("a lease grant without an ID: \(response.error ?? "")")
        }
        return id
    }

    /// Renews a lease; `false` when it had already expired (keys under it are gone).
    public func keepAlive(lease: Int64) async throws -> Bool {
        let response = try EtcdJSON.decode(EtcdJSON.LeaseKeepAliveResponse.self, try await self.call("/v3/lease/keepalive", "{\"ID\":\"\(lease)\"}"))
        return (Int64(response.result?.TTL ?? "0") ?? 0) > 0
    }

    public func revoke(lease: Int64) async throws {
        _ = try await self.call("/v3/lease/revoke", "{\"ID\":\"\(lease)\"}")
    }

    /// Watches every key starting with `prefix` from `revision` on: the updates as etcd streams
    /// them, until the connection ends (the stream then finishes with an error) or the task is
    /// cancelled.
    func watch(prefix: String, from revision: Int64) -> AsyncThrowingStream<EtcdWatchDecoder.Update, any Error> {
        let json = """
            {"create_request":{"key":"\(EtcdJSON.base64(prefix))","range_end":"\(EtcdJSON.base64(EtcdKeys.rangeEnd(ofPrefix: prefix)))",\
            "start_revision":"\(revision)"}}
            """
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchDecoder.Update.self)
        let host = self.host
        let port = self.port
        let endpoint = self.endpoint
        let connectTimeout = TimeAmount.milliseconds(Int64(self.timeout.components.seconds) * 1000 + self.timeout.components.attoseconds / 1_000_000_000_000_000)
        let connecting = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(EtcdWatchHandler(continuation: continuation, endpoint: endpoint))
                }
            }
            .connect(host: host, port: port)
        connecting.whenSuccess { channel in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v3/watch")
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(json.utf8.count))
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(string: json))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        continuation.onTermination = { _ in connecting.whenSuccess { $0.close(promise: nil) } }
        connecting.whenFailure { error in
            continuation.finish(throwing: EtcdError.unreachable("\(endpoint): \(error)"))
        }
        return stream
    }
}

/// Feeds a watch response's body through an ``EtcdWatchDecoder`` into the stream.
private final class EtcdWatchHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let continuation: AsyncThrowingStream<EtcdWatchDecoder.Update, any Error>.Continuation
    private let endpoint: String
    private var decoder = EtcdWatchDecoder()
    private var status = 0

    init(continuation: AsyncThrowingStream<EtcdWatchDecoder.Update, any Error>.Continuation, endpoint: String) {
        self.continuation = continuation
        self.endpoint = endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
        case .body(var buffer):
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            guard self.status == 200 else {
                self.continuation.finish(throwing: EtcdError.status(self.status, String(decoding: bytes, as: UTF8.self)))
                context.close(promise: nil)
                return
            }
            do {
                for update in try self.decoder.feed(bytes) {
                    self.continuation.yield(update)
                }
            } catch {
                self.continuation.finish(throwing: error)
                context.close(promise: nil)
            }
        case .end:
            self.continuation.finish(throwing: EtcdError.unreachable("\(self.endpoint): the watch ended"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.continuation.finish(throwing: EtcdError.unreachable("\(self.endpoint): the watch connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.continuation.finish(throwing: EtcdError.unreachable("\(self.endpoint): \(error)"))
        context.close(promise: nil)
    }
}
