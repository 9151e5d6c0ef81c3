#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOTLS
import ProxyTLS

/// Certificates shared by every test, generated once per test run into a temporary directory.
struct TLSFixture: Sendable {
    let directory: String
    let dev: DevCertificatePaths
    let a: TLSCertificateSource
    let wildcard: TLSCertificateSource
    let rsa2048: TLSCertificateSource
    let rsa1024: TLSCertificateSource

    static let shared: TLSFixture = {
        do {
            return try TLSFixture()
        } catch {
            fatalError("cannot build test certificates: \(error)")
        }
    }()

    private init() throws {
        self.directory = makeTemporaryDirectory()
        self.dev = try DevCertificateAuthority.ensure(directory: self.directory, hosts: ["app.test", "10.1.2.3"])
        self.a = try DevCertificateAuthority.issueLeaf(caDirectory: self.directory, stem: "a", hosts: ["a.example.com"])
        self.wildcard = try DevCertificateAuthority.issueLeaf(caDirectory: self.directory, stem: "wild", hosts: ["*.wild.example.com"])
        self.rsa2048 = try DevCertificateAuthority.issueLeaf(
            caDirectory: self.directory, stem: "rsa2048", hosts: ["rsa.example.com"], keyType: .rsa(bits: 2048))
        self.rsa1024 = try DevCertificateAuthority.issueLeaf(
            caDirectory: self.directory, stem: "rsa1024", hosts: ["weak.example.com"], keyType: .rsa(bits: 1024))
    }

    /// default (localhost), a.example.com, *.wild.example.com
    func serverContext(_ adjust: (inout TLSServerConfiguration) -> Void = { _ in }) throws -> TLSServerContext {
        var configuration = TLSServerConfiguration(certificates: [self.dev.certificateSource, self.a, self.wildcard])
        adjust(&configuration)
        return try TLSServerContext(configuration: configuration)
    }

    func clientContext(_ adjust: (inout TLSClientConfiguration) -> Void = { _ in }) throws -> TLSClientContext {
        var configuration = TLSClientConfiguration(trustRootsPEMPath: self.dev.caCertificate, serverName: "localhost")
        adjust(&configuration)
        return try TLSClientContext(configuration: configuration)
    }
}

/// One directory per test process holds every temporary directory of its tests (the shared
/// certificates and their private keys among them); it is removed when the process exits.
private let temporaryRoot: String = {
    var template = Array("/tmp/proxytls-tests-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    atexit { removeTemporaryRoot() }
    return String(cString: made)
}()

private func removeTemporaryRoot() {
    try? FileManager.default.removeItem(atPath: temporaryRoot)
}

func makeTemporaryDirectory() -> String {
    var template = Array((temporaryRoot + "/XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    return String(cString: made)
}

let testLogger: Logger = {
    var logger = Logger(label: "proxytls.tests", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// Records what reaches the end of a pipeline: user events, plaintext, errors; and, as a
/// server's ``observer``, the handshakes that completed or failed.
final class Recorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var events: [Any] = []
    var received = ByteBuffer()
    var errors: [any Error] = []
    var readCompletes = 0
    /// Heard by ``observer``.
    var summaries: [TLSHandshakeSummary] = []
    var handshakeFailures: [String] = []

    /// Records into ``summaries`` and ``handshakeFailures``, then tells `next`.
    func observer(then next: TLSHandshakeObserver? = nil) -> TLSHandshakeObserver {
        TLSHandshakeObserver(
            completed: { summary in
                self.summaries.append(summary)
                next?.completed(summary)
            },
            failed: { reason in
                self.handshakeFailures.append(reason)
                next?.failed(reason)
            }
        )
    }

    var tlsEvents: [TLSUserEvent] { self.events.compactMap { $0 as? TLSUserEvent } }
    var receivedString: String { String(buffer: self.received) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        self.received.writeBuffer(&buffer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readCompletes += 1
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        self.events.append(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.errors.append(error)
    }
}

/// One TLS connection between two in-memory channels.
final class TLSPair {
    let server: EmbeddedChannel
    let client: EmbeddedChannel
    let serverHandler: TLSServerHandler
    let clientHandler: TLSClientHandler
    let serverRecorder = Recorder()
    let clientRecorder = Recorder()
    /// Errors thrown while moving bytes (e.g. writing into a closed channel).
    var shuttleErrors: [any Error] = []
    /// Deliver ciphertext in pieces of at most this many bytes (partial records), or whole.
    var deliveryChunk: Int?

    init(
        server serverContext: TLSServerContext,
        client clientContext: TLSClientContext,
        resuming session: TLSSession? = nil,
        serverObserver: TLSHandshakeObserver? = nil
    ) throws {
        self.serverHandler = TLSServerHandler(context: serverContext, logger: testLogger, observer: self.serverRecorder.observer(then: serverObserver))
        self.clientHandler = TLSClientHandler(context: clientContext, resuming: session, logger: testLogger)
        self.server = EmbeddedChannel()
        self.client = EmbeddedChannel()
        try self.server.pipeline.syncOperations.addHandlers([self.serverHandler, self.serverRecorder])
        try self.client.pipeline.syncOperations.addHandlers([self.clientHandler, self.clientRecorder])
    }

    /// Makes both channels active (the client sends its ClientHello) and runs the handshake.
    func connect() throws {
        try self.server.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        try self.client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        self.shuttle()
    }

    /// Moves bytes both ways until neither side has anything left to send.
    func shuttle() {
        var moved = true
        while moved {
            moved = false
            self.server.embeddedEventLoop.run()
            self.client.embeddedEventLoop.run()
            if let bytes = self.readOutbound(self.client) {
                self.deliver(bytes, to: self.server)
                moved = true
            }
            if let bytes = self.readOutbound(self.server) {
                self.deliver(bytes, to: self.client)
                moved = true
            }
        }
    }

    private func readOutbound(_ channel: EmbeddedChannel) -> ByteBuffer? {
        do {
            return try channel.readOutbound(as: ByteBuffer.self)
        } catch {
            self.shuttleErrors.append(error)
            return nil
        }
    }

    private func deliver(_ bytes: ByteBuffer, to channel: EmbeddedChannel) {
        do {
            if let chunk = self.deliveryChunk {
                var rest = bytes
                while let piece = rest.readSlice(length: min(chunk, rest.readableBytes)), piece.readableBytes > 0 {
                    try channel.writeInbound(piece)
                }
            } else {
                try channel.writeInbound(bytes)
            }
        } catch {
            self.shuttleErrors.append(error)
        }
    }

    func send(_ text: String, from channel: EmbeddedChannel) {
        channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
        self.shuttle()
    }

    func finish() {
        _ = try? self.server.finish(acceptAlreadyClosed: true)
        _ = try? self.client.finish(acceptAlreadyClosed: true)
    }
}

/// Runs one connection to completion and returns the session the client saved.
func handshakeAndSaveSession(server: TLSServerContext, client: TLSClientContext) throws -> (TLSPair, TLSSession?) {
    let pair = try TLSPair(server: server, client: client)
    try pair.connect()
    pair.send("ping", from: pair.server)  // TLS 1.3 tickets ride along with the server's first records
    return (pair, pair.clientHandler.lastSession)
}

func fileMode(_ path: String) -> UInt32 {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return UInt32(info.st_mode) & 0o777
}

func fileBytes(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        bytes += chunk[0..<count]
        if count < chunk.count { return bytes }
    }
}
