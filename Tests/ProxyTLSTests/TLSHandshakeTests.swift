import NIOCore
import NIOEmbedded
import NIOTLS
import ProxyTLS
import Testing

struct TLSHandshakeTests {
    let fixture = TLSFixture.shared

    @Test func handshakeThenDataBothWays() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        let summary = try #require(pair.serverRecorder.summaries.first)
        #expect(summary.version == "TLSv1.3")
        #expect(summary.serverName == "localhost")
        #expect(summary.resumed == false)
        #expect(!summary.cipher.isEmpty)
        #expect(pair.serverRecorder.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: nil))
        #expect(pair.clientHandler.handshakeSummary?.version == "TLSv1.3")
        #expect(pair.serverHandler.handshakeSummary == summary)

        pair.send("GET / HTTP/1.1\r\n\r\n", from: pair.client)
        #expect(pair.serverRecorder.receivedString == "GET / HTTP/1.1\r\n\r\n")
        #expect(pair.serverRecorder.readCompletes >= 1)

        pair.send("HTTP/1.1 200 OK\r\n\r\n", from: pair.server)
        #expect(pair.clientRecorder.receivedString == "HTTP/1.1 200 OK\r\n\r\n")
        #expect(pair.server.isActive && pair.client.isActive)
    }

    @Test func tls12HandshakeUsesAnECDHEAEADSuite() throws {
        let client = try self.fixture.clientContext { $0.maximumVersion = .tls12 }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        defer { pair.finish() }
        try pair.connect()

        let summary = try #require(pair.serverRecorder.summaries.first)
        #expect(summary.version == "TLSv1.2")
        #expect(summary.cipher.hasPrefix("ECDHE-ECDSA-"))
        pair.send("hello", from: pair.client)
        #expect(pair.serverRecorder.receivedString == "hello")
    }

    @Test func rsaCertificateServesTLS12AndTLS13() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [self.fixture.rsa2048]))
        for maximum in [TLSProtocolVersion.tls12, .tls13] {
            let client = try self.fixture.clientContext {
                $0.serverName = "rsa.example.com"
                $0.maximumVersion = maximum
            }
            let pair = try TLSPair(server: server, client: client)
            defer { pair.finish() }
            try pair.connect()
            #expect(pair.clientHandler.handshakeSummary != nil)
            if maximum == .tls12 { #expect(pair.clientHandler.handshakeSummary?.cipher.hasPrefix("ECDHE-RSA-") == true) }
        }
    }

    @Test func writesBeforeTheHandshakeAreSentAfterIt() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.server.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        try pair.client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()

        let first = pair.client.eventLoop.makePromise(of: Void.self)
        let second = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.write(ByteBuffer(string: "early "), promise: first)
        pair.client.writeAndFlush(ByteBuffer(string: "bird"), promise: second)
        pair.shuttle()

        #expect(pair.serverRecorder.receivedString == "early bird")
        try first.futureResult.wait()
        try second.futureResult.wait()
    }

    @Test func coalescesPendingWritesIntoOneCiphertextWrite() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        for part in ["a", "b", "c"] { pair.server.write(ByteBuffer(string: part), promise: nil) }
        pair.server.flush()
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) != nil)
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)  // one write per flush
    }

    @Test func largeFlushOfSeveralWritesIsOneCiphertextWriteInOrder() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        // Over one record's worth in total: each buffer is encrypted where it is (no coalescing
        // copy), still one socket write, in order, every promise kept.
        let parts = ["head\r\n", String(repeating: "a", count: 20_000), "middle", String(repeating: "b", count: 40_000)]
        let promises = parts.map { _ in pair.server.eventLoop.makePromise(of: Void.self) }
        for (part, promise) in zip(parts, promises) { pair.server.write(ByteBuffer(string: part), promise: promise) }
        pair.server.flush()
        let ciphertext = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
        #expect(ciphertext.readableBytes > parts.reduce(0) { $0 + $1.utf8.count })
        for promise in promises { #expect(throws: Never.self) { try promise.futureResult.wait() } }
        try pair.client.writeInbound(ciphertext)
        #expect(pair.clientRecorder.receivedString == parts.joined())
    }

    @Test func observerHearsOfTheCompletedHandshakeOnce() throws {
        final class Heard { var completed: [TLSHandshakeSummary] = []; var failed: [String] = [] }
        let heard = Heard()
        let observer = TLSHandshakeObserver(completed: { heard.completed.append($0) }, failed: { heard.failed.append($0) })
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext(), serverObserver: observer)
        defer { pair.finish() }
        try pair.connect()
        pair.send("hello", from: pair.client)
        #expect(heard.completed.count == 1)
        #expect(heard.completed.first?.version == "TLSv1.3")
        #expect(heard.completed.first?.resumed == false)
        #expect(heard.failed.isEmpty)
    }

    @Test func manySmallWritesInOneLargeFlushAreGatheredIntoFewRecords() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        // A chunked stream of short chunks: 3 small buffers per chunk, 40 KB in all.
        var expected = ""
        for index in 0..<700 {
            let chunk = String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: 50)
            for part in ["32\r\n", chunk, "\r\n"] {
                pair.server.write(ByteBuffer(string: part), promise: nil)
                expected += part
            }
        }
        pair.server.flush()
        let ciphertext = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
        #expect(Self.recordCount(ciphertext) <= 4)  // 40 KB in 16 KiB records, not 2,100 records
        try pair.client.writeInbound(ciphertext)
        #expect(pair.clientRecorder.receivedString == expected)
    }

    /// TLS records in `buffer` (5-byte headers with the length in bytes 3-4).
    static func recordCount(_ buffer: ByteBuffer) -> Int {
        var view = buffer
        var count = 0
        while let header = view.readBytes(length: 5) {
            let length = Int(header[3]) << 8 | Int(header[4])
            guard view.readBytes(length: length) != nil else { break }
            count += 1
        }
        return count
    }

    @Test func largeBodiesSurviveTheRoundTrip() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        let body = String(repeating: "0123456789abcdef", count: 10_000)  // 160 KB, many records
        pair.send(body, from: pair.client)
        #expect(pair.serverRecorder.receivedString == body)
    }

    @Test(arguments: [1, 7, 300])
    func ciphertextInSmallPiecesStillMakesWholeRecords(chunk: Int) throws {
        let fixture = TLSFixture.shared
        let pair = try TLSPair(server: try fixture.serverContext(), client: try fixture.clientContext())
        pair.deliveryChunk = chunk
        defer { pair.finish() }
        try pair.connect()
        #expect(pair.serverRecorder.summaries.count == 1)
        let large = String(repeating: "0123456789abcdef", count: 2048)  // 32 KiB: several records
        pair.send(large, from: pair.client)
        #expect(pair.serverRecorder.receivedString == large)
        pair.send("reply", from: pair.server)
        #expect(pair.clientRecorder.receivedString == "reply")
        #expect(pair.shuttleErrors.isEmpty)
    }
}
