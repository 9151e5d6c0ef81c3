import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Our HTTP/1 writers (``HTTP1ResponseSerializer``, ``UpstreamConnection``'s request writer), byte
/// for byte, on an EmbeddedChannel.
struct HTTP1ResponseSerializerTests {
    private func channel() throws -> (EmbeddedChannel, ResponseSerializerHandler) {
        let encoder = ResponseSerializerHandler()
        let channel = EmbeddedChannel(handler: encoder)
        return (channel, encoder)
    }

    private func head(_ status: HTTPResponseStatus, _ headers: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPServerResponsePart {
        .head(HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(headers)))
    }

    private func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { Issue.record("file region"); continue }
            text += String(buffer: buffer)
        }
        return text
    }

    @Test func contentLengthWinsOverTransferEncodingAndTheBodyGoesAsItIs() throws {
        let (channel, _) = try self.channel()
        try channel.writeOutbound(self.head(.ok, [("Server", "p"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")]))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "hello"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try self.written(channel) == "HTTP/1.1 200 OK\r\nServer: p\r\nContent-Length: 5\r\n\r\nhello")
    }

    @Test func withoutContentLengthHTTP11IsChunkedWithTrailers() throws {
        let (channel, _) = try self.channel()
        try channel.writeOutbound(self.head(.ok, [("Content-Type", "text/plain"), ("transfer-encoding", "gzip, chunked")]))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "hello"))))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer())))  // no chunk for nothing
        try channel.writeOutbound(HTTPServerResponsePart.end(HTTPHeaders([("X-Checksum", "1")])))
        #expect(
            try self.written(channel)
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n"
        )
    }

    @Test func aLargeChunkIsWrittenWithoutCopyingIt() throws {
        let (channel, _) = try self.channel()
        try channel.writeOutbound(self.head(.ok, []))
        _ = try self.written(channel)
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 10_000)
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(body)))
        var parts: [ByteBuffer] = []
        while case .byteBuffer(let buffer)? = try channel.readOutbound(as: IOData.self) { parts.append(buffer) }
        #expect(parts.map { $0.readableBytes } == [6, 10_000, 2])
        #expect(String(buffer: parts[0]) == "2710\r\n" && String(buffer: parts[2]) == "\r\n")
        #expect(parts[1] == body)
    }

    @Test func http10WithoutContentLengthIsDelimitedByTheClose() throws {
        let (channel, _) = try self.channel()
        try channel.writeOutbound(self.head(.ok, [("A", "b")], version: .http1_0))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "raw"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try self.written(channel) == "HTTP/1.0 200 OK\r\nA: b\r\n\r\nraw")
    }

    @Test(arguments: [HTTPResponseStatus.noContent, .notModified, .continue])
    func statusesWithoutBodyLoseTheirFraming(status: HTTPResponseStatus) throws {
        let (channel, _) = try self.channel()
        try channel.writeOutbound(self.head(status, [("ETag", "\"x\""), ("Content-Length", "3"), ("Transfer-Encoding", "chunked")]))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try self.written(channel) == "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nETag: \"x\"\r\n\r\n")
    }

    @Test func aResponseToHEADKeepsItsFramingAndWritesNoBody() throws {
        let (channel, encoder) = try self.channel()
        encoder.requestReceived(method: .HEAD)
        encoder.requestReceived(method: .GET)
        try channel.writeOutbound(self.head(.continue, []))  // informational: not the answer yet
        try channel.writeOutbound(self.head(.ok, [("Content-Length", "1000")]))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "nope"))))  // dropped
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try self.written(channel) == "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        // The next response (to the GET) has its body again.
        try channel.writeOutbound(self.head(.ok, []))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try self.written(channel) == "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
    }

    /// Field lines are copied into the buffer's room, then into space reserved a kilobyte at a
    /// time: a head of many rounds, and a line longer than a round, come out whole and in order.
    @Test func headsLongerThanOneReservationAreWrittenWhole() throws {
        let (channel, _) = try self.channel()
        var fields = (0..<60).map { ("X-Field-\($0)", String(repeating: "v", count: $0 * 3)) }
        fields.insert(("X-Huge", String(repeating: "h", count: 5000)), at: 30)
        fields.append(("Content-Length", "0"))
        try channel.writeOutbound(self.head(.ok, fields))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        let expected = "HTTP/1.1 200 OK\r\n" + fields.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        #expect(try self.written(channel) == expected)
    }

    /// Omitted framing lines are removed from what was written, by name only: a value with a
    /// colon or naming a framing header stays, and so does the order of the rest.
    @Test func omittedFramingLinesLeaveTheOtherLinesAsTheyWere() throws {
        let (channel, _) = try self.channel()
        try channel.writeOutbound(
            self.head(
                .ok,
                [("X-Time", "12:30"), ("Transfer-Encoding", "chunked"), ("X-Note", "transfer-encoding: gzip"), ("Content-Length", "2"),
                 ("transfer-encoding", "chunked")]
            )
        )
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(
            try self.written(channel)
                == "HTTP/1.1 200 OK\r\nX-Time: 12:30\r\nX-Note: transfer-encoding: gzip\r\nContent-Length: 2\r\n\r\nok"
        )
    }

    /// The status line is written in one piece for HTTP/1.x: any status code and reason phrase
    /// (a target's own), and the versions as they are.
    @Test func statusLinesCarryTheCodeReasonAndVersion() throws {
        let (channel, _) = try self.channel()
        for (status, version) in [(HTTPResponseStatus.custom(code: 299, reasonPhrase: "Fine, Thanks"), HTTPVersion.http1_1),
                                  (.notFound, .http1_0), (.custom(code: 100, reasonPhrase: ""), .http1_1)] {
            try channel.writeOutbound(self.head(status, [("Content-Length", "0")], version: version))
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }
        #expect(
            try self.written(channel)
                == "HTTP/1.1 299 Fine, Thanks\r\nContent-Length: 0\r\n\r\nHTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 100 \r\n\r\n"
        )
    }

    /// A head written without a promise waits for the next part: a small body with a length goes
    /// out in the same buffer; a flush, a large body, a chunked body or the end write it alone.
    @Test func aHeadAndASmallBodyGoOutAsOneBuffer() throws {
        let (channel, _) = try self.channel()
        func buffers() throws -> [String] {
            var found: [String] = []
            while case .byteBuffer(let buffer)? = try channel.readOutbound(as: IOData.self) { found.append(String(buffer: buffer)) }
            return found
        }
        channel.write(self.head(.ok, [("Content-Length", "2")]), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        #expect(try buffers() == ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])

        channel.write(self.head(.ok, [("Content-Length", "2")]), promise: nil)
        channel.flush()  // the head alone, now
        #expect(try buffers() == ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"])
        channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        #expect(try buffers() == ["ok"])

        let large = String(repeating: "x", count: HTTP1Serializer.chunkCopyLimit + 1)
        channel.write(self.head(.ok, [("Content-Length", "\(large.utf8.count)")]), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: large))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        #expect(try buffers() == ["HTTP/1.1 200 OK\r\nContent-Length: \(large.utf8.count)\r\n\r\n", large])

        channel.write(self.head(.ok, []), promise: nil)  // chunked
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        #expect(try buffers() == ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", "2\r\nok\r\n", "0\r\n\r\n"])

        channel.write(self.head(.noContent, []), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        #expect(try buffers() == ["HTTP/1.1 204 No Content\r\n\r\n"])
    }

    @Test func aResponseToCONNECTHasNoFraming() throws {
        let (channel, encoder) = try self.channel()
        encoder.requestReceived(method: .CONNECT)
        try channel.writeOutbound(self.head(.ok, [("Content-Length", "0")]))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try self.written(channel) == "HTTP/1.1 200 OK\r\n\r\n")
    }

    @Test func promisesCompleteInOrder() throws {
        let (channel, _) = try self.channel()
        final class Order { var indices: [Int] = [] }
        let order = Order()
        for (index, part) in [self.head(.ok, []), .body(.byteBuffer(ByteBuffer(string: "x"))), .end(nil)].enumerated() {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.assumeIsolated().whenSuccess { order.indices.append(index) }
            channel.write(part, promise: promise)
        }
        channel.flush()
        #expect(order.indices == [0, 1, 2])
    }
}

struct UpstreamRequestWriterTests {
    /// As for responses: a head waits for the next part, and a small body with a length goes
    /// out in the same buffer; without a body, or chunked, the head goes alone.
    @Test func aRequestHeadAndASmallBodyGoOutAsOneBuffer() throws {
        let (channel, connection) = try Self.upstream()
        func buffers() throws -> [String] {
            var found: [String] = []
            while case .byteBuffer(let buffer)? = try channel.readOutbound(as: IOData.self) { found.append(String(buffer: buffer)) }
            return found
        }
        let post = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/f", headers: ["Host": "h", "Content-Length": "3"])
        connection.send(UpstreamRequestPart.head(UpstreamRequestHead(post)))
        connection.send(UpstreamRequestPart.body(.byteBuffer(ByteBuffer(string: "a=b"))))
        connection.send(UpstreamRequestPart.end(nil)); connection.flush()
        #expect(try buffers() == ["POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na=b"])

        let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Host": "h"])
        connection.send(UpstreamRequestPart.head(UpstreamRequestHead(get)))
        connection.send(UpstreamRequestPart.end(nil)); connection.flush()
        #expect(try buffers() == ["GET / HTTP/1.1\r\nHost: h\r\n\r\n"])

        let chunked = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/c", headers: ["Host": "h"])
        connection.send(UpstreamRequestPart.head(UpstreamRequestHead(chunked)))
        connection.send(UpstreamRequestPart.body(.byteBuffer(ByteBuffer(string: "xy"))))
        connection.send(UpstreamRequestPart.end(nil)); connection.flush()
        #expect(
            try buffers() == ["POST /c HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n", "2\r\nxy\r\n", "0\r\n\r\n"]
        )
    }

    @Test func requestLinesCarryTheMethodTargetAndVersion() throws {
        let custom = HTTPRequestHead(version: .http1_0, method: .RAW(value: "PURGE"), uri: "/a?b=c%20d", headers: ["Host": "h"])
        #expect(try self.encode(custom) == "PURGE /a?b=c%20d HTTP/1.0\r\nHost: h\r\n\r\n")
        let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "*")
        #expect(try self.encode(get) == "GET * HTTP/1.1\r\n\r\n")
    }

    /// An upstream connection on an embedded channel: its request writer, alone.
    static func upstream() throws -> (EmbeddedChannel, UpstreamConnection) {
        let channel = EmbeddedChannel()
        let connection = UpstreamConnection(target: Target(host: "10.0.0.1", port: 8080), channel: channel)
        try channel.pipeline.syncOperations.addHandler(connection)
        return (channel, connection)
    }

    private func encode(_ head: HTTPRequestHead, body: [String] = []) throws -> String {
        let (channel, connection) = try Self.upstream()
        connection.send(.head(UpstreamRequestHead(head)))
        for part in body {
            connection.send(.body(.byteBuffer(ByteBuffer(string: part))))
        }
        connection.send(.end(nil))
        connection.flush()
        var text = ""
        while case .byteBuffer(let buffer)? = try channel.readOutbound(as: IOData.self) { text += String(buffer: buffer) }
        return text
    }

    private func head(_ method: HTTPMethod, _ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/a?b=1", headers: HTTPHeaders(headers))
    }

    @Test func aGETWithoutBodyIsWrittenAsItIs() throws {
        #expect(try self.encode(self.head(.GET, [("Host", "x"), ("X-Forwarded-For", "1.2.3.4")])) == "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n")
    }

    @Test func aContentLengthBodyGoesAsItIs() throws {
        #expect(try self.encode(self.head(.POST, [("Content-Length", "4")]), body: ["ab", "cd"]) == "POST /a?b=1 HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd")
    }

    @Test func aChunkedBodyIsFramedChunkByChunk() throws {
        #expect(
            try self.encode(self.head(.PUT, [("Transfer-Encoding", "chunked")]), body: ["abc", "de"])
                == "PUT /a?b=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        #expect(
            try self.encode(self.head(.DELETE, [("Transfer-Encoding", "chunked")]), body: ["z"])
                == "DELETE /a?b=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"
        )
    }

    @Test func aPOSTWithoutFramingIsSentAsAnEmptyChunkedBody() throws {
        #expect(try self.encode(self.head(.POST, [("Host", "x")])) == "POST /a?b=1 HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n")
    }

    @Test func aTRACENeverHasABody() throws {
        #expect(try self.encode(self.head(.TRACE, [("Content-Length", "0"), ("Max-Forwards", "1")])) == "TRACE /a?b=1 HTTP/1.1\r\nMax-Forwards: 1\r\n\r\n")
    }
}
