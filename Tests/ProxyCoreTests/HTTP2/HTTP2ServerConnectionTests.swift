import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import ProxyCore

/// ``HTTP2ServerConnection`` behind a real server-mode `NIOHTTP2Handler`, talking to a real
/// client-mode `NIOHTTP2Handler` on another `EmbeddedChannel`: what swift-nio-http2 accepts of
/// what the connection and its streams write, as on a socket.
struct HTTP2ServerConnectionTests {
    /// Between swift-nio-http2's handler and the connection: every frame the connection writes,
    /// and those swift-nio-http2 refused (their write failed; it reports such refusals nowhere else).
    final class WrittenFrames: ChannelOutboundHandler {
        typealias OutboundIn = HTTP2Frame
        typealias OutboundOut = HTTP2Frame

        var written: [HTTP2Frame] = []
        var refused: [(HTTP2Frame, any Error)] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let frame = self.unwrapOutboundIn(data)
            self.written.append(frame)
            let own = context.eventLoop.makePromise(of: Void.self)
            own.futureResult.assumeIsolated().whenFailure { error in
                self.refused.append((frame, error))
            }
            own.futureResult.cascade(to: promise)
            context.write(data, promise: own)
        }
    }

    /// Moves bytes both ways until neither side has more (bounded).
    static func exchange(_ harness: ProxyHarness, _ client: EmbeddedChannel) throws {
        for _ in 0..<100 {
            harness.loop.run()
            var moved = false
            while let data = try harness.client.readOutbound(as: IOData.self) {
                guard case .byteBuffer(let bytes) = data else { continue }
                try client.writeInbound(bytes)
                moved = true
            }
            while let data = try client.readOutbound(as: IOData.self) {
                guard case .byteBuffer(let bytes) = data else { continue }
                try harness.client.writeInbound(bytes)
                moved = true
            }
            if !moved { return }
        }
        Issue.record("the two sides never went quiet")
    }

    static func clientFrames(_ client: EmbeddedChannel) throws -> [HTTP2Frame] {
        var frames: [HTTP2Frame] = []
        while let frame = try client.readInbound(as: HTTP2Frame.self) {
            frames.append(frame)
        }
        return frames
    }

    @Test func anUploadHeldWithItsEndStreamIsReleasedWithoutOpeningTheHalfClosedStreamAndAnswered() throws {
        let written = WrittenFrames()
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 100_000), http2Connection: true, http2Handler: written)
        let client = EmbeddedChannel(handler: NIOHTTP2Handler(mode: .client), loop: harness.loop)
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        try Self.exchange(harness, client)  // prefaces and SETTINGS

        let head = HPACKHeaders([(":method", "POST"), (":scheme", "https"), (":path", "/up"), (":authority", "example.com"), ("content-length", "40000")])
        try client.writeOutbound(HTTP2Frame(streamID: 1, payload: .headers(.init(headers: head))))
        try Self.exchange(harness, client)
        let upstream = try #require(harness.upstream)
        #expect(try harness.upstreamReceived().hasPrefix("POST /up HTTP/1.1\r\n"))

        // The target takes nothing: the whole body, END_STREAM included, is held.
        upstream.isWritable = false
        upstream.pipeline.fireChannelWritabilityChanged()
        let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: 40_000)
        try client.writeOutbound(HTTP2Frame(streamID: 1, payload: .data(.init(data: .byteBuffer(body), endStream: true))))
        try Self.exchange(harness, client)
        #expect(try harness.upstreamReceived().isEmpty)

        // It takes it all; the stream's window is not opened again (the client ended its side).
        upstream.isWritable = true
        upstream.pipeline.fireChannelWritabilityChanged()
        try Self.exchange(harness, client)
        #expect(try harness.upstreamReceived().utf8.count == 40_000)
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        try Self.exchange(harness, client)

        #expect(written.refused.map { "\($0.0.streamID) \($0.0.payload): \($0.1)" } == [])
        let streamUpdates = written.written.filter { frame in
            guard frame.streamID == 1, case .windowUpdate = frame.payload else { return false }
            return true
        }
        #expect(streamUpdates.isEmpty)
        let frames = try Self.clientFrames(client).filter { $0.streamID == 1 }
        let summary = frames.map { frame -> String in
            switch frame.payload {
            case .headers(let headers): "HEADERS \(headers.headers[":status"].first ?? "")\(headers.endStream ? " END_STREAM" : "")"
            case .data(let data): "DATA \(data.data.readableBytes)\(data.endStream ? " END_STREAM" : "")"
            default: "\(frame.payload)"
            }
        }
        #expect(summary == ["HEADERS 200", "DATA 2 END_STREAM"])  // no RST_STREAM
    }
}
