import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The parser's own limits and early refusals (what the differential tests cannot show: llhttp
/// has other limits).
struct HTTP1ParserTests {
    /// Feeds `text` and collects events until the parser needs more.
    private func events(_ parser: inout HTTP1Parser, _ buffer: inout ByteBuffer) throws -> [HTTP1Parser.Event] {
        var heads: [HTTP1Head] = []
        return try self.events(&parser, &buffer, heads: &heads)
    }

    /// Also collects the heads.
    private func events(_ parser: inout HTTP1Parser, _ buffer: inout ByteBuffer, heads: inout [HTTP1Head]) throws -> [HTTP1Parser.Event] {
        var events: [HTTP1Parser.Event] = []
        while let event = try parser.next(&buffer) {
            if case .head = event {
                let head = parser.takeHead()
                parser.startBody(try RequestFraming.framing(of: head))
                heads.append(head)
            }
            events.append(event)
        }
        return events
    }

    private func parseError(_ text: String, maxHeadBytes: Int = 1024, maxFields: Int = 10) -> HTTP1ParseError? {
        var parser = HTTP1Parser(isRequest: true, maxHeadBytes: maxHeadBytes, maxFields: maxFields)
        var buffer = ByteBuffer(string: text)
        do {
            _ = try self.events(&parser, &buffer)
            return nil
        } catch {
            return error as? HTTP1ParseError
        }
    }

    @Test func aHeadUpToTheLimitIsTakenAndOneByteMoreIsTooLarge() throws {
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        let padding = 200 - prefix.utf8.count - 4
        let exact = prefix + String(repeating: "v", count: padding) + "\r\n\r\n"
        #expect(exact.utf8.count == 200)
        #expect(self.parseError(exact, maxHeadBytes: 200) == nil)
        let over = prefix + String(repeating: "v", count: padding + 1) + "\r\n\r\n"
        #expect(self.parseError(over, maxHeadBytes: 200) == .tooLarge)
    }

    @Test func anUnfinishedHeadOverTheLimitIsRefusedWithoutWaitingForItsEnd() {
        let text = "GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 300)
        #expect(self.parseError(text, maxHeadBytes: 200) == .tooLarge)
        #expect(self.parseError(text, maxHeadBytes: 400) == nil)  // waits for more
    }

    @Test func tooManyFieldsIsTooLarge() {
        let fields = (0..<10).map { "X-\($0): v\r\n" }.joined()
        #expect(self.parseError("GET / HTTP/1.1\r\n\(fields)\r\n", maxFields: 10) == nil)
        #expect(self.parseError("GET / HTTP/1.1\r\n\(fields)Y: 1\r\n\r\n", maxFields: 10) == .tooLarge)
    }

    @Test func whatCannotStartARequestIsRefusedBeforeALineEnds() {
        // A TLS hello to a plain listener, bytes of a body after a bad frame: refused at once,
        // not after the header timeout.
        #expect(self.parseError("\u{16}\u{03}\u{01}\u{00}\u{a5}") != nil)
        #expect(self.parseError("{\"json\": 1") != nil)
        #expect(self.parseError("GE") == nil)  // could still become a request
        #expect(self.parseError("\r") == nil)
    }

    @Test func aBareLFIsRefusedAsSoonAsItArrives() {
        #expect(self.parseError("GET / HTTP/1.1\n") == .malformed("bare LF"))
        #expect(self.parseError("GET / HTTP/1.1\r\nHost: a\n") == .malformed("bare LF"))
    }

    @Test func chunkSizeLinesAreBounded() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let longExtension = "5;" + String(repeating: "e", count: HTTP1Parser.maxChunkLineBytes)
        #expect(self.parseError(head + longExtension) != nil)
        #expect(self.parseError(head + "5;" + String(repeating: "e", count: 100)) == nil)
        #expect(self.parseError(head + "fffffffffffffff\r\n") == nil)  // 15 hex digits: a size
        #expect(self.parseError(head + "1000000000000000\r\n") == .malformed("chunk size too large"))
    }

    /// The eight-bytes-at-a-time check against the byte-by-byte rule, with every byte value at
    /// every position of a word and in the tail.
    @Test func fieldValuesAreCheckedAsByteByByte() {
        for byte in UInt8.min...UInt8.max {
            let valid = byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
            for length in [1, 7, 8, 9, 16, 21] {
                for position in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let checked = bytes.withUnsafeBytes { HTTP1HeadParser.isFieldValue($0, from: 0, to: length) }
                    #expect(checked == valid, "byte \(byte) at \(position) of \(length)")
                }
            }
        }
    }

    @Test func bodyPartsAreSlicesOfWhatWasReceivedAndTheEndFollowsTheLastByte() throws {
        var parser = HTTP1Parser(isRequest: true, maxHeadBytes: 1024, maxFields: 10)
        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc")
        var heads: [HTTP1Head] = []
        var events = try self.events(&parser, &buffer, heads: &heads)
        #expect(events.count == 2)
        guard case .head = events[0], case .body(let first) = events[1], let head = heads.first else {
            Issue.record("\(events)")
            return
        }
        #expect(head.contentLength == 6 && head.fields.count == 2)
        #expect(String(buffer: first) == "abc")
        buffer.writeString("defGET")
        events = try self.events(&parser, &buffer)
        #expect(events.count == 2)
        guard case .body(let second) = events[0], case .end(nil) = events[1] else {
            Issue.record("\(events)")
            return
        }
        #expect(String(buffer: second) == "def")
        #expect(String(buffer: buffer) == "GET")  // the next request's first bytes wait
        #expect(parser.isMidMessage(buffer))
    }

    @Test func fieldsRepeatedFromThePreviousHeadAreStillTheBytesOfThisOne() throws {
        var parser = HTTP1Parser(isRequest: true, maxHeadBytes: 1024, maxFields: 10)
        let heads = [
            "GET /1 HTTP/1.1\r\nHost: a\r\nUser-Agent: a long agent string/1.0\r\nAccept: */*\r\n\r\n",
            "GET /2 HTTP/1.1\r\nHost: a\r\nUser-Agent: a long agent string/1.1\r\nAccept: */*\r\nX-New: 1\r\n\r\n",
            "GET /3 HTTP/1.1\r\nhost: a\r\nAccept: */*\r\n\r\n",
            "GET /4 HTTP/1.1\r\nhost: a\r\nAccept: text/html\r\nX-New: 1\r\nX-More: 2\r\n\r\n",
        ]
        var buffer = ByteBuffer(string: heads.joined())
        var parsed: [HTTP1Head] = []
        _ = try self.events(&parser, &buffer, heads: &parsed)
        let seen = parsed.map { $0.fields.map { "\($0.0): \($0.1)" } }
        #expect(seen == [
            ["Host: a", "User-Agent: a long agent string/1.0", "Accept: */*"],
            ["Host: a", "User-Agent: a long agent string/1.1", "Accept: */*", "X-New: 1"],
            ["host: a", "Accept: */*"],
            ["host: a", "Accept: text/html", "X-New: 1", "X-More: 2"],
        ])
    }

    /// A request may state its length once: the same length twice (two fields, or a list) is
    /// refused as nginx and HAProxy refuse it, at every place in the head.
    @Test(arguments: [
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5,5\r\n",
        "Content-Length: 5\r\nX-Between: 1\r\ncontent-length: 5\r\n",
        "Content-Length: 05\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\nContent-Length: 5, 5\r\n",
        "Content-Length: 0\r\nContent-Length: 0\r\n",
    ])
    func aRequestThatRepeatsItsContentLengthIsRefused(fields: String) {
        let request = "POST / HTTP/1.1\r\nHost: a\r\n\(fields)\r\nhello"
        #expect(self.parseError(request) == .malformed("repeated Content-Length"))
        #expect(self.parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello") == nil)
    }

    @Test func differingContentLengthsAreAConflictInRequestsAndResponses() {
        #expect(self.parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == .malformed("conflicting Content-Length values"))
        #expect(self.parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n") == .malformed("conflicting Content-Length values"))
        var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 1024, maxFields: 10)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")
        #expect(throws: HTTP1ParseError.malformed("conflicting Content-Length values")) { try parser.next(&buffer) }
    }

    /// A response may repeat the same length (RFC 9110 §8.6): one length, and no hints, so
    /// the head is rebuilt (``ResponseHeaderRewriter``) and the client gets the length once.
    @Test(arguments: ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"])
    func aResponseThatRepeatsItsContentLengthHasOneLengthAndNoHints(fields: String) throws {
        var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 1024, maxFields: 10, keepsRawFields: true)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\(fields)\r\nhello")
        guard case .head = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no head") }
        let head = parser.takeHead()
        #expect(head.contentLength == 5 && head.contentLengthCount == 2)
        #expect(head.fieldHints == nil)
        var single = HTTP1Parser(isRequest: false, maxHeadBytes: 1024, maxFields: 10, keepsRawFields: true)
        var once = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        guard case .head = try single.next(&once) else { throw HTTP1ParseError.malformed("no head") }
        #expect(single.takeHead().fieldHints != nil)
    }

    @Test func theEndOfInputEndsOnlyABodyThatLastsUntilIt() throws {
        var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 1024, maxFields: 10)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nall of it")
        guard case .head = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no head") }
        _ = parser.takeHead()
        parser.startBody(.untilClose)
        guard case .body(let body) = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no body") }
        #expect(String(buffer: body) == "all of it")
        guard case .end(nil) = try parser.finish(buffer) else { throw HTTP1ParseError.malformed("no end") }
        // Between messages the end of input is no error; inside one it is.
        #expect(try parser.finish(buffer) == nil)
        var framed = HTTP1Parser(isRequest: false, maxHeadBytes: 1024, maxFields: 10)
        var partial = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
        _ = try framed.next(&partial)
        _ = framed.takeHead()
        framed.startBody(.length(5))
        _ = try framed.next(&partial)
        #expect(throws: HTTP1ParseError.self) { try framed.finish(partial) }
    }
}

/// ``KeepAlive`` decides as NIO's `HTTPHeaders.isKeepAlive(version:)` does on the same headers.
struct KeepAliveTests {
    @Test func agreesWithNIO() {
        let values: [String?] = [
            nil, "close", "Close", "keep-alive", "Keep-Alive", "upgrade", "keep-alive, close", "close, keep-alive",
            " close ", "\tkeep-alive", "x-hop, keep-alive", "closed", "keep-alive2", "", ",", "keep-alive, keep-alive",
        ]
        for first in values {
            for second in values {
                var headers = HTTPHeaders([("Host", "a")])
                if let first { headers.add(name: "Connection", value: first) }
                if let second { headers.add(name: "connection", value: second) }
                for version in [HTTPVersion.http1_0, .http1_1] {
                    // Rebuilt from pairs, NIO decides from the fields (its `unknown` state).
                    let plain = HTTPHeaders(headers.map { ($0.name, $0.value) })
                    #expect(
                        KeepAlive.isKeepAlive(plain, version: version) == HTTPRequestHead(version: version, method: .GET, uri: "/", headers: plain).isKeepAlive,
                        "\(String(describing: first)) \(String(describing: second)) \(version)"
                    )
                }
            }
        }
    }
}
