import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An in-process HTTP/1.1 target on 127.0.0.1 with a few endpoints the integration tests need.
///
/// - `GET /` → `hello`, with `Server` and `X-Powered-By` headers that the proxy must strip.
/// - `POST|PUT /echo` → the request body's length and a hash, plus how it was framed.
/// - `GET /headers` → the request head as the target saw it.
/// - `GET /big?bytes=N` → N bytes streamed in 64 KiB chunks, respecting writability.
/// - `GET /slow?ms=N` → `slow` after N milliseconds.
/// - `GET /trickle?ms=N` → a 10-byte body, one byte every N milliseconds.
final class TestBackend: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    private let stats = NIOLockedValueBox((connections: 0, requests: 0))
    /// The URI of every POST received, in order (a test that must see no POST twice).
    let posts = NIOLockedValueBox<[String]>([])
    private let stopped = NIOLockedValueBox(false)

    /// The bound port (kept after ``stop()``).
    let port: Int
    var connectionsAccepted: Int { self.stats.withLockedValue { $0.connections } }
    var requestsServed: Int { self.stats.withLockedValue { $0.requests } }

    /// - Parameters:
    ///   - name: Answered by `GET /whoami`.
    ///   - port: `0` for any free port; a fixed one to restart a stopped backend in place.
    ///   - host: The loopback address to bind (any of 127/8: several backends on one port).
    init(name: String = "backend", port: Int = 0, host: String = "127.0.0.1") async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let stats = self.stats
        let posts = self.posts
        self.group = group
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                stats.withLockedValue { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(BackendHandler(stats: stats, name: name, posts: posts))
                }
            }
            .bind(host: host, port: port)
            .get()
        self.port = self.channel.localAddress?.port ?? port
    }

    /// A new backend on `port`, which a stopped one just left: the old sockets on the port may
    /// take a moment to go (FIN_WAIT), so binding is retried for up to 5 s.
    static func restarted(name: String, port: Int) async throws -> TestBackend {
        var attempt = 0
        while true {
            do {
                return try await TestBackend(name: name, port: port)
            } catch where attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Stops the backend; a second call does nothing (a second `shutdownGracefully` of the
    /// same group never returns).
    func stop() async {
        let first = self.stopped.withLockedValue { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        try? await self.channel.close()
        try? await self.group.shutdownGracefully()
    }
}

private final class BackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let stats: NIOLockedValueBox<(connections: Int, requests: Int)>
    let name: String
    let posts: NIOLockedValueBox<[String]>
    var head: HTTPRequestHead?
    var bodyBytes = 0
    var checksum: UInt64 = 1469598103934665603
    var remaining = 0
    var streaming = false

    init(stats: NIOLockedValueBox<(connections: Int, requests: Int)>, name: String, posts: NIOLockedValueBox<[String]>) {
        self.stats = stats
        self.name = name
        self.posts = posts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.bodyBytes = 0
            self.checksum = 1469598103934665603
        case .body(let buffer):
            self.bodyBytes += buffer.readableBytes
            for byte in buffer.readableBytesView {
                self.checksum = (self.checksum ^ UInt64(byte)) &* 1099511628211
            }
        case .end:
            if self.head?.headers.first(name: "user-agent") != "portcullis-health-check" {
                self.stats.withLockedValue { $0.requests += 1 }
            }
            if let head = self.head, head.method == .POST {
                self.posts.withLockedValue { $0.append(head.uri) }
            }
            self.respond(context: context)
        }
    }

    private func respond(context: ChannelHandlerContext) {
        guard let head = self.head else { return }
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        switch path {
        case "/echo":
            let framing = head.headers.contains(name: "transfer-encoding") ? "chunked" : "length"
            self.send(context, "bytes=\(self.bodyBytes) fnv=\(self.checksum) framing=\(framing)")
        case "/whoami":
            self.send(context, self.name)
        case "/healthz":
            self.send(context, "ok")
        case "/headers":
            var text = "\(head.method) \(head.uri) \(head.version)\n"
            for (name, value) in head.headers { text += "\(name): \(value)\n" }
            self.send(context, text)
        case "/slow":
            let delay = Self.number(in: head.uri) ?? 100
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
                let (handler, context) = loopBound.value
                handler.send(context, "slow")
            }
        case "/trickle":
            let delay = Self.number(in: head.uri) ?? 100
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "10")
            context.writeAndFlush(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            self.trickle(context: context, left: 10, delay: delay)
        case "/big":
            let query = head.uri.split(separator: "=").last.flatMap { Int($0) } ?? 0
            self.remaining = query
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: String(query))
            headers.add(name: "Server", value: "BackendServer/1.0")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            self.streaming = true
            self.pump(context: context)
        default:
            self.send(context, "hello")
        }
    }

    private static func number(in uri: String) -> Int? {
        uri.split(separator: "=").last.flatMap { Int($0) }
    }

    private func trickle(context: ChannelHandlerContext, left: Int, delay: Int) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
            let (handler, context) = loopBound.value
            guard context.channel.isActive else { return }
            let digit = UInt8(ascii: "0") + UInt8(10 - left)
            context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: [digit])))), promise: nil)
            if left > 1 {
                handler.trickle(context: context, left: left - 1, delay: delay)
            } else {
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    private func send(_ context: ChannelHandlerContext, _ text: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        headers.add(name: "Server", value: "BackendServer/1.0 (Debian) 10.9.8.7:8080")
        headers.add(name: "X-Powered-By", value: "Express")
        headers.add(name: "X-AspNet-Version", value: "4.0")
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func pump(context: ChannelHandlerContext) {
        while self.streaming && context.channel.isWritable && self.remaining > 0 {
            let size = min(self.remaining, 64 * 1024)
            self.remaining -= size
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
            context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        }
        if self.streaming && self.remaining == 0 {
            self.streaming = false
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.pump(context: context)
        }
        context.fireChannelWritabilityChanged()
    }
}
