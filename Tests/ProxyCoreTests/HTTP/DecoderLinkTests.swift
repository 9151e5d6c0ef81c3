import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Our decoders hand their parts to the handler right above directly (decisions 0010, 0012),
/// with what the parser noted about each head, and what the parser notes is what the validator
/// finds in the same head.
struct DecoderLinkTests {
    /// Sits between a decoder and the handler it is linked to: sees what goes through the
    /// pipeline, which with the link is nothing.
    final class PipelineSpy: ChannelInboundHandler {
        typealias InboundIn = Any
        var reads = 0
        var readsCompleted = 0
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.reads += 1
            context.fireChannelRead(data)
        }
        func channelReadComplete(context: ChannelHandlerContext) {
            self.readsCompleted += 1
            context.fireChannelReadComplete()
        }
    }

    final class RecordingDelegate: UpstreamConnectionDelegate {
        var events: [String] = []
        func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart) {
            switch part {
            case .head(let head):
                self.events.append("head \(head.status.code) keepAlive \(String(describing: connection.responseKeepAlive))")
                // The fields come as their lines only.
                let lines = connection.responseRawFields.map { String(buffer: $0.block).debugDescription } ?? "none"
                self.events.append("fields \(head.headers.count) lines \(lines)")
            case .body(let body): self.events.append("body \(String(buffer: body))")
            case .end: self.events.append("end")
            }
        }
        func upstreamReadComplete(_ connection: UpstreamConnection) {}
        func upstreamWritabilityChanged(_ connection: UpstreamConnection, isWritable: Bool) {}
        func upstream(_ connection: UpstreamConnection, closedWith error: (any Error)?) {}
    }

    @Test func theRequestDecoderHandsRequestsToTheGuardAndNotToThePipeline() throws {
        let channel = EmbeddedChannel()
        let requestGuard = RequestGuardHandler(maxBodyBytes: nil, serverHeader: nil)
        let receiver = HandlerLinkTests.RecordingReceiver()
        requestGuard.receiver = receiver
        let decoder = HTTP1RequestDecoder(maxHeadBytes: 1024)
        decoder.requestGuard = requestGuard
        let spy = PipelineSpy()
        let driver = DecoderDriver(decoder)
        driver.readCompleteReceiver = requestGuard
        try channel.pipeline.syncOperations.addHandlers(driver, spy, requestGuard)
        try channel.writeInbound(ByteBuffer(string: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"))
        #expect(receiver.parts.count == 3)
        #expect(receiver.readsCompleted == 1)  // through the guard, to its receiver
        #expect(spy.reads == 0 && spy.readsCompleted == 0)
        // Unlinked, the same parts cross the pipeline.
        decoder.requestGuard = nil
        try channel.writeInbound(ByteBuffer(string: "GET /b HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(spy.reads == 2)
        _ = try? channel.finish()
    }

    /// In the pipeline ``ClientHTTPHandlers`` builds, the timeout handler hands the bytes and
    /// the end of each read to the decoder directly: a handler put between them sees nothing.
    @Test func theTimeoutHandlerHandsReadsToTheDecoder() throws {
        let channel = EmbeddedChannel()
        let handlers = ClientHTTPHandlers.make(limits: RequestLimits(), serverHeader: nil, timers: nil)
        let spy = PipelineSpy()
        try channel.pipeline.syncOperations.addHandlers([handlers[0], spy] + handlers.dropFirst())
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(spy.reads == 0 && spy.readsCompleted == 0)
        guard case .head(let head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no head passed on")
            return
        }
        #expect(head.uri == "/a")
        _ = try? channel.finish()
    }

    @Test func theResponseDecoderHandsResponsesToTheConnectionWithTheirKeepAlive() throws {
        let channel = EmbeddedChannel()
        let connection = UpstreamConnection(target: Target(id: "t", host: "127.0.0.1", port: 1), channel: channel)
        let delegate = RecordingDelegate()
        connection.delegate = delegate
        let decoder = UpstreamResponseDecoder()
        decoder.connection = connection
        let spy = PipelineSpy()
        try channel.pipeline.syncOperations.addHandlers(DecoderDriver(decoder), spy, connection)
        for _ in 0..<2 {
            decoder.requestSent(method: .GET)
        }
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
        #expect(
            delegate.events == [
                "head 200 keepAlive Optional(true)", #"fields 0 lines "Content-Length: 2\r\n""#, "body ok", "end",
                "head 200 keepAlive Optional(false)", #"fields 0 lines "Connection: close\r\nContent-Length: 0\r\n""#, "end",
            ]
        )
        #expect(spy.reads == 0)
        #expect(connection.responseKeepAlive == nil)  // only while a head is handed over
        _ = try? channel.finish()
    }

    /// For every request of the differential corpus our parser takes, the facts it notes are
    /// the facts the validator finds in the head NIO's parser makes of the same bytes.
    @Test func theParsersFactsAreTheValidatorsFacts() throws {
        var compared = 0
        for input in HTTP1ParserDifferentialTests.agreed + ["PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
            "PUT / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET / HTTP/1.1\r\nConnection: keep-alive, close\r\nHost: a\r\n\r\n"]
        {
            var buffer = ByteBuffer(string: input)
            var parser = HTTP1Parser(isRequest: true, maxHeadBytes: 16 * 1024, maxFields: 256)
            guard case .head? = try? parser.next(&buffer) else { continue }
            let parsed = parser.takeHead()
            guard let framing = try? HTTP1RequestDecoder.framing(of: parsed) else { continue }
            var ours = HTTP1RequestDecoder.facts(of: parsed, framing: framing)
            ours.fieldHints = nil  // the parser's alone
            let nioHead = try #require(try self.nioHead(input), "\(input.debugDescription)")
            #expect(try RequestValidator.facts(of: nioHead) == ours, "\(input.debugDescription)")
            compared += 1
        }
        #expect(compared >= 20)
    }

    private func nioHead(_ input: String) throws -> HTTPRequestHead? {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
        _ = try? channel.writeInbound(ByteBuffer(string: input))  // an error after the head is not ours to judge
        defer { _ = try? channel.finish() }
        guard case .head(let head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { return nil }
        return head
    }
}
