import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Our HTTP/1 parser against NIO's (llhttp), on the same bytes at every read size: the same
/// parts, and an error where it errs. Where ours differs on purpose, the case says so and what
/// ours does instead.
struct HTTP1ParserDifferentialTests {
    /// Requests both parsers take the same way (or both refuse).
    static let agreed: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a?b=c&d HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8.0 (x86_64)\r\nAccept: */*\r\n\r\n",
        "GET http://a.example/b HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        "HEAD /c HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Spaces:   padded\r\nX-Tab:\tv\r\n\r\n",
        "GET / HTTP/1.1\r\nhost: a\r\nCONTENT-LENGTH: 0\r\n\r\n",
        "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Text: caf\u{e9} \u{2603}\r\n\r\n",
        "\r\n\r\nGET /after-empty-lines HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nHEAD /c HTTP/1.0\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
        "PUT /up HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-Sum: 1\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tCHUNKED\r\n\r\n0\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;name=\"quoted value\"\r\nz\r\n0\r\n\r\n",
        // Refused by both.
        "GET / HTTP/1.1\r\nHost: a\r\nX-Bad : b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\nGET /after HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Nul: a\u{0}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Ctl: a\u{1}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-CR: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX(Y): z\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n: novalue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\n",
        "GET / HTTP/1.1\r\nHost: a\n\r\n",
        "get / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nok",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nx\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u{1}b\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Bad : t\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        "\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}",
        "\u{16}\u{03}\u{01}\u{02}\u{00}\r\n\r\n",
        // Cut short by the end of input.
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
        "GET / HTTP/1.1\r\nHost: a\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    ]

    /// Where ours differs from llhttp on purpose: the input and what ours makes of it.
    static let differing: [(why: String, input: String, ours: [String])] = [
        (
            "whitespace after a field value is not part of it (RFC 9112 §5); llhttp keeps it",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Spaces: padded   \r\nX-Tab: v\t\r\n\r\n",
            ["head GET / HTTP/1.1 [\"Host=a\", \"X-Spaces=padded\", \"X-Tab=v\"]", "end []"]
        ),
        (
            "one space between method and target (RFC 9112 §3); llhttp takes several",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            ["error"]
        ),
        (
            "a method is any upper-case token, as nginx takes it; llhttp knows a fixed list",
            "PURGEALL /x HTTP/1.1\r\nHost: a\r\n\r\n",
            ["head PURGEALL /x HTTP/1.1 [\"Host=a\"]", "end []"]
        ),
        (
            "HTTP/1.0 with Transfer-Encoding is refused (RFC 9112 §6.1: the framing is faulty); llhttp reads no body and takes the chunks for the next request",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            ["error"]
        ),
        (
            "a request whose Transfer-Encoding does not end in chunked is refused before its head is passed on; llhttp passes the head, then fails",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            ["error"]
        ),
        (
            "the same for a coding that only contains the word",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
            ["error"]
        ),
    ]

    /// Writes `bytes` inbound in reads of `step` bytes, then ends the input if asked.
    private func run(_ handler: some ChannelHandler, _ input: String, splitEvery step: Int, endInput: Bool) throws -> [String] {
        let channel = EmbeddedChannel()
        let recorder = PartRecorder<HTTPRequestHead> { head in
            "\(head.method.rawValue) \(head.uri) \(head.version) \(head.headers.map { "\($0.name)=\($0.value)" })"
        }
        try channel.pipeline.syncOperations.addHandlers([handler, recorder])
        channel.writeInbound(Array(input.utf8), inReadsOf: step)
        if endInput {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        _ = try? channel.finish()
        return recorder.events
    }

    private func ours(_ input: String, step: Int, endInput: Bool) throws -> [String] {
        try self.run(ParserHandler.requests(maxHeadBytes: 16 * 1024), input, splitEvery: step, endInput: endInput)
    }

    private func theirs(_ input: String, step: Int, endInput: Bool) throws -> [String] {
        try self.run(ByteToMessageHandler(HTTPRequestDecoder()), input, splitEvery: step, endInput: endInput)
    }

    static let readSizes = [1, 2, 3, 5, 8, 13, 64, 100_000]

    @Test(arguments: Self.agreed.indices)
    func sameAsLLHTTP(index: Int) throws {
        let input = Self.agreed[index]
        for step in Self.readSizes {
            for endInput in [false, true] {
                let theirs = try self.theirs(input, step: step, endInput: endInput)
                let ours = try self.ours(input, step: step, endInput: endInput)
                #expect(ours == theirs, "input \(index) \(input.debugDescription), reads of \(step), end \(endInput)")
            }
        }
    }

    @Test(arguments: Self.differing.indices)
    func differsFromLLHTTPOnPurpose(index: Int) throws {
        let case_ = Self.differing[index]
        let theirs = try self.theirs(case_.input, step: 100_000, endInput: false)
        #expect(theirs != case_.ours, "no longer a difference: \(case_.why)")
        for step in Self.readSizes {
            #expect(try self.ours(case_.input, step: step, endInput: false) == case_.ours, "\(case_.why), reads of \(step)")
        }
    }
}
