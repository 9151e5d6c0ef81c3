import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

struct HeaderRewriterTests {
    private func head(_ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders(headers))
    }

    /// The forwarding lines kept per connection are the ones built for its peer and `Host`:
    /// reused for the same pair (also when a client chain was dropped), rebuilt for another.
    @Test func forwardingLinesAreReusedOnlyForTheSamePeerAndHost() {
        let rewriter = RequestHeaderRewriter(scheme: "https")
        var cache = RequestHeaderRewriter.ForwardedCache()
        func text(_ host: String, _ peer: String, _ extra: [(String, String)] = []) -> String {
            String(buffer: rewriter.rewrite(self.head([("Host", host)] + extra), peerAddress: peer, cache: &cache).head.bytes)
        }
        let first = text("a.example", "192.0.2.1")
        #expect(first.contains("X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: a.example\r\nForwarded: for=192.0.2.1;host=a.example;proto=https\r\n"))
        #expect(text("a.example", "192.0.2.1") == first)
        let otherHost = text("b.example", "192.0.2.1")
        #expect(otherHost.contains("X-Forwarded-Host: b.example\r\nForwarded: for=192.0.2.1;host=b.example;proto=https\r\n"))
        let otherPeer = text("b.example", "192.0.2.9")
        #expect(otherPeer.contains("X-Forwarded-For: 192.0.2.9\r\n") && otherPeer.contains("Forwarded: for=192.0.2.9;host=b.example;proto=https\r\n"))
        #expect(text("b.example", "192.0.2.9", [("X-Forwarded-For", "10.0.0.1"), ("Forwarded", "for=10.0.0.1")]) == otherPeer)
        let chunked = text("b.example", "192.0.2.9", [("Transfer-Encoding", "chunked")])
        #expect(chunked.contains("Forwarded: for=192.0.2.9;host=b.example;proto=https\r\nTransfer-Encoding: chunked\r\n"))
    }

    /// Stripped names are found among those of their length, in any case; others of the same
    /// length pass.
    @Test func strippedNamesAreComparedWithThoseOfTheirLength() {
        let long = String(repeating: "x", count: 70)
        let rewriter = ResponseHeaderRewriter(stripResponseHeaders: ["Server", "X-Powered-By", "X-Request-Id", "X-AspNet-Version", long], serverHeader: nil)
        func strips(_ name: String) -> Bool {
            var name = name
            return name.withUTF8 { rewriter.strips(UnsafeRawBufferPointer($0)) }
        }
        #expect(strips("server") && strips("SERVER") && strips("x-powered-by") && strips("X-REQUEST-ID") && strips("x-aspnet-version"))
        #expect(!strips("Content-Type") && !strips("Date") && !strips("Servers") && !strips("x-powered-bz") && !strips(""))
        #expect(strips(String(repeating: "X", count: 70)) && !strips(String(repeating: "x", count: 71)) && !strips(String(repeating: "x", count: 63)))
    }

    @Test func untrustedPeerForwardedForIsReplaced() {
        let rewriter = RequestHeaderRewriter(scheme: "https")
        let result = rewriter.rewrite(
            self.head([("Host", "a.example"), ("X-Forwarded-For", "1.2.3.4"), ("Forwarded", "for=1.2.3.4"), ("X-Forwarded-Proto", "http")]),
            peerAddress: "198.51.100.9"
        )
        #expect(result.head.headers["X-Forwarded-For"] == ["198.51.100.9"])
        #expect(result.head.headers["X-Forwarded-Proto"] == ["https"])
        #expect(result.head.headers["Forwarded"] == ["for=198.51.100.9;host=a.example;proto=https"])
        #expect(result.clientAddress == "198.51.100.9")
    }

    @Test func trustedPeerChainIsExtendedAndClientIsRightmostUntrusted() {
        let rewriter = RequestHeaderRewriter(scheme: "https", isTrustedProxy: { $0.hasPrefix("10.") })
        let result = rewriter.rewrite(
            self.head([("Host", "a"), ("X-Forwarded-For", "192.0.2.1, 203.0.113.5, 10.0.0.2")]),
            peerAddress: "10.0.0.3"
        )
        #expect(result.head.headers["X-Forwarded-For"] == ["192.0.2.1, 203.0.113.5, 10.0.0.2, 10.0.0.3"])
        #expect(result.clientAddress == "203.0.113.5")
    }

    /// A request the proxy answers itself is not rewritten; its client address must still be
    /// the one a forwarded request would have had.
    @Test func clientAddressAloneAgreesWithTheRewrite() {
        let rewriter = RequestHeaderRewriter(scheme: "https", isTrustedProxy: { $0.hasPrefix("10.") })
        let heads = [
            self.head([("Host", "a"), ("X-Forwarded-For", "192.0.2.1, 203.0.113.5, 10.0.0.2")]),
            self.head([("Host", "a"), ("X-Forwarded-For", "192.0.2.1"), ("x-forwarded-for", "10.0.0.7")]),
            self.head([("Host", "a"), ("X-Forwarded-For", "10.0.0.1, 10.0.0.2")]),
            self.head([("Host", "a")]),
        ]
        for head in heads {
            for peer in ["10.0.0.3", "198.51.100.9", nil] {
                let expected = rewriter.rewrite(head, peerAddress: peer).clientAddress
                #expect(rewriter.clientAddress(of: head, peerAddress: peer) == expected)
            }
        }
        #expect(rewriter.clientAddress(of: heads[1], peerAddress: "10.0.0.3") == "192.0.2.1")
        #expect(rewriter.clientAddress(of: heads[0], peerAddress: "198.51.100.9") == "198.51.100.9")
    }

    @Test func ipv6ForwardedNodeIsQuoted() {
        let result = RequestHeaderRewriter(scheme: "https").rewrite(self.head([("Host", "a")]), peerAddress: "2001:db8::1")
        #expect(result.head.headers["Forwarded"] == ["for=\"[2001:db8::1]\";host=a;proto=https"])
    }

    @Test func hopByHopHeadersAreRemovedInBothDirections() {
        let request = RequestHeaderRewriter(scheme: "https").rewrite(
            self.head([
                ("Host", "a"), ("Connection", "Keep-Alive, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "300"), ("TE", "trailers"),
                ("Trailer", "X"), ("Upgrade", "websocket"), ("Proxy-Connection", "x"), ("Proxy-Authorization", "y"), ("X-Keep", "1"),
            ]),
            peerAddress: "192.0.2.1"
        ).head
        let names = Set(request.headers.map { $0.name.lowercased() })
        for removed in ["connection", "x-hop", "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy-authorization"] {
            #expect(!names.contains(removed), "\(removed) was forwarded")
        }
        #expect(names.contains("x-keep"))

        let response = ResponseHeaderRewriter(stripResponseHeaders: ListenerSettings.defaultStrippedResponseHeaders, serverHeader: nil)
            .rewrite(
                HTTPResponseHead(
                    version: .http1_1,
                    status: .ok,
                    headers: HTTPHeaders([
                        ("Server", "nginx"), ("X-Powered-By", "Express"), ("X-AspNetMvc-Version", "5"), ("Connection", "x-internal"),
                        ("X-Internal", "1"), ("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain"),
                    ])
                ),
                clientVersion: .http1_1
            )
        #expect(response.headers.map(\.name) == ["Content-Type"])  // and no Server header of ours: it is off
    }

    /// The rewriters copy fields in one pass and remove what `Connection` named afterwards, so a
    /// field named by a `Connection` header that comes after it goes too; the framing and `Host`
    /// never do, and neither do the headers the proxy adds.
    @Test func fieldsNamedByALaterConnectionHeaderAreRemovedToo() {
        let request = RequestHeaderRewriter(scheme: "https").rewrite(
            self.head([
                ("Host", "a"), ("X-Early", "1"), ("content-length", "0"), ("X-Keep", "1"),
                ("Connection", "x-early, Host, Content-Length, X-Forwarded-For, Forwarded"), ("X-EARLY", "2"),
            ]),
            peerAddress: "192.0.2.1"
        ).head
        #expect(
            request.headers.map { $0.name.lowercased() }
                == ["host", "content-length", "x-keep", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"]
        )

        let response = ResponseHeaderRewriter(stripResponseHeaders: [], serverHeader: "p").rewrite(
            HTTPResponseHead(
                version: .http1_1,
                status: .ok,
                headers: HTTPHeaders([("X-Internal", "1"), ("Content-Length", "2"), ("Connection", "X-INTERNAL, server"), ("x-internal", "2")])
            ),
            clientVersion: .http1_1
        )
        #expect(response.headers.map(\.name) == ["Content-Length", "Server"])
        #expect(response.headers["server"] == ["p"])
    }

    /// A target's repeated length goes to the client once; a list of the same length becomes
    /// the number; a single length keeps its bytes.
    @Test(arguments: [
        ([("Content-Length", "2"), ("X-A", "1"), ("content-length", "2")], ["Content-Length: 2", "X-A: 1", "Server: p"]),
        ([("Content-Length", "2, 2"), ("X-A", "1")], ["Content-Length: 2", "X-A: 1", "Server: p"]),
        ([("Content-Length", "02"), ("Content-Length", "2,2")], ["Content-Length: 02", "Server: p"]),
        ([("Content-Length", "2"), ("Content-Length", "3")], ["Content-Length: 2", "Content-Length: 3", "Server: p"]),  // not from our parser
    ])
    func aRepeatedResponseContentLengthIsWrittenOnce(fields: [(String, String)], written: [String]) {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders(fields))
        let rewritten = ResponseHeaderRewriter(stripResponseHeaders: [], serverHeader: "p").rewrite(head, clientVersion: .http1_1)
        #expect(rewritten.headers.map { "\($0.name): \($0.value)" } == written)
    }

    /// A static file's own fields: the same result as the full rewrite of them (stripped and
    /// rule-named fields dropped, then `Server` and the fixed fields), without the second pass.
    @Test func ownFieldsMatchTheFullRewrite() {
        let rewriter = ResponseHeaderRewriter(
            stripResponseHeaders: ["etag", "x-powered-by"],
            serverHeader: "portcullis",
            fixedFields: [("Strict-Transport-Security", "max-age=31536000")]
        )
        let own = [("Content-Type", "text/html"), ("Content-Length", "1024"), ("ETag", "\"1-2-3\""), ("Cache-Control", "no-cache")]
        let full = rewriter.rewrite(HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders(own)), clientVersion: .http1_1)
        let fields = rewriter.ownFields(own)
        #expect(fields.map { "\($0.name): \($0.value)" } == full.headers.map { "\($0.name): \($0.value)" })
        #expect(fields.map(\.name) == ["Content-Type", "Content-Length", "Cache-Control", "Server", "Strict-Transport-Security"])
    }

    @Test func chunkedRequestIsReframedAsChunked() {
        let result = RequestHeaderRewriter(scheme: "http").rewrite(
            HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Transfer-Encoding", "chunked")])),
            peerAddress: "192.0.2.1"
        )
        #expect(result.head.headers["Transfer-Encoding"] == ["chunked"])
    }

    /// The byte tables against RFC 9110's definitions, for every ASCII byte.
    @Test func tokenAndFieldValueBytesFollowRFC9110() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in UInt8(0)..<0x80 {
            let text = String(UnicodeScalar(byte))
            #expect(RequestValidator.isToken(text) == tchars.contains(byte), "byte \(byte)")
            #expect(RequestValidator.isToken("a\(text)b") == tchars.contains(byte), "byte \(byte)")
            let fieldVChar = byte == 0x09 || (byte >= 0x20 && byte <= 0x7E)
            #expect(RequestValidator.isFieldValue("x\(text)y") == fieldVChar, "byte \(byte)")
            // A request target: visible ASCII.
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a\(text)b", headers: ["Host": "h"])
            let accepted = (try? RequestValidator.validate(head, maxBodyBytes: nil)) != nil
            #expect(accepted == (byte > 0x20 && byte != 0x7F), "byte \(byte) in the target")
        }
        // Bytes above ASCII must be percent-encoded in a target (RFC 3986), as llhttp and our
        // parser require.
        #expect((try? RequestValidator.validate(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/caf\u{E9}", headers: ["Host": "h"]), maxBodyBytes: nil)) == nil)
        #expect((try? RequestValidator.validate(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/caf%C3%A9", headers: ["Host": "h"]), maxBodyBytes: nil)) != nil)
        #expect(!RequestValidator.isToken(""))
        #expect(RequestValidator.isFieldValue(""))
        #expect(RequestValidator.isFieldValue("caf\u{E9} \u{1F600}"))  // obs-text: bytes >= 0x80
        #expect(!RequestValidator.isToken("caf\u{E9}"))
        #expect(!RequestValidator.isFieldValue(String(repeating: "long value ", count: 10) + "\r\n"))
    }

    @Test func validatorAcceptsOrdinaryRequests() throws {
        let plain = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("Host", "a")]))
        #expect(try RequestValidator.validate(plain, maxBodyBytes: nil) == .none)
        let sized = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Content-Length", "12")]))
        #expect(try RequestValidator.validate(sized, maxBodyBytes: 100) == .contentLength(12))
        let old = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/", headers: HTTPHeaders())
        #expect(try RequestValidator.validate(old, maxBodyBytes: 100) == .none)
    }

    /// A head from elsewhere may state its length once, as our parser requires.
    @Test(arguments: [[("Content-Length", "7, 7")], [("Content-Length", "7"), ("content-length", "7")], [("Content-Length", "7,7")]])
    func validatorRefusesARepeatedContentLength(fields: [(String, String)]) {
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([("Host", "a")] + fields))
        #expect(throws: RequestRejection(.badRequest, "repeated Content-Length")) { try RequestValidator.validate(head, maxBodyBytes: 100) }
        let conflicting = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Content-Length", "7, 8")]))
        #expect(throws: RequestRejection(.badRequest, "conflicting Content-Length values")) { try RequestValidator.validate(conflicting, maxBodyBytes: 100) }
    }

    /// The outbound pipelines do not re-validate headers (decision 0007): the validator must
    /// refuse what the parser might let through, on a head built without any parser.
    @Test(arguments: [
        ("X-Bad", "a\r\nInjected: 1"), ("X-Bad", "a\nb"), ("X-Bad", "a\u{0}b"), ("X-Bad", "a\u{7F}b"),
        ("X Bad", "a"), ("X-Bad:", "a"), ("", "a"), ("X-B\u{E9}d", "a"),
    ])
    func validatorRefusesInvalidNamesAndValues(name: String, value: String) {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("Host", "a"), (name, value)]))
        #expect(throws: RequestRejection.self) { try RequestValidator.validate(head, maxBodyBytes: nil) }
    }

    @Test func validatorFindsFramingHeadersInAnyCase() {
        let twoHosts = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("HOST", "a"), ("host", "b")]))
        #expect(throws: RequestRejection.self) { try RequestValidator.validate(twoHosts, maxBodyBytes: nil) }
        let both = HTTPRequestHead(
            version: .http1_1, method: .POST, uri: "/",
            headers: HTTPHeaders([("Host", "a"), ("CONTENT-LENGTH", "3"), ("transfer-ENCODING", "chunked")])
        )
        #expect(throws: RequestRejection.self) { try RequestValidator.validate(both, maxBodyBytes: nil) }
    }

    /// Every Expect must be 100-continue, whichever comes last (a later valid one does not hide
    /// an earlier unsupported one).
    @Test func validatorRefusesAnyUnsupportedExpectation() throws {
        func head(_ expects: [String]) -> HTTPRequestHead {
            HTTPRequestHead(
                version: .http1_1, method: .PUT, uri: "/",
                headers: HTTPHeaders([("Host", "a"), ("Content-Length", "1")] + expects.map { ("Expect", $0) })
            )
        }
        #expect(try RequestValidator.validate(head(["100-Continue"]), maxBodyBytes: nil) == .contentLength(1))
        for expects in [["magic"], ["magic", "100-continue"], ["100-continue", "magic"]] {
            #expect {
                try RequestValidator.validate(head(expects), maxBodyBytes: nil)
            } throws: { error in
                (error as? RequestRejection)?.status == .expectationFailed
            }
        }
    }

    @Test func headerNamesCompareIgnoringASCIICaseOnly() {
        #expect(HeaderName.equals("Content-Length", "content-length"))
        #expect(HeaderName.equals("CONTENT-LENGTH", "content-length"))
        #expect(!HeaderName.equals("Content-Lengt", "content-length"))
        #expect(!HeaderName.equals("Content-Lengthx", "content-length"))
        #expect(!HeaderName.equals("Content_Length", "content-length"))
        // Only letters fold: '[' (0x5B) is not '{' (0x7B), '@' is not '`'.
        #expect(!HeaderName.equals("[", "{"))
        #expect(!HeaderName.equals("@", "`"))
        #expect(HeaderName.hasPrefix("Proxy-Authorization", "proxy-"))
        #expect(!HeaderName.hasPrefix("Proxy", "proxy-"))
    }

    @Test func connectionTokensAreCollectedExceptFramingAndRouting() {
        var named: [String] = []
        for value in ["Keep-Alive", " X-One ,x-two, Content-Length, HOST,,", "close"] {  // three Connection headers
            HopByHop.collectNames(inConnectionValue: value, into: &named)
        }
        #expect(named == ["x-one", "x-two", "close"])
        var fields = [("X-ONE", "1"), ("Content-Length", "0"), ("X-Three", "3")]
        HopByHop.removeNamed(["x-one"], from: &fields)
        #expect(fields.map(\.0) == ["Content-Length", "X-Three"])
        #expect(HopByHop.isAlwaysRemoved("Proxy-Anything"))
        #expect(HopByHop.isAlwaysRemoved("Transfer-Encoding"))
        #expect(!HopByHop.isAlwaysRemoved("Content-Length"))
        for name in ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization"] {
            #expect(HopByHop.isAlwaysRemoved(name.uppercased()), "\(name)")
        }
        for name in ["t", "tf", "trailers", "upgrades", "connections", "keep-alivE2", "transfer-encodings", "proxy", "Host"] {
            #expect(!HopByHop.isAlwaysRemoved(name), "\(name)")
        }
    }

    @Test func forwardedHostWithPortIsQuotedAndEscaped() {
        let rewriter = RequestHeaderRewriter(scheme: "http")
        let plain = rewriter.rewrite(self.head([("Host", "a.example:8080")]), peerAddress: "192.0.2.1")
        #expect(plain.head.headers["Forwarded"] == ["for=192.0.2.1;host=\"a.example:8080\";proto=http"])
        #expect(RequestHeaderRewriter.quotedIfNeeded("a\"b\\c") == "\"a\\\"b\\\\c\"")
    }

    @Test func forwardedElementIsReusedOnlyForTheSamePeerAndHost() {
        let rewriter = RequestHeaderRewriter(scheme: "https")
        var cache = RequestHeaderRewriter.ForwardedCache()
        let first = rewriter.rewrite(self.head([("Host", "a.example")]), peerAddress: "192.0.2.1", cache: &cache)
        let again = rewriter.rewrite(self.head([("Host", "a.example")]), peerAddress: "192.0.2.1", cache: &cache)
        let otherHost = rewriter.rewrite(self.head([("Host", "b.example")]), peerAddress: "192.0.2.1", cache: &cache)
        let otherPeer = rewriter.rewrite(self.head([("Host", "b.example")]), peerAddress: "192.0.2.2", cache: &cache)
        let noHost = rewriter.rewrite(
            HTTPRequestHead(version: .http1_0, method: .GET, uri: "/", headers: HTTPHeaders()), peerAddress: "192.0.2.2", cache: &cache
        )
        #expect(first.head.headers["Forwarded"] == ["for=192.0.2.1;host=a.example;proto=https"])
        #expect(again.head.headers["Forwarded"] == ["for=192.0.2.1;host=a.example;proto=https"])
        #expect(otherHost.head.headers["Forwarded"] == ["for=192.0.2.1;host=b.example;proto=https"])
        #expect(otherPeer.head.headers["Forwarded"] == ["for=192.0.2.2;host=b.example;proto=https"])
        #expect(noHost.head.headers["Forwarded"] == ["for=192.0.2.2;proto=https"])
    }

    /// With the parser's hints and lines, the lines that go on are the client's bytes, spacing
    /// and spelling kept; what is dropped or added is as without them; the head is encoded once,
    /// request line (always HTTP/1.1) to the empty line.
    @Test func rawFieldLinesGoOnAsReceived() throws {
        var parser = HTTP1Parser(isRequest: true, maxHeadBytes: 64 * 1024, maxFields: 100, keepsRawFields: true)
        var buffer = ByteBuffer(
            string: "POST /f?q=1 HTTP/1.0\r\nhost:a.example\r\nX-Forwarded-For:  10.9.9.9\r\nuser-AGENT:   curl/8  \r\n"
                + "Connection: close\r\nclose: 1\r\nContent-Length: 2\r\nX-Empty:\r\n\r\nab"
        )
        guard case .head? = try parser.next(&buffer) else { Issue.record("no head"); return }
        let parsed = parser.takeHead()
        guard let hints = parsed.fieldHints else { Issue.record("no hints"); return }
        let head = HTTPRequestHead(version: parsed.version, method: parsed.method, uri: parsed.uri, headers: HTTPHeaders(parsed.fields))
        var cache = RequestHeaderRewriter.ForwardedCache()
        let result = RequestHeaderRewriter(scheme: "https").rewrite(
            head,
            peerAddress: "192.0.2.1",
            cache: &cache,
            hints: hints,
            rawFields: parsed.rawFields
        )
        #expect(
            result.head.text
                == "POST /f?q=1 HTTP/1.1\r\nhost:a.example\r\nuser-AGENT:   curl/8  \r\nContent-Length: 2\r\nX-Empty:\r\n"
                + "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: a.example\r\n"
                + "Forwarded: for=192.0.2.1;host=a.example;proto=https\r\n\r\n"
        )
        #expect(result.head.method == .POST && !result.head.chunked)
    }
}
