import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Mutated messages through both decoders, at several read sizes: the parser reads raw memory
/// without bounds checks in release builds, so every path must stay inside the bytes it was
/// given (a debug build, which the tests run, traps on any read outside them), and whatever
/// comes out must be well-formed: a head, then body bytes no more than were sent, then an end,
/// or an error and nothing after it.
struct HTTP1ParserFuzzTests {
    /// A small deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(self.next() % UInt64(bound)) }
    }

    /// Bytes that matter to HTTP/1 framing, favoured by the mutations.
    static let interesting: [UInt8] = [0x0D, 0x0A, 0x20, 0x09, 0x3A, 0x00, 0x7F, 0x80, 0xFF, 0x2C, 0x3B, 0x30, 0x66, 0x2D]

    static func mutate(_ input: [UInt8], _ generator: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0...generator.below(4) {
            guard !bytes.isEmpty else { break }
            let at = generator.below(bytes.count)
            let byte = generator.below(3) == 0 ? UInt8(truncatingIfNeeded: generator.next()) : Self.interesting[generator.below(Self.interesting.count)]
            switch generator.below(5) {
            case 0: bytes[at] = byte
            case 1: bytes.insert(byte, at: at)
            case 2: bytes.remove(at: at)
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + 1 + generator.below(8)))
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + generator.below(16))], at: at)
            }
        }
        return bytes
    }

    /// Checks the order of what came out; the body bytes seen.
    private static func wellFormed(_ events: [String], inputCount: Int) -> Bool {
        var inMessage = false
        var bodyBytes = 0
        for (index, event) in events.enumerated() {
            if event == "error" {
                return index == events.count - 1
            } else if event.hasPrefix("head ") {
                if inMessage { return false }
                inMessage = true
            } else if event.hasPrefix("body ") {
                if !inMessage { return false }
                bodyBytes += event.utf8.count - 5
            } else if event.hasPrefix("end ") {
                if !inMessage { return false }
                inMessage = false
            }
        }
        return bodyBytes <= inputCount
    }

    private func run(_ handler: some ChannelHandler, recorder: some ChannelHandler & AnyObject, bytes: [UInt8], step: Int) throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([handler, recorder])
        channel.writeInbound(bytes, inReadsOf: step)
        _ = try? channel.finish()
    }

    @Test func requestsNeverReadOutsideTheirBytes() throws {
        var generator = Generator(state: 0x5EED_0001)
        let corpus = HTTP1ParserDifferentialTests.agreed.map { Array($0.utf8) }
        var accepted = 0
        for round in 0..<2_000 {
            let input = Self.mutate(corpus[round % corpus.count], &generator)
            for step in [1, 7, 4096] {
                let recorder = PartRecorder<HTTPRequestHead> { "\($0.method.rawValue) \($0.uri)" }
                try self.run(ParserHandler.requests(maxHeadBytes: 1024, maxFields: 16), recorder: recorder, bytes: input, step: step)
                #expect(Self.wellFormed(recorder.events, inputCount: input.count), "\(input) in reads of \(step): \(recorder.events)")
                if recorder.events.contains(where: { $0.hasPrefix("end") }) { accepted += 1 }
            }
        }
        #expect(accepted > 500)  // the mutations leave many messages valid: both paths are exercised
    }

    @Test func responsesNeverReadOutsideTheirBytes() throws {
        var generator = Generator(state: 0x5EED_0002)
        let corpus = HTTP1ResponseParserDifferentialTests.agreed.map { Array($0.input.utf8) }
        for round in 0..<2_000 {
            let input = Self.mutate(corpus[round % corpus.count], &generator)
            for step in [1, 7, 4096] {
                let recorder = PartRecorder<HTTPResponseHead> { "\($0.status.code)" }
                try self.run(ParserHandler.responses(methods: [.GET, .HEAD, .GET]), recorder: recorder, bytes: input, step: step)
                #expect(Self.wellFormed(recorder.events, inputCount: input.count), "\(input) in reads of \(step): \(recorder.events)")
            }
        }
    }

    /// The raw field lines of every response head the parser takes are copied within their
    /// bytes whatever the stripped names.
    @Test func rawResponseFieldsStayInsideTheirBytes() throws {
        var generator = Generator(state: 0x5EED_0003)
        let corpus = HTTP1ResponseParserDifferentialTests.agreed.map { Array($0.input.utf8) }
        let rewriter = ResponseHeaderRewriter(stripResponseHeaders: ["Server", "X-Powered-By"], serverHeader: nil)
        var written = 0
        for round in 0..<2_000 {
            var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 4096, maxFields: 64, keepsRawFields: true)
            var buffer = ByteBuffer(bytes: Self.mutate(corpus[round % corpus.count], &generator))
            guard case .head? = try? parser.next(&buffer) else { continue }
            let head = parser.takeHead()
            guard let hints = head.fieldHints, let block = head.rawFields else { continue }
            var out = ByteBuffer()
            RawResponseFields(block: block, hints: hints, hasContentLength: head.contentLength != nil, rewriter: rewriter).write(into: &out)
            #expect(out.readableBytes <= block.readableBytes)
            written += 1
        }
        #expect(written > 300)  // heads the mutations left valid: the copy runs often
    }

    /// Fields read back from the lines of every head the parser takes (requests and responses,
    /// mutated) are the fields the parser makes; and the request rewriter's copy of the lines
    /// stays inside them and matches its line-by-line rebuild where the lines are spelled as
    /// it writes them.
    @Test func fieldsReadFromLinesAreTheParsersFields() throws {
        var generator = Generator(state: 0x5EED_0004)
        let requests = HTTP1ParserDifferentialTests.agreed.map { (isRequest: true, bytes: Array($0.utf8)) }
        let responses = HTTP1ResponseParserDifferentialTests.agreed.map { (isRequest: false, bytes: Array($0.input.utf8)) }
        let corpus = requests + responses
        let rewriter = RequestHeaderRewriter(scheme: "https")
        var compared = 0
        for round in 0..<4_000 {
            let entry = corpus[round % corpus.count]
            var parser = HTTP1Parser(isRequest: entry.isRequest, maxHeadBytes: 4096, maxFields: 64, keepsRawFields: true)
            var buffer = ByteBuffer(bytes: Self.mutate(entry.bytes, &generator))
            guard case .head? = try? parser.next(&buffer) else { continue }
            let head = parser.takeHead()
            let block = try #require(head.rawFields)
            let fields = RawFieldLines.headers(of: block).map { "\($0.name)=\($0.value)" }
            #expect(fields == head.fields.map { "\($0.0)=\($0.1)" }, "\(String(buffer: block))")
            if entry.isRequest, let hints = head.fieldHints {
                let request = HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.fields))
                var cache = RequestHeaderRewriter.ForwardedCache()
                let copied = rewriter.rewrite(request, peerAddress: "192.0.2.1", cache: &cache, hints: hints, rawFields: block).head
                let rebuilt = rewriter.rewrite(request, peerAddress: "192.0.2.1", cache: &cache, hints: hints).head
                #expect(copied.decoded.headers.map { "\($0.name)=\($0.value)" } == rebuilt.decoded.headers.map { "\($0.name)=\($0.value)" })
            }
            compared += 1
        }
        #expect(compared > 500)  // heads the mutations left valid
    }
}
