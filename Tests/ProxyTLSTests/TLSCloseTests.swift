import NIOCore
import NIOEmbedded
import NIOTLS
import ProxyTLS
import Testing

struct TLSCloseTests {
    let fixture = TLSFixture.shared

    @Test func clientCloseNotifyClosesTheServer() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        pair.client.close(promise: nil)
        pair.shuttle()

        #expect(!pair.client.isActive)
        #expect(!pair.server.isActive)
        #expect(pair.serverRecorder.tlsEvents.contains(.shutdownCompleted))
    }

    @Test func serverCloseNotifyClosesTheClient() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()

        pair.server.writeAndFlush(ByteBuffer(string: "bye"), promise: nil)
        let closed = pair.server.close()
        pair.shuttle()

        try closed.wait()
        #expect(!pair.server.isActive)
        #expect(!pair.client.isActive)
        #expect(pair.clientRecorder.receivedString == "bye")  // data before close_notify is delivered first
        #expect(pair.clientRecorder.tlsEvents.contains(.shutdownCompleted))
    }

    @Test func closingDuringTheHandshakeClosesAtOnce() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.server.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        let pending = pair.server.eventLoop.makePromise(of: Void.self)
        pair.server.writeAndFlush(ByteBuffer(string: "never sent"), promise: pending)

        try pair.server.close().wait()
        #expect(!pair.server.isActive)
        #expect(throws: (any Error).self) { try pending.futureResult.wait() }
    }

    @Test func handshakeTimeoutClosesTheChannel() throws {
        let server = try self.fixture.serverContext { $0.handshakeTimeout = .seconds(5) }
        let channel = EmbeddedChannel(handler: TLSServerHandler(context: server, logger: testLogger))
        try channel.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()

        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    @Test func completedHandshakeCancelsTheTimer() throws {
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: try self.fixture.clientContext())
        defer { pair.finish() }
        try pair.connect()
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(pair.server.isActive)
    }
}
