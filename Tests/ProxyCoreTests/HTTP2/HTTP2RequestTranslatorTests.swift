import NIOHPACK
import NIOHTTP1
import Testing

@testable import ProxyCore

/// What an HTTP/2 request's header block becomes for an HTTP/1.1 target, and what is refused
/// (RFC 9113 §8.2, §8.3).
struct HTTP2RequestTranslatorTests {
    static func block(_ method: String = "GET", _ path: String = "/", authority: String? = "example.com", _ fields: [(String, String)] = []) -> HPACKHeaders {
        var all = [(":method", method), (":scheme", "https"), (":path", path)]
        if let authority { all.append((":authority", authority)) }
        return HPACKHeaders(all + fields)
    }

    static func translate(_ block: HPACKHeaders, endStream: Bool = true, limits: RequestLimits = RequestLimits()) throws(RequestRejection) -> ClientRequestHead {
        try HTTP2RequestTranslator.translate(block, endStream: endStream, limits: limits)
    }

    @Test func authorityBecomesTheFirstHostFieldAndCookieCrumbsAreJoined() throws {
        let head = try Self.translate(Self.block("GET", "/a?b=c", [("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2")]))
        #expect(head.method == .GET)
        #expect(head.target == "/a?b=c")
        #expect(head.version == HTTPVersion(major: 2, minor: 0))
        #expect(Array(head.fields.map { "\($0.name): \($0.value)" }) == ["host: example.com", "accept: */*", "cookie: a=1; b=2"])
        #expect(head.facts.framing == .none)
    }

    @Test func aBodyWithoutContentLengthIsChunkedToTheTarget() throws {
        let head = try Self.translate(Self.block("POST", "/up"), endStream: false)
        #expect(head.facts.framing == .chunked)
        #expect(head.fields["transfer-encoding"] == ["chunked"])
        let sized = try Self.translate(Self.block("POST", "/up", [("content-length", "12")]), endStream: false)
        #expect(sized.facts.framing == .contentLength(12))
        #expect(sized.fields["content-length"] == ["12"])
        #expect(!sized.fields.contains(name: "transfer-encoding"))
    }

    @Test func aMatchingHostIsKeptOnceAndAHostAloneIsEnough() throws {
        let both = try Self.translate(Self.block("GET", "/", [("host", "EXAMPLE.com")]))
        #expect(both.fields["host"] == ["example.com"])
        let hostOnly = try Self.translate(Self.block("GET", "/", authority: nil, [("host", "example.org")]))
        #expect(hostOnly.fields["host"] == ["example.org"])
    }

    static let refusals: [(String, HPACKHeaders, Bool, UInt)] = [
        ("connection-specific field", block("GET", "/", [("connection", "keep-alive")]), true, 400),
        ("transfer-encoding", block("POST", "/", [("transfer-encoding", "chunked")]), false, 400),
        ("upgrade", block("GET", "/", [("upgrade", "websocket")]), true, 400),
        ("te other than trailers", block("GET", "/", [("te", "gzip")]), true, 400),
        ("host differing from :authority", block("GET", "/", [("host", "evil.example")]), true, 400),
        ("userinfo in :authority", block("GET", "/", authority: "user@example.com"), true, 400),
        ("no authority at all", block("GET", "/", authority: nil), true, 400),
        ("a space in :path", block("GET", "/a b"), true, 400),
        ("an absolute :path", block("GET", "http://example.com/"), true, 400),
        ("a method that is not a token", block("G T", "/"), true, 400),
        ("CONNECT", HPACKHeaders([(":method", "CONNECT"), (":authority", "example.com:443")]), false, 405),
        ("two content-lengths that differ", block("POST", "/", [("content-length", "1"), ("content-length", "2")]), false, 400),
        ("a content-length that is not a number", block("POST", "/", [("content-length", "1e3")]), false, 400),
        ("a content-length on a request without a body", block("POST", "/", [("content-length", "5")]), true, 400),
        ("an unsupported expectation", block("PUT", "/", [("content-length", "1"), ("expect", "magic")]), false, 417),
        ("a declared body past the limit", block("POST", "/", [("content-length", "2000000000")]), false, 413),
        ("TRACE with a body", block("TRACE", "/", [("content-length", "3")]), false, 400),
        ("a header list past header_bytes", block("GET", "/", [("x-big", String(repeating: "a", count: 17_000))]), true, 431),
        // What swift-nio-http2 would check if its validation were on (it is off: decision 0017).
        ("an upper-case field name", block("GET", "/", [("X-Upper", "1")]), true, 400),
        ("a field name that is not a token", block("GET", "/", [("x bad", "1")]), true, 400),
        ("a CR LF in a value", block("GET", "/", [("x-inject", "a\r\nx-evil: 1")]), true, 400),
        ("a NUL in a value", block("GET", "/", [("x-nul", "a\u{0}b")]), true, 400),
        ("a value with a leading space", block("GET", "/", [("x-space", " a")]), true, 400),
        ("a CR LF in :path", block("GET", "/a\r\nHost: evil"), true, 400),
        ("a repeated pseudo-header", HPACKHeaders([(":method", "GET"), (":method", "POST"), (":scheme", "https"), (":path", "/"), (":authority", "a")]), true, 400),
        ("a pseudo-header after a field", HPACKHeaders([(":method", "GET"), (":scheme", "https"), ("accept", "*/*"), (":path", "/"), (":authority", "a")]), true, 400),
        ("no :scheme", HPACKHeaders([(":method", "GET"), (":path", "/"), (":authority", "a")]), true, 400),
        ("an unknown pseudo-header", block("GET", "/", [(":protocol", "websocket")]), true, 400),
    ]

    @Test(arguments: Self.refusals)
    func refuses(_ refusal: (String, HPACKHeaders, Bool, UInt)) {
        let (name, block, endStream, status) = refusal
        do {
            _ = try Self.translate(block, endStream: endStream)
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.status.code == status, "\(name): \(error)")
        }
    }

    @Test func optionsStarIsAllowed() throws {
        let head = try Self.translate(Self.block("OPTIONS", "*"))
        #expect(head.target == "*")
    }

    @Test func theResponseBlockHasLowerCaseNamesAndNoConnectionSpecificFields() {
        var fields = HTTPHeaders()
        fields.add(name: "Content-Type", value: "text/plain")
        fields.add(name: "Connection", value: "close")
        fields.add(name: "Keep-Alive", value: "timeout=5")
        fields.add(name: "Transfer-Encoding", value: "chunked")
        fields.add(name: "Content-Length", value: "5")
        let block = HTTP2ResponseTranslator.headers(for: ClientResponseHead(status: .notFound, fields: fields))
        #expect(Array(block.map { "\($0.name): \($0.value)" }) == [":status: 404", "content-type: text/plain", "content-length: 5"])
    }
}
