import NIOCore
import Testing

@testable import ProxyCore

/// A probe's answer read as proxied responses are read: the status of a well-formed response,
/// the parser's reason for one it refuses, at every read size.
struct HealthProbeResponseReaderTests {
    /// Feeds `text` in reads of `step` bytes, then ends the input if asked; `nil`: no outcome.
    private func outcome(_ text: String, step: Int, endInput: Bool = true, maxBodyBytes: Int = 64 * 1024) -> HealthProbeResponseReader.Outcome? {
        var reader = HealthProbeResponseReader(maxBodyBytes: maxBodyBytes)
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(start + step, bytes.count)
            if let outcome = reader.read(ByteBuffer(bytes: bytes[start..<end])) {
                #expect(reader.read(ByteBuffer(string: "more")) == outcome)  // the same from then on
                #expect(reader.finish() == outcome)
                return outcome
            }
            start = end
        }
        return endInput ? reader.finish() : nil
    }

    static let readSizes = [1, 2, 7, 64, 100_000]

    static let wellFormed: [(response: String, status: Int)] = [
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200),
        ("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 204),
        ("HTTP/1.1 304 Not Modified\r\n\r\n", 304),
        ("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown", 503),
        ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 1\r\n\r\n", 200),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 200),  // as the proxy takes it (RFC 9110 §8.6)
        ("HTTP/1.0 200 OK\r\n\r\nuntil the close", 200),
        ("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200),
    ]

    @Test(arguments: Self.wellFormed.indices)
    func aWellFormedResponseGivesItsStatus(index: Int) {
        let case_ = Self.wellFormed[index]
        for step in Self.readSizes {
            #expect(self.outcome(case_.response, step: step) == .status(case_.status), "\(case_.response.debugDescription), reads of \(step)")
        }
    }

    /// What llhttp (NIO's decoder, which the probes used) takes or passes the head of, and our
    /// parser refuses: the probe fails as every proxied request would.
    static let malformed: [(response: String, reason: String)] = [
        ("HTTP/1.1 200 OK\r\nX-Bad : b\r\nContent-Length: 0\r\n\r\n", "invalid header name"),
        ("HTTP/1.1 200 OK\nContent-Length: 0\n\n", "bare LF"),
        ("HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: 0\r\n\r\n", "obsolete line folding"),
        ("HTTP/1.1 200 OK\r\nX-Nul: a\u{0}b\r\nContent-Length: 0\r\n\r\n", "control character in header value"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", "conflicting Content-Length values"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "Transfer-Encoding with chunked not last"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "101 Switching Protocols without an upgrade request"),
        ("HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", "unsupported HTTP version"),
        ("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "invalid status line"),
        ("<html>hello</html>", "not an HTTP/1 message"),
    ]

    @Test(arguments: Self.malformed.indices)
    func aMalformedResponseGivesTheParsersReason(index: Int) {
        let case_ = Self.malformed[index]
        for step in Self.readSizes {
            #expect(self.outcome(case_.response, step: step) == .malformed(case_.reason), "\(case_.response.debugDescription), reads of \(step)")
        }
    }

    @Test func aResponseCutShortHasNoOutcome() {
        for response in ["", "HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"] {
            for step in Self.readSizes {
                #expect(self.outcome(response, step: step) == nil, "\(response.debugDescription), reads of \(step)")
            }
        }
    }

    @Test func aBodyUntilTheCloseEndsWithTheInputOnly() {
        let response = "HTTP/1.1 200 OK\r\n\r\nstill coming"
        #expect(self.outcome(response, step: 3, endInput: false) == nil)
        #expect(self.outcome(response, step: 3, endInput: true) == .status(200))
    }

    /// A body's end is waited for up to the limit; past it the status stands, its end unseen.
    @Test func aLongBodyIsNotWaitedForPastTheLimit() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
        #expect(self.outcome(head + String(repeating: "x", count: 100), step: 64, endInput: false, maxBodyBytes: 100) == nil)
        #expect(self.outcome(head + String(repeating: "x", count: 101), step: 64, endInput: false, maxBodyBytes: 100) == .status(200))
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(self.outcome(chunked + "65\r\n" + String(repeating: "x", count: 101) + "\r\nzz\r\n", step: 1000, maxBodyBytes: 100) == .status(200))
        #expect(self.outcome(chunked + "5\r\nxxxxx\r\nzz\r\n", step: 1000, maxBodyBytes: 100) == .malformed("invalid chunk size"))
    }
}
