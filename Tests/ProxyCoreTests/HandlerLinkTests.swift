import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Adjacent handlers linked to call each other directly (decision 0010): the parts take the
/// link, not the pipeline, and the links do not keep a closed connection's handlers alive.
struct HandlerLinkTests {
    final class RecordingReceiver: RequestPartReceiver {
        var parts: [HTTPServerRequestPart] = []
        var readsCompleted = 0
        func receiveRequestPart(_ part: HTTPServerRequestPart, facts: RequestFacts?) {
            self.parts.append(part)
        }
        func receiveReadComplete() {
            self.readsCompleted += 1
        }
    }

    private static let get = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"

    private func guardPipeline(encoder: HTTP1ResponseEncoder? = nil) throws -> (EmbeddedChannel, RequestGuardHandler) {
        let channel = EmbeddedChannel()
        let requestGuard = RequestGuardHandler(maxBodyBytes: nil, serverHeader: nil, responseEncoder: encoder)
        if let encoder {
            try channel.pipeline.syncOperations.addHandler(encoder)
        }
        try channel.pipeline.syncOperations.addHandlers(ByteToMessageHandler(HTTPRequestDecoder()), requestGuard)
        return (channel, requestGuard)
    }

    @Test func aLinkedGuardHandsRequestsToItsReceiverAndNotToThePipeline() throws {
        let (channel, requestGuard) = try self.guardPipeline()
        let receiver = RecordingReceiver()
        requestGuard.receiver = receiver
        try channel.writeInbound(ByteBuffer(string: Self.get))
        guard receiver.parts.count == 2, case .head(let head) = receiver.parts[0], case .end = receiver.parts[1] else {
            Issue.record("received \(receiver.parts)")
            return
        }
        #expect(head.uri == "/a")
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
    }

    @Test func anUnlinkedGuardFiresRequestsThroughThePipeline() throws {
        let (channel, _) = try self.guardPipeline()
        try channel.writeInbound(ByteBuffer(string: Self.get))
        guard case .head(let head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no head")
            return
        }
        #expect(head.uri == "/a")
        guard case .end? = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no end")
            return
        }
    }

    @Test func responsesHandedToTheGuardAreEncodedByTheEncoderBelow() throws {
        let (channel, requestGuard) = try self.guardPipeline(encoder: HTTP1ResponseEncoder())
        requestGuard.receiver = RecordingReceiver()
        try channel.writeInbound(ByteBuffer(string: "HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "2"])
        requestGuard.writeResponse(.head(head), promise: nil)
        let refused = channel.eventLoop.makePromise(of: Void.self)
        requestGuard.writeResponse(.body(.byteBuffer(ByteBuffer(string: "ok"))), promise: refused)
        requestGuard.writeResponse(.end(nil), promise: nil)
        // The encoder framed it for HEAD (the guard told it the method): no body. The guard
        // added `Connection: close` for the client that asked, then closed.
        #expect(
            try drainOutbound(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\n\r\n"
        )
        #expect(throws: HTTP1ResponseEncoder.BodyNotAllowed.self) { try refused.futureResult.wait() }
        #expect(!channel.isActive)
    }

    @Test func theUpstreamConnectionHandsRequestsToItsEncoder() throws {
        let harness = try ProxyHarness()
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        let upstream = try #require(harness.connector.channels.first)
        let encoder = try upstream.pipeline.syncOperations.handler(type: HTTP1RequestEncoder.self)
        let connection = try upstream.pipeline.syncOperations.handler(type: UpstreamConnection.self)
        #expect(connection.encoder === encoder)
        let sent = try harness.upstreamReceived()
        #expect(sent.hasPrefix("POST /up HTTP/1.1\r\n") && sent.hasSuffix("\r\n\r\nabc"))
    }

    @Test func theLinksDoNotKeepAClosedConnectionsHandlersAlive() throws {
        weak var weakProxy: ProxyHandler?
        weak var weakGuard: RequestGuardHandler?
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try {
            let proxyLoop = ProxyLoop(eventLoop: loop, pool: UpstreamPool(eventLoop: loop, connector: EmbeddedConnector(loop: loop)))
            let proxy = ProxyHandler(
                settings: ListenerSettings(name: "t", scheme: "http", router: Router(routes: [])),
                loop: proxyLoop,
                logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            let handlers = ClientHTTPHandlers.make(limits: RequestLimits(), serverHeader: nil, timers: nil, proxy: proxy)
            try channel.pipeline.syncOperations.addHandlers(handlers)
            weakProxy = proxy
            weakGuard = try channel.pipeline.syncOperations.handler(type: RequestGuardHandler.self)
            #expect(proxy.responseWriter === weakGuard)
        }()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        try channel.writeInbound(ByteBuffer(string: Self.get))  // answered 404 by the proxy
        #expect(try drainOutbound(channel).hasPrefix("HTTP/1.1 404 "))
        #expect(weakProxy != nil && weakGuard != nil)
        try channel.close().wait()
        loop.run()
        // The channel is still here, its handlers are not: the guard ↔ proxy cycle was broken.
        #expect(weakProxy == nil)
        #expect(weakGuard == nil)
        _ = channel
    }
}
