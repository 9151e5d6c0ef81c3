import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Our response decoder against NIO's (llhttp) on the same bytes at every read size, each told
/// the same request methods.
struct HTTP1ResponseParserDifferentialTests {
    /// Responses to the requests whose methods are given, taken the same way by both.
    static let agreed: [(methods: [HTTPMethod], input: String)] = [
        ([.GET], "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: x\r\n\r\nabc"),
        ([.GET, .GET], "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        ([.HEAD, .GET], "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
        ([.GET], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;e=1\r\nabc\r\n0\r\n\r\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Digest: abc\r\nX-More: d\r\n\r\n"),
        ([.GET, .GET], "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
        ([.GET], "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        ([.GET], "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.1 299 Some Custom Reason\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"),
        ([.GET], "HTTP/1.1 200 OK\r\n\r\nuntil the close"),
        ([.GET], "HTTP/1.0 200 OK\r\n\r\nuntil the close"),
        ([.POST], "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        // Refused by both.
        ([.GET], "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nX-Bad : b\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"),
        ([.GET], "HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nX-Nul: a\u{0}b\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ([], "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ([.GET], "garbage\r\n\r\n"),
        // Cut short by the close.
        ([.GET], "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
        ([.GET], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
    ]

    private func run(ours: Bool, methods: [HTTPMethod], _ input: String, splitEvery step: Int) throws -> [String] {
        let channel = EmbeddedChannel()
        let recorder = PartRecorder<HTTPResponseHead> { head in
            "\(head.version) \(head.status.code) \(head.headers.map { "\($0.name)=\($0.value)" })"
        }
        let handler: any ChannelHandler
        if ours {
            handler = ParserHandler.responses(methods: methods)
        } else {
            let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)
            for method in methods {
                decoder.write(data: .head(HTTPRequestHead(version: .http1_1, method: method, uri: "/")))
            }
            handler = ByteToMessageHandler(decoder)
        }
        try channel.pipeline.syncOperations.addHandlers([handler, recorder])
        channel.writeInbound(Array(input.utf8), inReadsOf: step)
        _ = try? channel.finish()  // the close
        return recorder.events
    }

    @Test(arguments: Self.agreed.indices)
    func sameAsLLHTTP(index: Int) throws {
        let case_ = Self.agreed[index]
        for step in HTTP1ParserDifferentialTests.readSizes {
            let theirs = try self.run(ours: false, methods: case_.methods, case_.input, splitEvery: step)
            let ours = try self.run(ours: true, methods: case_.methods, case_.input, splitEvery: step)
            #expect(!theirs.isEmpty)
            #expect(ours == theirs, "input \(index) \(case_.input.debugDescription), reads of \(step)")
        }
    }

    @Test func aSwitchingProtocolsResponseIsRefusedWithNothingPassedOn() throws {
        // We never forward `Upgrade`, so a 101 is a broken target; llhttp would pass it on and
        // stop parsing.
        let input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
        #expect(try self.run(ours: true, methods: [.GET], input, splitEvery: 100) == ["error"])
        #expect(try self.run(ours: false, methods: [.GET], input, splitEvery: 100) != ["error"])
    }
}
