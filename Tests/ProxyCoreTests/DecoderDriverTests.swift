import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Our decoder driver against NIO's `ByteToMessageHandler`, on the same bytes: the same parts
/// and the same errors, whatever the read boundaries.
struct DecoderDriverTests {
    /// What a pipeline saw above the decoder, as text: parts in order, then errors, then whether
    /// the input was seen to end.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        var events: [String] = []
        /// Called with each part, to act from inside the decode (re-entrancy tests).
        var onPart: ((HTTPServerRequestPart, ChannelHandlerContext) -> Void)?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = self.unwrapInboundIn(data)
            switch part {
            case .head(let head):
                self.events.append("head \(head.method) \(head.uri) \(head.headers.map { "\($0.name)=\($0.value)" })")
            case .body(let buffer):
                self.events.append("body \(String(buffer: buffer))")
            case .end(let trailers):
                self.events.append("end \(trailers.map { $0.map { "\($0.name)=\($0.value)" } } ?? [])")
            }
            self.onPart?(part, context)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.events.append("error \(error)")
        }
    }

    static let inputs: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nHEAD /c HTTP/1.0\r\n\r\n",
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-Sum: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Bad : b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\nGET /after HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",  // cut short by the end of input
    ]

    /// Writes `text` inbound in reads of `step` bytes (errors are what the recorder sees).
    private static func feed(_ text: String, to channel: EmbeddedChannel, splitEvery step: Int) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            _ = try? channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }

    private func run(_ handler: some ChannelHandler, _ input: String, splitEvery step: Int, endInput: Bool) throws -> [String] {
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        try channel.pipeline.syncOperations.addHandlers([handler, recorder])
        Self.feed(input, to: channel, splitEvery: step)
        if endInput {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        _ = try? channel.finish()
        return recorder.events
    }

    @Test(arguments: Self.inputs.indices)
    func sameEventsAsNIOsHandlerAtEveryReadSize(index: Int) throws {
        let input = Self.inputs[index]
        for step in [1, 2, 3, 7, 16, 1000] {
            for endInput in [false, true] {
                let theirs = try self.run(ByteToMessageHandler(HTTPRequestDecoder()), input, splitEvery: step, endInput: endInput)
                let ours = try self.run(DecoderDriver(HTTPRequestDecoder()), input, splitEvery: step, endInput: endInput)
                #expect(!theirs.isEmpty)
                #expect(ours == theirs, "input \(index), reads of \(step), end \(endInput)")
            }
        }
    }

    final class ResponseRecorder: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        var events: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head): self.events.append("head \(head.status.code) \(head.headers.map { "\($0.name)=\($0.value)" })")
            case .body(let buffer): self.events.append("body \(String(buffer: buffer))")
            case .end: self.events.append("end")
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.events.append("error \(error)")
        }
    }

    /// Responses to a GET, a HEAD (no body whatever the framing says) and a GET again, one
    /// read-size at a time; then a response with nothing to frame it, ended by the close.
    @Test func responsesDecodeAsWithNIOsHandler() throws {
        let responses = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil the close"
        func run(driver: Bool, step: Int) throws -> [String] {
            let channel = EmbeddedChannel()
            let recorder = ResponseRecorder()
            let decoder = UpstreamResponseDecoder()
            let handler: any ChannelHandler = driver ? DecoderDriver(decoder) : ByteToMessageHandler(decoder)
            try channel.pipeline.syncOperations.addHandlers([handler, recorder])
            for method in [HTTPMethod.GET, .HEAD, .GET, .GET] {
                decoder.requestSent(method: method)
            }
            Self.feed(responses, to: channel, splitEvery: step)
            _ = try? channel.finish()  // the close ends the last body
            return recorder.events
        }
        for step in [1, 5, 64, 1000] {
            let theirs = try run(driver: false, step: step)
            #expect(theirs.filter { $0.hasPrefix("head") }.count == 4 && theirs.last == "end")
            #expect(try run(driver: true, step: step) == theirs, "reads of \(step)")
        }
    }

    @Test func bytesReadWhileDecodingAreDecodedAfterWhatCameBefore() throws {
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        recorder.onPart = { part, context in
            // The first request's head makes the next request arrive from inside the decode.
            if case .head(let head) = part, head.uri == "/first" {
                context.pipeline.syncOperations.fireChannelRead(NIOAny(ByteBuffer(string: "GET /second HTTP/1.1\r\nHost: a\r\n\r\n")))
            }
        }
        try channel.pipeline.syncOperations.addHandlers([DecoderDriver(HTTPRequestDecoder()), recorder])
        try channel.writeInbound(ByteBuffer(string: "GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /third HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(recorder.events.filter { $0.hasPrefix("head") }.map { $0.split(separator: " ")[2] } == ["/first", "/third", "/second"])
        _ = try channel.finish()
    }

    @Test func theEndOfInputDuringADecodeIsHandledAfterIt() throws {
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        recorder.onPart = { part, context in
            if case .head = part {
                context.pipeline.syncOperations.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
        try channel.pipeline.syncOperations.addHandlers([DecoderDriver(HTTPRequestDecoder()), recorder])
        // The body is cut short: after the head, the input ends, and the decoder reports it.
        _ = try? channel.writeInbound(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc"))
        #expect(recorder.events.count == 3)
        #expect(recorder.events.first?.hasPrefix("head POST") == true)
        #expect(recorder.events.dropFirst().first == "body abc")
        #expect(recorder.events.last?.hasPrefix("error") == true)
        _ = try? channel.finish()
    }
}
