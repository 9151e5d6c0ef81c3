import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTP2

@testable import ProxyCore

/// Everything written outbound so far, as text.
func drainOutbound(_ channel: EmbeddedChannel) throws -> String {
    var text = ""
    while let data = try channel.readOutbound(as: IOData.self) {
        switch data {
        case .byteBuffer(let buffer): text += String(buffer: buffer)
        case .fileRegion: break
        }
    }
    return text
}

/// A connector whose connections are `EmbeddedChannel`s on the test's loop.
final class EmbeddedConnector: UpstreamConnector, @unchecked Sendable {
    // Only touched on the single embedded loop of the test.
    let loop: EmbeddedEventLoop
    var channels: [EmbeddedChannel] = []
    var failure: (any Error)?
    /// Ports whose connects are refused.
    var refusedPorts: Set<Int> = []
    var attempts = 0
    /// The target of each connect attempt, in order.
    var attemptedTargets: [Target] = []
    /// The target of each entry of `channels`.
    var channelTargets: [Target] = []

    init(loop: EmbeddedEventLoop) {
        self.loop = loop
    }

    func connect(to target: Target, on eventLoop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<any Channel> {
        self.attempts += 1
        self.attemptedTargets.append(target)
        if let failure = self.failure {
            return eventLoop.makeFailedFuture(failure)
        }
        if self.refusedPorts.contains(target.port) {
            return eventLoop.makeFailedFuture(IOError(errnoCode: 111, reason: "connect"))
        }
        let channel = EmbeddedChannel(loop: self.loop)
        self.channels.append(channel)
        self.channelTargets.append(target)
        return channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: target.port)).map { channel }
    }
}

/// A client connection's full pipeline (the HTTP/1 connection handler and its session) on an
/// `EmbeddedChannel`, forwarding to targets that are `EmbeddedChannel`s too. With
/// `http2Stream: true` the client channel is an HTTP/2 connection's frames instead (what
/// swift-nio-http2 passes on): an `HTTP2ServerConnection` whose stream 1 takes and gives
/// `HTTP2Frame.FramePayload`s (``StreamOneAdapter``); with `http2Connection: true`, the same
/// taking and giving `HTTP2Frame`s of any stream; with `http2Handler`, a server-mode
/// `NIOHTTP2Handler` then that handler come first, so the client channel takes and gives bytes.
struct ProxyHarness {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let connector: EmbeddedConnector
    let pool: UpstreamPool
    let proxyLoop: ProxyLoop
    let monitor: TargetGroupMonitor

    init(
        limits: RequestLimits = RequestLimits(headerBytes: 1024, bodyBytes: 4096),
        upstream: UpstreamSettings = UpstreamSettings(responseTimeout: .seconds(5)),
        serverHeader: String? = "portcullis",
        trusted: @escaping @Sendable (String) -> Bool = { _ in false },
        targets: [Target] = [Target(host: "10.1.2.3", port: 8080)],
        retries: RetrySettings = RetrySettings(maxTries: 1),
        stickiness: StickinessSettings? = nil,
        policy: BalancingPolicy = .roundRobin,
        upgrades: [String] = Route.defaultUpgrades,
        compression: CompressionPolicy? = nil,
        http2Stream: Bool = false,
        http2Connection: Bool = false,
        http2Handler: (any ChannelHandler)? = nil
    ) throws {
        self.client = EmbeddedChannel(loop: self.loop)
        self.connector = EmbeddedConnector(loop: self.loop)
        self.pool = UpstreamPool(eventLoop: self.loop, connector: self.connector)
        let group = TargetGroup(
            name: "web",
            targets: targets,
            upstream: upstream,
            policy: policy,
            retries: retries,
            stickiness: stickiness
        )
        self.monitor = TargetGroupMonitor(group: group, home: self.loop, prober: nil, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        self.proxyLoop = ProxyLoop(eventLoop: self.loop, pool: self.pool, cookieSigner: TestSigner())
        self.proxyLoop.add(self.monitor.makeLoopState(on: self.loop))
        let settings = ListenerSettings(
            name: "test",
            scheme: "https",
            isTrustedProxy: trusted,
            serverHeader: serverHeader,
            limits: limits,
            router: Router(routes: [Route(name: "default", upgrades: upgrades, action: .forward(group), compression: compression)])
        )
        let session = ForwardingSession(
            settings: settings,
            loop: self.proxyLoop,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        if !(http2Stream || http2Connection) {
            try self.client.pipeline.syncOperations.addHandler(
                HTTP1ServerConnection(
                    limits: limits,
                    serverHeader: serverHeader,
                    timers: self.proxyLoop.timers,  // shared, as in the server
                    session: session
                )
            )
        }
        try self.client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        self.client.remoteAddress = try SocketAddress(ipAddress: "203.0.113.7", port: 50_000)
        if http2Stream || http2Connection {
            // Added to the connected channel, as after a TLS handshake: it reads the peer's address.
            if http2Stream {
                try self.client.pipeline.syncOperations.addHandler(StreamOneAdapter())
            }
            if let http2Handler {
                // A real swift-nio-http2 handler (and what the test puts after it) before the connection.
                try self.client.pipeline.syncOperations.addHandlers([NIOHTTP2Handler(mode: .server), http2Handler])
            }
            try self.client.pipeline.syncOperations.addHandler(
                HTTP2ServerConnection(
                    settings: settings,
                    loop: self.proxyLoop,
                    connectionInfo: ClientConnectionInfo(),
                    windows: .init(connection: 65_535, stream: 65_535),
                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
                )
            )
        }
    }

    func send(_ text: String) throws {
        try self.client.writeInbound(ByteBuffer(string: text))
        self.loop.run()
    }

    func clientReceived() throws -> String {
        self.loop.run()
        return try drainOutbound(self.client)
    }

    var upstream: EmbeddedChannel? { self.connector.channels.last }

    /// What the client was sent, as bytes (a compressed body is not text).
    func clientReceivedBytes() throws -> [UInt8] {
        self.loop.run()
        var bytes: [UInt8] = []
        while let data = try self.client.readOutbound(as: IOData.self) {
            if case .byteBuffer(var buffer) = data {
                bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        }
        return bytes
    }

    func upstreamReceived(_ index: Int? = nil) throws -> String {
        self.loop.run()
        guard let channel = index.map({ self.connector.channels[$0] }) ?? self.upstream else { return "" }
        return try drainOutbound(channel)
    }

    func respond(_ text: String, index: Int? = nil) throws {
        guard let channel = index.map({ self.connector.channels[$0] }) ?? self.upstream else { return }
        try channel.writeInbound(ByteBuffer(string: text))
        self.loop.run()
    }
}

/// Frames of stream 1 in and out, as payloads: what the tests of one stream write and read.
final class StreamOneAdapter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame.FramePayload

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(self.wrapInboundOut(HTTP2Frame(streamID: 1, payload: self.unwrapInboundIn(data))))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(self.wrapOutboundOut(self.unwrapOutboundIn(data).payload), promise: promise)
    }
}

/// A deterministic stand-in for the HMAC signer.
struct TestSigner: CookieSigner {
    func signature(for value: String) -> String {
        String(UInt64(truncatingIfNeeded: value.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }), radix: 16)
    }
}
