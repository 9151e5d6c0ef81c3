import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The rewriters given the parser's ``FieldHints`` write exactly the heads they write without
/// them; only the work differs.
struct FieldHintsTests {
    static let fieldSets: [String] = [
        "Host: a\r\nUser-Agent: x\r\nAccept: */*\r\n",
        "host: a\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: h2c\r\nProxy-Authorization: b\r\nPROXY-CONNECTION: c\r\nproxyish: kept\r\nProxy: kept\r\n",
        "Host: a\r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-host: evil\r\nX-Forwarded-Proto: http\r\nForwarded: for=1.2.3.4\r\nExpect: 100-continue\r\nContent-Length: 0\r\n",
        "Host: a\r\nConnection: close\r\nClose: named by the token\r\nX-Keep: 1\r\n",
        "Host: a\r\nConnection: x-hop, keep-alive\r\nX-Hop: removed\r\nX-Keep: 1\r\n",
        "Host: a\r\nServer: backend/1.0\r\nX-Powered-By: php\r\nx-aspnet-version: 4\r\nSERVER: twice\r\nServers: kept\r\nDate: today\r\n",
        "Host: a\r\n" + (0..<70).map { "X-F\($0): \($0)\r\nConnection: keep-alive\r\n" }.joined(),
    ]

    private func requestHead(_ fields: String, method: String = "GET") throws -> (HTTPRequestHead, FieldHints?, ByteBuffer?) {
        var parser = HTTP1Parser(isRequest: true, maxHeadBytes: 64 * 1024, maxFields: 1000, keepsRawFields: true)
        var buffer = ByteBuffer(string: "\(method) / HTTP/1.1\r\n\(fields)\r\n")
        guard case .head? = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no head") }
        let parsed = parser.takeHead()
        let head = HTTPRequestHead(version: parsed.version, method: parsed.method, uri: parsed.uri, headers: HTTPHeaders(parsed.fields))
        return (head, parsed.fieldHints, parsed.rawFields)
    }

    private func responseHead(_ fields: String) throws -> (HTTPResponseHead, FieldHints?) {
        var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 64 * 1024, maxFields: 1000)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\(fields)\r\n")
        guard case .head? = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no head") }
        let parsed = parser.takeHead()
        return (HTTPResponseHead(version: parsed.version, status: .ok, headers: HTTPHeaders(parsed.fields)), parsed.fieldHints)
    }

    @Test(arguments: Self.fieldSets.indices)
    func rewritersWriteTheSameWithAndWithoutHints(index: Int) throws {
        let fields = Self.fieldSets[index]
        let rewriter = RequestHeaderRewriter(scheme: "https")
        var cache = RequestHeaderRewriter.ForwardedCache()
        for method in ["GET", "POST", "TRACE"] {
            let (request, requestHints, raw) = try self.requestHead(fields, method: method)
            // The same bytes: rebuilt line by line, with hints, and copied from the lines as
            // received (these lines are spelled as the rewriter writes them).
            let plain = rewriter.rewrite(request, peerAddress: "192.0.2.1", cache: &cache).head
            let hinted = rewriter.rewrite(request, peerAddress: "192.0.2.1", cache: &cache, hints: requestHints).head
            #expect(hinted == plain)
            if let requestHints {
                let copied = rewriter.rewrite(request, peerAddress: "192.0.2.1", cache: &cache, hints: requestHints, rawFields: raw).head
                #expect(copied == plain, "\(copied.text) != \(plain.text)")
            }
        }

        let (response, responseHints) = try self.responseHead(fields)
        let responseRewriter = ResponseHeaderRewriter(
            stripResponseHeaders: ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"],
            serverHeader: "portcullis"
        )
        let plainResponse = responseRewriter.rewrite(response, clientVersion: .http1_1).headers.map { "\($0.name): \($0.value)" }
        let hintedResponse = responseRewriter.rewrite(response, clientVersion: .http1_1, hints: responseHints).headers.map { "\($0.name): \($0.value)" }
        #expect(hintedResponse == plainResponse)
    }

    @Test func hintsMarkEverySpecialNameAndAreWithheldWhenConnectionNamesFields() throws {
        let (_, hints, _) = try self.requestHead(Self.fieldSets[1])
        let marked = try #require(hints)
        // host, connection, keep-alive, te, trailer, upgrade, proxy-authorization, proxy-connection,
        // proxyish (same shape as a proxy-* name), proxy (too short to be one).
        #expect((0..<10).map { marked.isSpecial($0) } == [true, true, true, true, true, true, true, true, true, false])
        #expect(try self.requestHead(Self.fieldSets[4]).1 == nil)
        #expect(try #require(try self.requestHead(Self.fieldSets[0]).1).special == 0b1)  // only Host
        #expect(try #require(try self.requestHead(Self.fieldSets[6]).1).isSpecial(100))  // past 64: always
    }
}
