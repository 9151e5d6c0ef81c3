import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// A response head written with the target's field lines as received (``RawResponseFields``)
/// is the head the rewriter would have rebuilt: byte for byte when the target wrote its lines
/// as we do (`Name: value`), field for field otherwise.
struct RawResponseFieldsTests {
    static let responses: [(fields: String, status: Int, method: HTTPMethod)] = [
        ("Content-Type: text/plain\r\nContent-Length: 2\r\nDate: today\r\n", 200, .GET),
        ("Server: nginx/1.22\r\nX-Powered-By: php\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-App: 1\r\n", 200, .GET),
        ("Transfer-Encoding: chunked\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nProxyish: kept\r\nProxy: kept\r\n", 200, .GET),
        ("SERVER: twice\r\nserver: again\r\nServers: kept\r\nx-aspnet-version: 4\r\nX-AspNetMvc-Version: 5\r\nContent-Length: 0\r\n", 404, .GET),
        ("Content-Length: 10\r\nETag: \"x\"\r\n", 304, .GET),
        ("Content-Length: 10\r\n", 204, .GET),
        ("Content-Length: 42\r\nContent-Type: text/html\r\n", 200, .HEAD),
        ("Connection: close\r\nClose: named\r\nContent-Length: 1\r\n", 200, .GET),
        ("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: Accept\r\n", 200, .GET),
        ("", 200, .GET),
        ((0..<70).map { "X-F\($0): \($0)\r\n" }.joined() + "Server: late\r\nContent-Length: 0\r\n", 200, .GET),
    ]

    private static let rewriter = ResponseHeaderRewriter(
        stripResponseHeaders: ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"],
        serverHeader: "portcullis"
    )

    private func parsed(_ fields: String, status: Int) throws -> HTTP1Head {
        var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 64 * 1024, maxFields: 1000, keepsRawFields: true)
        var buffer = ByteBuffer(string: "HTTP/1.1 \(status) X\r\n\(fields)\r\n")
        guard case .head? = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no head") }
        return parser.takeHead()
    }

    /// The head the rebuilding path writes, and the one the raw path writes.
    private func written(_ fields: String, status: Int, method: HTTPMethod) throws -> (rebuilt: String, raw: String)? {
        let head = try self.parsed(fields, status: status)
        guard let hints = head.fieldHints, let block = head.rawFields else { return nil }
        let received = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: HTTPHeaders(head.fields))

        var rebuiltEncoder = HTTP1ResponseSerializer()
        rebuiltEncoder.requestReceived(method: method)
        var rebuilt = ByteBuffer()
        let rewritten = Self.rewriter.rewrite(received, clientVersion: .http1_1, hints: hints)
        rebuiltEncoder.encode(ClientResponseHead(status: rewritten.status, version: rewritten.version, fields: rewritten.headers), into: &rebuilt)

        var rawEncoder = HTTP1ResponseSerializer()
        rawEncoder.requestReceived(method: method)
        var raw = ByteBuffer()
        let fields = RawResponseFields(block: block, hints: hints, hasContentLength: head.contentLength != nil, rewriter: Self.rewriter)
        // Our `Server` line comes with the copied lines; the head adds nothing here.
        rawEncoder.encode(ClientResponseHead(status: received.status, version: .http1_1, fields: HTTPHeaders(), targetFields: fields), into: &raw)
        return (String(buffer: rebuilt), String(buffer: raw))
    }

    @Test(arguments: Self.responses.indices)
    func theSameHeadByteForByte(index: Int) throws {
        let response = Self.responses[index]
        let written = try #require(try self.written(response.fields, status: response.status, method: response.method))
        #expect(written.raw == written.rebuilt)
        #expect(!written.raw.lowercased().contains("server: nginx") && !written.raw.contains("late"))
    }

    @Test func linesWrittenOtherwiseKeepTheirBytesAndMeanTheSame() throws {
        let fields = "content-type:text/plain\r\nX-Pad:   padded  \r\nserver:hidden\r\nContent-Length:\t3\r\n"
        let written = try #require(try self.written(fields, status: 200, method: .GET))
        #expect(written.raw.contains("content-type:text/plain\r\nX-Pad:   padded  \r\nContent-Length:\t3\r\n"))
        // After the status line ("\r\n" is one `Character`).
        let rebuilt = try self.parsed(String(written.rebuilt.split(separator: "\r\n", maxSplits: 1)[1]), status: 200)
        let raw = try self.parsed(String(written.raw.split(separator: "\r\n", maxSplits: 1)[1]), status: 200)
        #expect(raw.fields.count == 4)
        #expect(raw.fields.map { "\($0.0.lowercased())=\($0.1)" } == rebuilt.fields.map { "\($0.0.lowercased())=\($0.1)" })
        #expect(raw.contentLength == 3)
    }

    @Test func aConnectionNamingFieldsTakesTheRebuildingPath() throws {
        #expect(try self.written("Connection: x-hop\r\nX-Hop: 1\r\n", status: 200, method: .GET) == nil)
    }

    /// The `Server` line follows the rewriter's server header, also when it is changed; an
    /// empty one adds none (as on the rebuilding path).
    @Test func theServerLineFollowsTheServerHeader() {
        var rewriter = ResponseHeaderRewriter(stripResponseHeaders: [], serverHeader: "a")
        #expect(rewriter.serverLine.map { String(buffer: $0) } == "Server: a\r\n")
        rewriter.serverHeader = "edge/2"
        #expect(rewriter.serverLine.map { String(buffer: $0) } == "Server: edge/2\r\n")
        rewriter.serverHeader = ""
        #expect(rewriter.serverLine == nil)
        #expect(ResponseHeaderRewriter(stripResponseHeaders: [], serverHeader: nil).serverLine == nil)
    }
}
