import NIOCore
import NIOEmbedded
import NIOTLS
import ProxyTLS
import Testing

struct TLSFailureTests {
    let fixture = TLSFixture.shared

    private func makeServerChannel() throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            TLSServerHandler(context: try self.fixture.serverContext(), logger: testLogger, observer: recorder.observer()), recorder,
        ])
        try channel.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        return (channel, recorder)
    }

    private func drainOutbound(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test func garbageInsteadOfClientHelloGetsAnAlertAndAClose() throws {
        let (channel, recorder) = try self.makeServerChannel()
        // A handshake record whose ClientHello body is nonsense.
        let garbage: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef]
        try channel.writeInbound(ByteBuffer(bytes: garbage))
        channel.embeddedEventLoop.run()

        let outbound = try self.drainOutbound(channel)
        #expect(outbound.first == 0x15)  // alert record
        #expect(!channel.isActive)
        #expect(recorder.errors.isEmpty)  // a client's mistake is not an error for the pipeline
        #expect(recorder.summaries.isEmpty)
        #expect(recorder.handshakeFailures.count == 1)
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    @Test func observerHearsOfTheFailedHandshake() throws {
        final class Heard { var completed = 0; var failed: [String] = [] }
        let heard = Heard()
        let channel = EmbeddedChannel()
        let observer = TLSHandshakeObserver(completed: { _ in heard.completed += 1 }, failed: { heard.failed.append($0) })
        try channel.pipeline.syncOperations.addHandler(
            TLSServerHandler(context: try self.fixture.serverContext(), logger: testLogger, observer: observer)
        )
        try channel.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        try channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef]))
        channel.embeddedEventLoop.run()
        #expect(heard.completed == 0)
        #expect(heard.failed.count == 1)
        #expect(heard.failed.first?.isEmpty == false)
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    @Test func randomBytesCloseTheConnection() throws {
        let (channel, recorder) = try self.makeServerChannel()
        try channel.writeInbound(ByteBuffer(bytes: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(recorder.errors.isEmpty)
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    @Test func plainHTTPOnTheTLSPortIsClosed() throws {
        let (channel, recorder) = try self.makeServerChannel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(recorder.errors.isEmpty)
        #expect(recorder.received.readableBytes == 0)
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    @Test func truncatedClientHelloThenCloseIsHarmless() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        try pair.server.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        try pair.client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()

        let hello = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
        let part = hello.getSlice(at: hello.readerIndex, length: 20)!
        try pair.server.writeInbound(part)
        #expect(pair.server.isActive)  // still waiting for the rest
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)

        try pair.server.close().wait()
        #expect(!pair.server.isActive)
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(30))  // timers were cancelled
        pair.finish()
    }

    @Test func legacyTLS11ClientIsRefused() throws {
        let client = try self.fixture.clientContext {
            $0.maximumVersion = .tls11
            $0.trustRootsPEMPath = nil
        }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        defer { pair.finish() }
        try pair.connect()

        #expect(!pair.server.isActive)
        #expect(pair.serverRecorder.summaries.isEmpty)
        #expect(pair.clientHandler.handshakeSummary == nil)
        let failures = (pair.clientRecorder.errors + pair.shuttleErrors).compactMap { $0 as? OpenSSLError }
        #expect(failures.contains { $0.reasons.contains("alert") || $0.reasons.contains("version") })
    }

    @Test func untrustedServerFailsTheClientHandshake() throws {
        // Trusting a certificate that is not the CA: the chain does not verify.
        let client = try self.fixture.clientContext { $0.trustRootsPEMPath = self.fixture.a.certificatePath }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        defer { pair.finish() }
        try pair.connect()

        #expect(!pair.client.isActive)
        #expect(!pair.server.isActive)
        let failures = (pair.clientRecorder.errors + pair.shuttleErrors).compactMap { $0 as? OpenSSLError }
        #expect(failures.contains { $0.reasons.contains("certificate verify failed") })
    }

    @Test func wrongHostNameFailsVerification() throws {
        let client = try self.fixture.clientContext { $0.serverName = "not-in-the-certificate.test" }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        defer { pair.finish() }
        try pair.connect()
        #expect(pair.clientHandler.handshakeSummary == nil)
        #expect(!pair.client.isActive)
    }
}
