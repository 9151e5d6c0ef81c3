import NIOHTTP1
import Testing

@testable import ProxyCore

struct HeaderRewriterTests {
    private func head(_ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders(headers))
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

    @Test func chunkedRequestIsReframedAsChunked() {
        let result = RequestHeaderRewriter(scheme: "http").rewrite(
            HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Transfer-Encoding", "chunked")])),
            peerAddress: "192.0.2.1"
        )
        #expect(result.head.headers["Transfer-Encoding"] == ["chunked"])
    }

    @Test func validatorAcceptsOrdinaryRequests() throws {
        let plain = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("Host", "a")]))
        #expect(try RequestValidator.validate(plain, maxBodyBytes: nil) == .none)
        let sized = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Content-Length", "12")]))
        #expect(try RequestValidator.validate(sized, maxBodyBytes: 100) == .contentLength(12))
        let repeated = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Content-Length", "7, 7")]))
        #expect(try RequestValidator.validate(repeated, maxBodyBytes: 100) == .contentLength(7))
        let old = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/", headers: HTTPHeaders())
        #expect(try RequestValidator.validate(old, maxBodyBytes: 100) == .none)
    }
}
