import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
public import ProxyTLS

/// A small HTTP/1.1 client over TCP, or over our TLS client layer when given a
/// ``TLSClientContext``: one connection per request, `Connection: close`.
///
/// For the admin CLI, deploy checks, webhooks and the ACME client — control-plane traffic where
/// simplicity beats connection reuse. Not used on the request path.
public struct PlainHTTPClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    public var host: String
    public var port: Int
    public var timeout: Duration
    /// `nil`: plain HTTP.
    public var tls: TLSClientContext?

    public init(host: String, port: Int, timeout: Duration = .seconds(5), tls: TLSClientContext? = nil) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
    }

    /// Sends one request and reads the whole response.
    ///
    /// - Throws: A connect error, ``PlainHTTPClientError/timedOut`` or
    ///   ``PlainHTTPClientError/connectionClosed``.
    public func request(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Response.self)
        let timeout = TimeAmount.nanoseconds(Int64(self.timeout.components.seconds) * 1_000_000_000 + self.timeout.components.attoseconds / 1_000_000_000)
        let tls = self.tls
        let connecting = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(TLSClientHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(host: self.host, port: self.port)
        let channel: any Channel
        do {
            channel = try await connecting.get()
        } catch {
            promise.fail(error)
            throw error
        }
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            channel.pipeline.fireErrorCaught(PlainHTTPClientError.timedOut)
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        let defaultPort = self.tls == nil ? 80 : 443
        let bracketed = self.host.contains(":") ? "[\(self.host)]" : self.host
        let hostHeader = self.port == defaultPort ? bracketed : "\(bracketed):\(self.port)"
        head.headers.add(name: "Host", value: hostHeader)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "User-Agent", value: "portcullis")
        for (name, value) in headers {
            head.headers.add(name: name, value: value)
        }
        if let body {
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if method != "GET" && method != "HEAD" {
            head.headers.add(name: "Content-Length", value: "0")
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Why a ``PlainHTTPClient`` request failed without a response.
public enum PlainHTTPClientError: Error, CustomStringConvertible {
    case timedOut
    case connectionClosed

    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .connectionClosed: "connection closed before a complete response"
        }
    }
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<PlainHTTPClient.Response>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var completed = false

    init(promise: EventLoopPromise<PlainHTTPClient.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var buffer):
            self.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head = self.head, !self.completed else { return }
            self.completed = true
            self.promise.succeed(
                PlainHTTPClient.Response(
                    status: Int(head.status.code),
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: self.body
                )
            )
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(PlainHTTPClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard !self.completed else { return }
        self.completed = true
        self.promise.fail(error)
    }
}
