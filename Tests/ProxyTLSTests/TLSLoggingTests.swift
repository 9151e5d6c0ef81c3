import Logging
import NIOCore
import NIOEmbedded
import ProxyTLS
import Synchronization
import Testing

/// Keeps every log record, for assertions.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let storage = Mutex<[Record]>([])

    var records: [Record] { self.storage.withLock { $0 } }

    func append(_ record: Record) { self.storage.withLock { $0.append(record) } }

    func logger() -> Logger {
        var logger = Logger(label: "capture") { _ in CapturingHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        self.sink.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}

struct TLSLoggingTests {
    @Test func plainHTTPIsOneDebugLineWithPeerAndReason() throws {
        let logs = CapturedLogs()
        let channel = EmbeddedChannel(handler: TLSServerHandler(context: try TLSFixture.shared.serverContext(), logger: logs.logger()))
        try channel.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        channel.embeddedEventLoop.run()
        _ = try? channel.finish(acceptAlreadyClosed: true)

        let failures = logs.records.filter { $0.message == "TLS handshake failed" }
        #expect(failures.count == 1)
        let record = try #require(failures.first)
        #expect(record.level == .debug)
        #expect(record.metadata["peer"]?.contains("198.51.100.7") == true)
        #expect(record.metadata["reason"]?.contains("http request") == true)
        #expect(logs.records.allSatisfy { $0.level <= .debug })
    }
}
