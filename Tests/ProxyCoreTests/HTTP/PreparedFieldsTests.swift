import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Fields encoded once (``PreparedFields``: a stored response's, a static file's) and written
/// through the rewriter as a target's lines are give the lines the rewriter builds from the
/// fields each time (``ResponseHeaderRewriter/ownFields(_:)``), and the parser's hints.
struct PreparedFieldsTests {
    static let rewriters = [
        ResponseHeaderRewriter(stripResponseHeaders: [], serverHeader: nil),
        ResponseHeaderRewriter(stripResponseHeaders: ["etag", "x-powered-by"], serverHeader: "portcullis"),
        ResponseHeaderRewriter(
            stripResponseHeaders: ["Server", "cache-control"],
            serverHeader: "edge",
            fixedFields: [("Strict-Transport-Security", "max-age=31536000")]
        ),
    ]

    static let fieldSets: [[(String, String)]] = [
        [],
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "1024"), ("Accept-Ranges", "bytes"), ("ETag", "\"1-400-5\""),
         ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"), ("Cache-Control", "public, max-age=3600"), ("Vary", "Accept-Encoding")],
        [("Server", "upstream"), ("X-Powered-By", "php"), ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
         ("Content-Length", "0")],
        (0..<70).map { ("X-F\($0)", "\($0)") } + [("Cache-Control", "no-cache")],
    ]

    @Test func writtenThroughTheRewriterAsTheRewriterBuildsThem() {
        for rewriter in Self.rewriters {
            for fields in Self.fieldSets {
                let prepared = PreparedFields(fields)
                var written = ByteBuffer()
                prepared.raw(rewriter: rewriter).write(into: &written)
                var expected = ByteBuffer()
                for (name, value) in rewriter.ownFields(fields) {
                    HTTP1Serializer.writeField(name, value, into: &expected)
                }
                #expect(String(buffer: written) == String(buffer: expected))
                #expect(prepared.hasContentLength == fields.contains { $0.0 == "Content-Length" })
                #expect(prepared.size == prepared.block.storageCapacity)
            }
        }
    }

    /// A cache hit's own lines go after the prepared ones, in a buffer of the hit's: the shared
    /// block is untouched, and the rewriter strips among them what it strips anywhere.
    @Test func linesAppendedForOneResponseFollowTheBlock() {
        let prepared = PreparedFields([("Content-Type", "text/plain"), ("Content-Length", "2")])
        let rewriter = ResponseHeaderRewriter(stripResponseHeaders: ["age"], serverHeader: "p")
        let raw = prepared.raw(rewriter: rewriter) { lines in
            lines.writeString("Age: 5\r\n")
            var status = CacheStatus(hit: true)
            status.ttl = 42
            lines.writeString("Cache-Status: ")
            status.write(into: &lines)
            lines.writeString("\r\n")
        }
        var written = ByteBuffer()
        raw.write(into: &written)
        #expect(String(buffer: written) == "Content-Type: text/plain\r\nContent-Length: 2\r\nCache-Status: portcullis; hit; ttl=42\r\nServer: p\r\n")
        #expect(String(buffer: prepared.block) == "Content-Type: text/plain\r\nContent-Length: 2\r\n")
        #expect(raw.hasContentLength)
    }

    /// The hints mark what the parser would mark for the same lines.
    @Test func hintsAreTheParsers() throws {
        for fields in Self.fieldSets where !fields.isEmpty {
            let prepared = PreparedFields(fields)
            var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 64 * 1024, maxFields: 1000, keepsRawFields: true)
            var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n")
            buffer.writeImmutableBuffer(prepared.block)
            buffer.writeString("\r\n")
            guard case .head? = try parser.next(&buffer) else {
                Issue.record("the prepared lines parse")
                return
            }
            let head = parser.takeHead()
            #expect(head.specialFields == prepared.hints)
            #expect(head.rawFields.map { String(buffer: $0) } == String(buffer: prepared.block))
        }
    }
}
