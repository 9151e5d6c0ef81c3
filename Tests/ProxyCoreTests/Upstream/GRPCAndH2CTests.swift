import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing

@testable import ProxyCore

/// The pure parts of h2c targets and gRPC (docs/http2.md, "h2c and gRPC targets"): the gRPC
/// failure mapping, `grpc-timeout`, the health check's messages, the translation between the
/// session's HTTP/1-encoded heads and HTTP/2 header blocks; and the upstream stream handler on
/// an `EmbeddedChannel`.
struct GRPCAndH2CTests {
    // MARK: - gRPC failure mapping

    @Test func failuresMapToUnavailableOrDeadlineExceeded() {
        let target = Target(host: "10.0.0.7", port: 9000)
        #expect(GRPCFailureResponse.status(for: .noTarget("all unhealthy")).code == 14)
        #expect(GRPCFailureResponse.status(for: .connectFailed(target, ChannelError.ioOnClosedChannel)).code == 14)
        #expect(GRPCFailureResponse.status(for: .connectTimedOut(target)).code == 14)
        #expect(GRPCFailureResponse.status(for: .closedBeforeResponse(target, "reset")).code == 14)
        #expect(GRPCFailureResponse.status(for: .responseTimedOut(target)).code == 4)
        let fields = GRPCFailureResponse.fields(for: .connectFailed(target, ChannelError.ioOnClosedChannel))
        #expect(fields["content-type"] == ["application/grpc"])
        #expect(fields["grpc-status"] == ["14"])
        #expect(fields["grpc-message"] == ["upstream connect failed"])
        // The message never names the target.
        #expect(!fields.contains { $0.value.contains("10.0.0.7") })
    }

    @Test func grpcContentTypesAreRecognised() {
        #expect(GRPCFailureResponse.isGRPC(contentType: "application/grpc"))
        #expect(GRPCFailureResponse.isGRPC(contentType: "application/grpc+proto"))
        #expect(GRPCFailureResponse.isGRPC(contentType: "Application/GRPC; charset=utf-8"))
        #expect(!GRPCFailureResponse.isGRPC(contentType: "application/grpc-web"))
        #expect(!GRPCFailureResponse.isGRPC(contentType: "application/json"))
        #expect(!GRPCFailureResponse.isGRPC(contentType: nil))
    }

    @Test func grpcMessageIsPercentEncoded() {
        #expect(GRPCFailureResponse.percentEncoded("a b") == "a b")
        #expect(GRPCFailureResponse.percentEncoded("100%") == "100%25")
        #expect(GRPCFailureResponse.percentEncoded("é\n") == "%C3%A9%0A")
    }

    // MARK: - grpc-timeout

    @Test func grpcTimeoutUnits() {
        #expect(GRPCTimeout.parse("1H") == .hours(1))
        #expect(GRPCTimeout.parse("2M") == .minutes(2))
        #expect(GRPCTimeout.parse("3S") == .seconds(3))
        #expect(GRPCTimeout.parse("300m") == .milliseconds(300))
        #expect(GRPCTimeout.parse("5u") == .microseconds(5))
        #expect(GRPCTimeout.parse("99999999n") == .nanoseconds(99_999_999))
    }

    @Test func malformedGRPCTimeoutsAreIgnored() {
        for bad in ["", "S", "100", "123456789S", "1s", "-1S", "1.5S", " 1S", "1 S"] {
            #expect(GRPCTimeout.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func theShorterTimeoutBounds() {
        #expect(GRPCTimeout.bound(responseTimeout: .seconds(60), grpcTimeout: .milliseconds(300)) == .milliseconds(300))
        #expect(GRPCTimeout.bound(responseTimeout: .seconds(1), grpcTimeout: .hours(1)) == .seconds(1))
        #expect(GRPCTimeout.bound(responseTimeout: .seconds(5), grpcTimeout: nil) == .seconds(5))
    }

    // MARK: - gRPC health messages

    @Test func healthRequestIsTheFramedProtobuf() {
        // "" : an empty message; "svc": field 1, length 3.
        #expect(Array(GRPCHealthMessages.request(service: "").readableBytesView) == [0, 0, 0, 0, 0])
        #expect(Array(GRPCHealthMessages.request(service: "svc").readableBytesView) == [0, 0, 0, 0, 5, 0x0A, 3, 0x73, 0x76, 0x63])
    }

    @Test func healthResponsesDecode() {
        func framed(_ message: [UInt8]) -> ByteBuffer {
            ByteBuffer(bytes: [0, 0, 0, 0, UInt8(message.count)] + message)
        }
        #expect(GRPCHealthMessages.servingStatus(fromResponse: framed([0x08, 0x01])) == 1)
        #expect(GRPCHealthMessages.servingStatus(fromResponse: framed([0x08, 0x02])) == 2)
        #expect(GRPCHealthMessages.servingStatus(fromResponse: framed([])) == 0)
        // An unknown field before it is skipped.
        #expect(GRPCHealthMessages.servingStatus(fromResponse: framed([0x12, 0x01, 0x41, 0x08, 0x01])) == 1)
        #expect(GRPCHealthMessages.servingStatus(fromResponse: ByteBuffer(bytes: [1, 0, 0, 0, 2, 0x08, 0x01])) == nil)  // compressed
        #expect(GRPCHealthMessages.servingStatus(fromResponse: ByteBuffer(bytes: [0, 0, 0, 0, 3, 0x08, 0x01])) == nil)  // short
        #expect(GRPCHealthMessages.result(httpStatus: 200, grpcStatus: "0", grpcMessage: nil, message: framed([0x08, 0x01])).isPass)
        #expect(
            GRPCHealthMessages.result(httpStatus: 200, grpcStatus: "0", grpcMessage: nil, message: framed([0x08, 0x02]))
                == .failed(reason: .grpc("NOT_SERVING"))
        )
        #expect(
            GRPCHealthMessages.result(httpStatus: 200, grpcStatus: "12", grpcMessage: "unimplemented", message: ByteBuffer())
                == .failed(reason: .grpc("grpc-status 12 unimplemented"))
        )
        #expect(GRPCHealthMessages.result(httpStatus: 503, grpcStatus: nil, grpcMessage: nil, message: ByteBuffer()) == .failed(reason: .status(503)))
    }

    // MARK: - Translation

    @Test func requestHeadBecomesAnHTTP2HeaderBlock() throws {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/pkg.Svc/Call?x=1")
        head.headers = HTTPHeaders([
            ("Host", "api.example:8080"), ("Content-Type", "application/grpc"), ("TE", "trailers"), ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"), ("Keep-Alive", "timeout=5"), ("X-Forwarded-For", "1.2.3.4"), ("grpc-timeout", "1S"),
        ])
        let block = try H2CMessageTranslator.requestHeaders(UpstreamRequestHead(head))
        let pairs = block.map { "\($0.name): \($0.value)" }
        #expect(pairs.prefix(4) == [":method: POST", ":scheme: http", ":authority: api.example:8080", ":path: /pkg.Svc/Call?x=1"])
        #expect(pairs.contains("content-type: application/grpc"))
        #expect(pairs.contains("te: trailers"))
        #expect(pairs.contains("x-forwarded-for: 1.2.3.4"))
        #expect(pairs.contains("grpc-timeout: 1S"))
        // Connection-specific fields and the ones Connection names; Host became :authority; a
        // POST without length is chunked for HTTP/1.1, never for h2c.
        for gone in ["connection", "x-hop", "keep-alive", "host", "transfer-encoding"] {
            #expect(!block.contains(name: gone), "\(gone)")
        }
    }

    @Test func teIsAlwaysTrailersAlone() throws {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        head.headers = HTTPHeaders([("Host", "h"), ("TE", "gzip")])
        let block = try H2CMessageTranslator.requestHeaders(UpstreamRequestHead(head))
        #expect(block.first(name: "te") == "trailers")
        #expect(block.filter { $0.name == "te" }.count == 1)
    }

    @Test func responseBlocksBecomeHeadsAndInterimOnesAreSkipped() throws {
        let head = try #require(try H2CMessageTranslator.responseHead(HPACKHeaders([(":status", "200"), ("content-type", "application/grpc"), ("content-length", "7")])))
        #expect(head.status == .ok)
        #expect(head.hasContentLength)
        #expect(head.fields["content-type"] == ["application/grpc"])
        #expect(try H2CMessageTranslator.responseHead(HPACKHeaders([(":status", "103")])) == nil)
        #expect(throws: H2CMessageTranslator.TranslationError.missingStatus) {
            try H2CMessageTranslator.responseHead(HPACKHeaders([("content-type", "x")]))
        }
        let trailers = H2CMessageTranslator.trailers(HPACKHeaders([("grpc-status", "0"), ("grpc-message", "")]))
        #expect(trailers["grpc-status"] == ["0"])
    }

    // MARK: - The stream handler

    final class Recorder: UpstreamConnectionDelegate {
        var events: [String] = []
        var error: (any Error)?
        func upstream(_ connection: any UpstreamLink, receivedHead head: UpstreamResponseHead) { self.events.append("head \(head.status.code)") }
        func upstream(_ connection: any UpstreamLink, receivedBody body: ByteBuffer) { self.events.append("body \(String(buffer: body))") }
        func upstreamReceivedEnd(_ connection: any UpstreamLink, trailers: HTTPHeaders?) {
            self.events.append("end \(trailers.map { $0.map { "\($0.name)=\($0.value)" }.joined(separator: ",") } ?? "-")")
        }
        func upstream(_ connection: any UpstreamLink, receivedTunnelBytes bytes: ByteBuffer) {}
        func upstreamReadComplete(_ connection: any UpstreamLink) {}
        func upstreamWritabilityChanged(_ connection: any UpstreamLink, isWritable: Bool) {}
        func upstream(_ connection: any UpstreamLink, closedWith error: (any Error)?) {
            self.events.append("closed")
            self.error = error
        }
    }

    static func stream() throws -> (EmbeddedChannel, H2CUpstreamStream, Recorder) {
        let stream = H2CUpstreamStream(target: Target(host: "127.0.0.1", port: 50051))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(stream)
        let recorder = Recorder()
        stream.delegate = recorder
        return (channel, stream, recorder)
    }

    @Test func aRequestWithoutBodyIsOneHeadersFrameWithEndStream() throws {
        let (channel, stream, _) = try Self.stream()
        stream.send(.head(UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/x", headers: ["Host": "h"]))))
        stream.send(.end(nil))
        stream.flush()
        let frame = try #require(try channel.readOutbound(as: HTTP2Frame.FramePayload.self))
        guard case .headers(let headers) = frame else { Issue.record("\(frame)"); return }
        #expect(headers.endStream)
        #expect(headers.headers.first(name: ":path") == "/x")
        #expect(try channel.readOutbound(as: HTTP2Frame.FramePayload.self) == nil)
    }

    @Test func bodyAndTrailersGoAsDataThenHeadersWithEndStream() throws {
        let (channel, stream, _) = try Self.stream()
        stream.send(.head(UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/s", headers: ["Host": "h", "Content-Length": "2"]))))
        stream.send(.body(.byteBuffer(ByteBuffer(string: "hi"))))
        stream.send(.end(HTTPHeaders([("x-checksum", "1")])))
        stream.flush()
        var kinds: [String] = []
        while let frame = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) {
            switch frame {
            case .headers(let headers): kinds.append(headers.endStream ? "HEADERS+END(\(headers.headers.first(name: "x-checksum") ?? "-"))" : "HEADERS")
            case .data(let data): kinds.append(data.endStream ? "DATA+END" : "DATA")
            default: kinds.append("other")
            }
        }
        #expect(kinds == ["HEADERS", "DATA", "HEADERS+END(1)"])
    }

    @Test func responseHeadBodyAndTrailersReachTheSession() throws {
        let (channel, _, recorder) = try Self.stream()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: [":status": "100"])))
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: [":status": "200", "content-type": "application/grpc"])))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "abc")))))
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: ["grpc-status": "0"], endStream: true)))
        #expect(recorder.events == ["head 200", "body abc", "end grpc-status=0"])
        _ = try? channel.finish()
        #expect(recorder.events.last == "end grpc-status=0")  // a finished stream's close is no failure
    }

    @Test func aRefusedStreamIsReportedAsRefused() throws {
        let (channel, _, recorder) = try Self.stream()
        channel.pipeline.fireErrorCaught(NIOHTTP2Errors.streamClosed(streamID: 1, errorCode: .refusedStream))
        #expect(recorder.events == ["closed"])
        #expect((recorder.error as? UpstreamStreamRefused)?.reason == .refusedStream)
        _ = try? channel.finish()
    }

    /// A connection that has read the target's GOAWAY with `lastStreamID`, for `stream`.
    static func goingAway(lastStreamID: HTTP2StreamID, for stream: H2CUpstreamStream) throws -> EmbeddedChannel {
        let connection = H2CUpstreamConnection(target: stream.target, maxStreams: 100, now: .now())
        let channel = EmbeddedChannel(handler: connection)
        try channel.writeInbound(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil)))
        stream.connection = connection
        #expect(connection.goAwayLastStreamID == lastStreamID)
        return channel
    }

    @Test func aStreamAboveTheTargetsGoAwayIsReportedAsNotProcessed() throws {
        let (channel, stream, recorder) = try Self.stream()
        let connection = try Self.goingAway(lastStreamID: 1, for: stream)
        // swift-nio-http2 closes the streams above the last stream id with CANCEL.
        channel.pipeline.fireErrorCaught(NIOHTTP2Errors.streamClosed(streamID: 3, errorCode: .cancel))
        #expect(recorder.events == ["closed"])
        #expect((recorder.error as? UpstreamStreamRefused)?.reason == .goAway, "\(String(describing: recorder.error))")
        _ = try? channel.finish()
        _ = try? connection.finish()
    }

    @Test func aStreamAtOrBelowTheGoAwaysLastStreamIdThatIsCancelledIsAFailure() throws {
        let (channel, stream, recorder) = try Self.stream()
        let connection = try Self.goingAway(lastStreamID: 3, for: stream)
        channel.pipeline.fireErrorCaught(NIOHTTP2Errors.streamClosed(streamID: 3, errorCode: .cancel))
        #expect(recorder.events == ["closed"])
        #expect(!(recorder.error is UpstreamStreamRefused))
        _ = try? channel.finish()
        _ = try? connection.finish()
    }

    @Test func headersRefusedBecauseTheGoAwayCameFirstAreReportedAsNotProcessed() throws {
        let (channel, stream, recorder) = try Self.stream()
        /// swift-nio-http2's answer to HEADERS of a stream opened after the target's GOAWAY.
        final class RefuseHeaders: ChannelOutboundHandler {
            typealias OutboundIn = HTTP2Frame.FramePayload
            func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
                if case .headers = self.unwrapOutboundIn(data) {
                    promise?.fail(NIOHTTP2Errors.createdStreamAfterGoaway())
                } else {
                    context.write(data, promise: promise)
                }
            }
        }
        try channel.pipeline.syncOperations.addHandler(RefuseHeaders(), position: .first)
        stream.send(.head(UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/x", headers: ["Host": "h"]))))
        stream.send(.end(nil))
        stream.flush()
        channel.embeddedEventLoop.run()
        #expect(recorder.events == ["closed"])
        #expect((recorder.error as? UpstreamStreamRefused)?.reason == .goAway, "\(String(describing: recorder.error))")
        _ = try? channel.finish()
    }

    @Test func aResetAfterTheHeadIsAFailureNotARefusal() throws {
        let (channel, _, recorder) = try Self.stream()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: [":status": "200"])))
        channel.pipeline.fireErrorCaught(NIOHTTP2Errors.streamClosed(streamID: 1, errorCode: .refusedStream))
        #expect(recorder.events == ["head 200", "closed"])
        #expect(!(recorder.error is UpstreamStreamRefused))
        _ = try? channel.finish()
    }

    @Test func pausedStreamsDoNotRead() throws {
        let (channel, stream, _) = try Self.stream()
        final class ReadCounter: ChannelOutboundHandler {
            typealias OutboundIn = Any
            var reads = 0
            func read(context: ChannelHandlerContext) {
                self.reads += 1
                context.read()
            }
        }
        let counter = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(counter, position: .first)
        stream.pauseReading()
        channel.read()
        #expect(counter.reads == 0)
        stream.resumeReading()
        #expect(counter.reads == 1)
        _ = try? channel.finish()
    }
}
