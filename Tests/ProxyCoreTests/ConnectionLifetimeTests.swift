import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The shape of the pipelines and the lifetime of what refers to what: one HTTP handler per
/// client connection, one per upstream connection, and no strong cycle (connection ↔ session ↔
/// upstream connection, timers) that outlives a closed connection.
struct ConnectionLifetimeTests {
    /// The handlers of a pipeline, by the lines of its description (one per handler after the
    /// title and the `[I] ↓↑ [O]` line).
    private static func handlerCount(_ pipeline: ChannelPipeline) -> Int {
        pipeline.debugDescription.split(separator: "\n").filter { $0.contains("↓↑") && !$0.contains("[I] ↓↑ [O]") }.count
    }

    @Test func aClientPipelineHasOneHTTPHandlerAndAnUpstreamPipelineOne() throws {
        let harness = try ProxyHarness()
        #expect(Self.handlerCount(harness.client.pipeline) == 1)
        _ = try harness.client.pipeline.syncOperations.handler(type: HTTP1ServerConnection.self)
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        let upstream = try #require(harness.connector.channels.first)
        #expect(Self.handlerCount(upstream.pipeline) == 1)
        _ = try upstream.pipeline.syncOperations.handler(type: UpstreamConnection.self)
        let sent = try harness.upstreamReceived()
        #expect(sent.hasPrefix("POST /up HTTP/1.1\r\n") && sent.hasSuffix("\r\n\r\nabc"))
    }

    private static func makeConnection(loop: EmbeddedEventLoop, proxyLoop: ProxyLoop) -> (HTTP1ServerConnection, ForwardingSession) {
        let group = TargetGroup(name: "web", targets: [Target(host: "10.1.2.3", port: 8080)], upstream: UpstreamSettings(responseTimeout: .seconds(5)))
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: nil, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        proxyLoop.add(monitor.makeLoopState(on: loop))
        let session = ForwardingSession(
            settings: ListenerSettings(name: "t", scheme: "http", router: Router(routes: [Route(name: "r", targetGroup: group)])),
            loop: proxyLoop,
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let connection = HTTP1ServerConnection(limits: RequestLimits(), serverHeader: nil, timers: proxyLoop.timers, session: session)
        return (connection, session)
    }

    /// Mid-request (a response timer armed, an upstream connection leased), the client closes:
    /// nothing keeps the handler, the session or the upstream connection alive.
    @Test func aClosedConnectionMidRequestLeavesNothingAlive() throws {
        weak var weakConnection: HTTP1ServerConnection?
        weak var weakSession: ForwardingSession?
        weak var weakUpstream: UpstreamConnection?
        let loop = EmbeddedEventLoop()
        let connector = EmbeddedConnector(loop: loop)
        let proxyLoop = ProxyLoop(eventLoop: loop, pool: UpstreamPool(eventLoop: loop, connector: connector))
        let channel = EmbeddedChannel(loop: loop)
        try {
            let (connection, session) = Self.makeConnection(loop: loop, proxyLoop: proxyLoop)
            try channel.pipeline.syncOperations.addHandler(connection)
            weakConnection = connection
            weakSession = session
        }()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"))
        loop.run()
        let upstream = try #require(connector.channels.first)
        weakUpstream = try upstream.pipeline.syncOperations.handler(type: UpstreamConnection.self)
        #expect(try drainOutbound(upstream).hasPrefix("GET /a HTTP/1.1\r\n"))
        #expect(proxyLoop.timers.count > 0)  // the response timer
        try channel.close().wait()
        loop.run()
        #expect(!upstream.isActive)  // abandoned, not pooled
        _ = try? upstream.finish()
        #expect(weakConnection == nil)
        #expect(weakSession == nil)
        #expect(weakUpstream == nil)
        #expect(proxyLoop.timers.count == 0)
        _ = channel
    }

    /// After a complete exchange the upstream connection sits in the pool, not tied to the
    /// closed client's session.
    @Test func aPooledUpstreamConnectionDoesNotKeepItsLastSessionAlive() throws {
        weak var weakSession: ForwardingSession?
        let loop = EmbeddedEventLoop()
        let connector = EmbeddedConnector(loop: loop)
        let pool = UpstreamPool(eventLoop: loop, connector: connector)
        let proxyLoop = ProxyLoop(eventLoop: loop, pool: pool)
        let channel = EmbeddedChannel(loop: loop)
        try {
            let (connection, session) = Self.makeConnection(loop: loop, proxyLoop: proxyLoop)
            try channel.pipeline.syncOperations.addHandler(connection)
            weakSession = session
        }()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"))
        loop.run()
        let upstream = try #require(connector.channels.first)
        try upstream.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        loop.run()
        #expect(try drainOutbound(channel).hasSuffix("\r\n\r\nok"))
        #expect(pool.idleTotal == 1)
        try channel.close().wait()
        loop.run()
        #expect(weakSession == nil)
        #expect(upstream.isActive)  // still pooled
        _ = channel
    }
}
