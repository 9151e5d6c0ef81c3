import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing

@testable import ProxyCore

/// One HTTP/2 stream (``HTTP2ServerStream``, driven by its ``HTTP2ServerConnection``) driving the
/// forwarding session, on `EmbeddedChannel`s: frames in, an HTTP/1.1 request to the target, the
/// target's response back as frames.
struct HTTP2ServerStreamTests {
    static func request(_ method: String = "GET", _ path: String = "/x", _ fields: [(String, String)] = [], endStream: Bool = true) -> HTTP2Frame.FramePayload {
        let block = HPACKHeaders([(":method", method), (":scheme", "https"), (":path", path), (":authority", "example.com")] + fields)
        return .headers(.init(headers: block, endStream: endStream))
    }

    /// Every frame written to the client so far.
    static func frames(_ harness: ProxyHarness) throws -> [HTTP2Frame.FramePayload] {
        harness.loop.run()
        var frames: [HTTP2Frame.FramePayload] = []
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.FramePayload.self) {
            frames.append(frame)
        }
        return frames
    }

    static func describe(_ frames: [HTTP2Frame.FramePayload]) -> [String] {
        frames.map { frame in
            switch frame {
            case .headers(let headers):
                // A made request id is random: 32 hex digits stand for any.
                let fields = headers.headers.map { field in
                    let value = field.name == "x-request-id" && field.value.utf8.count == 32 ? "<id>" : field.value
                    return "\(field.name): \(value)"
                }.joined(separator: ", ")
                return "HEADERS [\(fields)]\(headers.endStream ? " END_STREAM" : "")"
            case .data(let data):
                guard case .byteBuffer(let buffer) = data.data else { return "DATA ?" }
                return "DATA \(String(buffer: buffer))\(data.endStream ? " END_STREAM" : "")"
            case .rstStream(let code):
                return code == .noError ? "RST_STREAM NO_ERROR" : "RST_STREAM \(code)"
            default:
                return "\(frame)"
            }
        }
    }

    @Test func aGetGoesToTheTargetAsHTTP1AndItsResponseComesBackAsTwoFrames() throws {
        let harness = try ProxyHarness(http2Stream: true)
        try harness.client.writeInbound(Self.request("GET", "/x?y=1", [("accept", "*/*"), ("cookie", "a=1"), ("cookie", "b=2")]))
        harness.loop.run()
        let sent = try harness.upstreamReceived()
        #expect(sent.hasPrefix("GET /x?y=1 HTTP/1.1\r\nhost: example.com\r\naccept: */*\r\ncookie: a=1; b=2\r\n"))
        #expect(sent.contains("X-Forwarded-For: 203.0.113.7\r\n"))
        #expect(sent.contains("X-Forwarded-Proto: https\r\n"))
        #expect(sent.contains("X-Request-Id: "))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: backend\r\nConnection: keep-alive\r\nX-Powered-By: php\r\n\r\nhello")
        #expect(
            Self.describe(try Self.frames(harness)) == [
                "HEADERS [:status: 200, content-length: 5, server: portcullis, x-request-id: <id>]",
                "DATA hello END_STREAM",
            ]
        )
    }

    @Test func aResponseWithoutABodyIsOneHeadersFrame() throws {
        let harness = try ProxyHarness(http2Stream: true)
        try harness.client.writeInbound(Self.request("GET", "/empty"))
        harness.loop.run()
        try harness.respond("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(Self.describe(try Self.frames(harness)) == ["HEADERS [:status: 204, server: portcullis, x-request-id: <id>] END_STREAM"])
    }

    @Test func aBodyWithoutLengthIsChunkedToTheTarget() throws {
        let harness = try ProxyHarness(http2Stream: true)
        try harness.client.writeInbound(Self.request("POST", "/up", endStream: false))
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "abc")))))
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "de")), endStream: true)))
        harness.loop.run()
        let sent = try harness.upstreamReceived()
        #expect(sent.contains("Transfer-Encoding: chunked\r\n"))
        #expect(sent.hasSuffix("\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"))
    }

    @Test func aBodyPastTheLimitIs413ThenRstStreamAndTheTargetConnectionIsNotReused() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4), http2Stream: true)
        try harness.client.writeInbound(Self.request("POST", "/up", endStream: false))
        harness.loop.run()
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "12345")))))
        let frames = Self.describe(try Self.frames(harness))
        #expect(frames.first?.hasPrefix("HEADERS [:status: 413") == true)
        #expect(frames.contains("DATA 413 Payload Too Large\n END_STREAM"))
        #expect(frames.last == "RST_STREAM NO_ERROR")
        #expect(harness.upstream.map { !$0.isActive } ?? true)  // the half-sent request is abandoned
    }

    @Test func aTargetThatDiesMidResponseResetsOnlyTheStream() throws {
        let harness = try ProxyHarness(http2Stream: true)
        try harness.client.writeInbound(Self.request())
        harness.loop.run()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel")
        try harness.upstream?.close().wait()
        harness.loop.run()
        let frames = Self.describe(try Self.frames(harness))
        #expect(frames.first?.hasPrefix("HEADERS [:status: 200") == true)
        #expect(!frames.contains { $0.hasSuffix("END_STREAM") })  // never ended as if complete
        #expect(frames.last == "RST_STREAM \(HTTP2ErrorCode.cancel)")  // this stream only
        #expect(harness.client.isActive)  // the connection goes on
    }

    @Test func aRefusedHeadIsAnsweredOnTheStreamAndNeverForwarded() throws {
        let harness = try ProxyHarness(http2Stream: true)
        try harness.client.writeInbound(Self.request("GET", "/", [("connection", "close")]))
        let frames = Self.describe(try Self.frames(harness))
        #expect(frames.first?.hasPrefix("HEADERS [:status: 400") == true)
        #expect(frames.last == "DATA 400 Bad Request\n END_STREAM")
        #expect(harness.connector.attempts == 0)
    }

    @Test func aStreamHoldsItsBodyWhileTheTargetTakesNothingAndOpensItsWindowWhenItDoes() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 100_000), http2Stream: true)
        try harness.client.writeInbound(Self.request("POST", "/up", [("content-length", "40000")], endStream: false))
        harness.loop.run()
        let upstream = try #require(harness.upstream)
        #expect(try harness.upstreamReceived().hasPrefix("POST /up HTTP/1.1\r\n"))
        upstream.isWritable = false
        upstream.pipeline.fireChannelWritabilityChanged()
        let chunk = ByteBuffer(repeating: UInt8(ascii: "a"), count: 20_000)
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(chunk))))
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(chunk), endStream: true)))
        // swift-nio-http2 reports the stream's window after the frames: 65,535 - 40,000.
        harness.client.pipeline.fireUserInboundEventTriggered(NIOHTTP2WindowUpdatedEvent(streamID: 1, inboundWindowSize: 25_535, outboundWindowSize: nil))
        harness.loop.run()
        #expect(try Self.frames(harness).isEmpty)  // held, not consumed: no WINDOW_UPDATE
        #expect(try harness.upstreamReceived().isEmpty)
        upstream.isWritable = true
        upstream.pipeline.fireChannelWritabilityChanged()
        harness.loop.run()
        #expect(try harness.upstreamReceived().utf8.count == 40_000)
        // The client ended its side: its stream's window is not opened again (swift-nio-http2
        // refuses a WINDOW_UPDATE on a half-closed stream).
        #expect(try Self.frames(harness).isEmpty)
    }

    @Test func aStreamStillSendingGetsItsWindowBackWhenItsHeldBodyIsTaken() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 100_000), http2Stream: true)
        try harness.client.writeInbound(Self.request("POST", "/up", [("content-length", "60000")], endStream: false))
        harness.loop.run()
        let upstream = try #require(harness.upstream)
        _ = try harness.upstreamReceived()
        upstream.isWritable = false
        upstream.pipeline.fireChannelWritabilityChanged()
        let chunk = ByteBuffer(repeating: UInt8(ascii: "a"), count: 20_000)
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(chunk))))
        try harness.client.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(chunk))))
        harness.client.pipeline.fireUserInboundEventTriggered(NIOHTTP2WindowUpdatedEvent(streamID: 1, inboundWindowSize: 25_535, outboundWindowSize: nil))
        harness.loop.run()
        #expect(try Self.frames(harness).isEmpty)
        upstream.isWritable = true
        upstream.pipeline.fireChannelWritabilityChanged()
        harness.loop.run()
        #expect(try harness.upstreamReceived().utf8.count == 40_000)
        #expect(Self.describe(try Self.frames(harness)) == ["\(HTTP2Frame.FramePayload.windowUpdate(windowSizeIncrement: 40_000))"])
    }

    @Test func streamsOfOneConnectionAreServedSideBySideAndTheirSessionIsKeptForTheNext() throws {
        let harness = try ProxyHarness(http2Stream: false, http2Connection: true)
        try harness.client.writeInbound(HTTP2Frame(streamID: 1, payload: Self.request("GET", "/a")))
        try harness.client.writeInbound(HTTP2Frame(streamID: 3, payload: Self.request("GET", "/b")))
        harness.loop.run()
        #expect(harness.connector.channels.count == 2)
        #expect(try harness.upstreamReceived(1).hasPrefix("GET /b HTTP/1.1\r\n"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", index: 1)
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", index: 0)
        harness.loop.run()
        var ids: [HTTP2StreamID] = []
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.self) {
            if case .data(let data) = frame.payload, data.endStream { ids.append(frame.streamID) }
        }
        #expect(ids == [3, 1])  // each as its target answered
        // swift-nio-http2 closes the streams; a third one takes a kept session and its target
        // connection from the pool.
        harness.client.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: nil))
        harness.client.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 3, reason: nil))
        _ = try harness.upstreamReceived(0)
        _ = try harness.upstreamReceived(1)
        try harness.client.writeInbound(HTTP2Frame(streamID: 5, payload: Self.request("GET", "/c")))
        harness.loop.run()
        #expect(harness.connector.channels.count == 2)
        #expect(harness.connector.channels.contains { (try? drainOutbound($0))?.hasPrefix("GET /c HTTP/1.1\r\n") == true })
    }

    @Test func aClientResetEndsOnlyItsStreamAndItsTargetConnection() throws {
        let harness = try ProxyHarness(http2Stream: false, http2Connection: true)
        try harness.client.writeInbound(HTTP2Frame(streamID: 1, payload: Self.request("GET", "/a")))
        try harness.client.writeInbound(HTTP2Frame(streamID: 3, payload: Self.request("GET", "/b")))
        harness.loop.run()
        try harness.client.writeInbound(HTTP2Frame(streamID: 1, payload: .rstStream(.cancel)))
        harness.client.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: .cancel))
        harness.loop.run()
        #expect(!harness.connector.channels[0].isActive)  // not left half-used in the pool
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", index: 1)
        var ended: [HTTP2StreamID] = []
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.self) {
            if case .data(let data) = frame.payload, data.endStream { ended.append(frame.streamID) }
        }
        #expect(ended == [3])
    }

    /// Fails the writes of stream 1's frames of one kind with `error`, as swift-nio-http2 fails
    /// the promise of a frame it refuses (or drops when the stream closes); the rest go on.
    final class Refuser: ChannelOutboundHandler {
        typealias OutboundIn = HTTP2Frame
        typealias OutboundOut = HTTP2Frame
        let refuses: (HTTP2Frame.FramePayload) -> Bool
        let error: any Error

        init(error: any Error, refuses: @escaping (HTTP2Frame.FramePayload) -> Bool) {
            self.error = error
            self.refuses = refuses
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let frame = self.unwrapOutboundIn(data)
            if frame.streamID == 1, self.refuses(frame.payload) {
                promise?.fail(self.error)
                return
            }
            context.write(data, promise: promise)
        }
    }

    final class Defences: ProxyObserver {
        var fired: [HTTP2Defence] = []
        func requestCompleted(_ record: borrowing RequestRecord) {}
        func http2DefenceFired(listener: String, defence: HTTP2Defence) { self.fired.append(defence) }
    }

    static func isHeaders(_ payload: HTTP2Frame.FramePayload) -> Bool {
        if case .headers = payload { return true }
        return false
    }

    @Test func aResponseFrameTheProtocolRefusesResetsItsStreamWithoutCountingTheClient() throws {
        let harness = try ProxyHarness(http2Stream: false, http2Connection: true)
        let defences = Defences()
        harness.proxyLoop.observer = defences
        let refused = NIOHTTP2Errors.badStreamStateTransition(from: .halfClosedRemoteLocalIdle)
        try harness.client.pipeline.syncOperations.addHandler(Refuser(error: refused, refuses: Self.isHeaders), position: .first)
        try harness.client.writeInbound(HTTP2Frame(streamID: 1, payload: Self.request("GET", "/a")))
        harness.loop.run()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        var written: [String] = []
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.self) {
            written.append("\(frame.streamID) \(Self.describe([frame.payload])[0])")
        }
        #expect(written.contains("\(HTTP2StreamID(1)) RST_STREAM \(HTTP2ErrorCode.internalError)"))  // not left waiting
        #expect(defences.fired.isEmpty)  // our fault, not the client's
    }

    /// Writes failed because their stream closed (swift-nio-http2's `StreamClosed`) or their
    /// connection did (`ChannelError`, as when a client goes away mid-download).
    @Test(arguments: ["stream", "connection"])
    func writesDroppedAsTheStreamClosesNeitherResetItNorReportItWritable(closing: String) throws {
        let harness = try ProxyHarness(http2Stream: false, http2Connection: true)
        let dropped: any Error =
            closing == "stream" ? NIOHTTP2Errors.streamClosed(streamID: 1, errorCode: .cancel) : ChannelError.ioOnClosedChannel
        try harness.client.pipeline.syncOperations.addHandler(
            Refuser(error: dropped) { if case .data = $0 { true } else { false } },
            position: .first
        )
        try harness.client.writeInbound(HTTP2Frame(streamID: 1, payload: Self.request("GET", "/big")))
        harness.loop.run()
        let upstream = try #require(harness.upstream)
        // A response larger than the backlog's high watermark: its DATA writes carry promises,
        // and the stream reports itself unwritable, so the target is not read.
        let body = String(repeating: "b", count: 300_000)
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + body)
        var written: [String] = []
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.self) {
            if case .rstStream(let code) = frame.payload { written.append("RST_STREAM \(code)") }
        }
        #expect(written.isEmpty)  // a closing stream's dropped writes are no refusal
        #expect(upstream.isActive)
        harness.client.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: .cancel))
        harness.loop.run()
        #expect(try harness.client.readOutbound(as: HTTP2Frame.self) == nil)  // nothing more on the closed stream
    }

    @Test func aConnectionLingeringAfterAnErrorOpensNoWindow() throws {
        let harness = try ProxyHarness(http2Stream: false, http2Connection: true)
        harness.client.pipeline.fireUserInboundEventTriggered(NIOHTTP2WindowUpdatedEvent(streamID: .rootStream, inboundWindowSize: 10_000, outboundWindowSize: nil))
        var updates = 0
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.self) {
            if case .windowUpdate = frame.payload { updates += 1 }
        }
        #expect(updates == 1)  // the connection's window, opened while it is in good standing
        harness.client.pipeline.fireErrorCaught(NIOHTTP2Errors.excessiveRSTFrames())
        harness.client.pipeline.fireUserInboundEventTriggered(NIOHTTP2WindowUpdatedEvent(streamID: .rootStream, inboundWindowSize: 100, outboundWindowSize: nil))
        harness.loop.run()
        #expect(try harness.client.readOutbound(as: HTTP2Frame.self) == nil)  // lingering: what comes is dropped, no window opened
    }

    @Test func aStreamInFlightDuringAReloadIsNotKeptForTheNextStreams() throws {
        let harness = try ProxyHarness(http2Stream: false, http2Connection: true)
        try harness.client.writeInbound(HTTP2Frame(streamID: 1, payload: Self.request("GET", "/a")))
        harness.loop.run()
        let reloaded = ListenerSettings(
            name: "test",
            scheme: "https",
            serverHeader: "edge-2",
            router: Router(routes: [Route(name: "default", targetGroup: harness.monitor.group)])
        )
        harness.client.pipeline.fireUserInboundEventTriggered(ListenerReloadedEvent(settings: reloaded, unchangedRoutes: ["default"]))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        harness.client.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: nil))
        while try harness.client.readOutbound(as: HTTP2Frame.self) != nil {}
        try harness.client.writeInbound(HTTP2Frame(streamID: 3, payload: Self.request("GET", "/b")))
        harness.loop.run()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")
        var heads: [String] = []
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.self) {
            if case .headers = frame.payload { heads += Self.describe([frame.payload]) }
        }
        #expect(heads.count == 1)
        #expect(heads.first?.contains("server: edge-2") == true)  // the reloaded settings, not the old stream's
    }
}
