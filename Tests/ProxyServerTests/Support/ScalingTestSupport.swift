import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyServer

/// A ``ScalingHookRunner`` that only records what it was asked to start.
final class RecordingHookRunner: ScalingHookRunner {
    private let box = NIOLockedValueBox<[ScalingFiring]>([])

    var firings: [ScalingFiring] { self.box.withLockedValue { $0 } }

    func start(_ firing: ScalingFiring) {
        self.box.withLockedValue { $0.append(firing) }
    }
}

/// A `Logger` whose lines are kept for inspection.
final class RecordingLog: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let box = NIOLockedValueBox<[Line]>([])

    var lines: [Line] { self.box.withLockedValue { $0 } }

    var logger: Logger {
        var logger = Logger(label: "portcullis.test.scaling") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: Line) {
        self.box.withLockedValue { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let log: RecordingLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            self.log.append(
                Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            )
        }
    }
}

/// An HTTP/1.1 server on 127.0.0.1 that records each request and answers with a fixed status,
/// or never answers.
final class WebhookReceiver: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    let channel: any Channel
    private let received: NIOLockedValueBox<[Request]>

    var port: Int { self.channel.localAddress!.port! }
    var requests: [Request] { self.received.withLockedValue { $0 } }

    /// - Parameter status: The status to answer with, or `nil` to never answer.
    init(status: Int?) async throws {
        let received = NIOLockedValueBox<[Request]>([])
        self.received = received
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(received: received, status: status))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async {
        try? await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let received: NIOLockedValueBox<[Request]>
        let status: Int?
        var request: Request?

        init(received: NIOLockedValueBox<[Request]>, status: Int?) {
            self.received = received
            self.status = status
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let head):
                self.request = Request(
                    method: head.method.rawValue,
                    uri: head.uri,
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: []
                )
            case .body(var buffer):
                self.request?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let request = self.request else { return }
                self.received.withLockedValue { $0.append(request) }
                guard let status = self.status else { return }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                headers.add(name: "Connection", value: "close")
                let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
                context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
                let channel = context.channel
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
        }
    }
}
