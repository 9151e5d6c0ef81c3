import NIOCore
import NIOPosix
import ProxyCore

/// Probes targets over real sockets: a TCP connect, `GET path` over HTTP/1.1, or the gRPC
/// health check over h2c (``GRPCHealthProbe``).
struct SocketHealthProber: HealthProber {
    func probe(_ target: Target, settings: HealthCheckSettings, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        let promise = eventLoop.makePromise(of: ProbeResult.self)
        let port = settings.port ?? target.port
        let timeout = eventLoop.scheduleTask(in: settings.timeout) {
            promise.succeed(.failed(reason: .timeout))
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        let connect = ClientBootstrap(group: eventLoop)
            .connectTimeout(settings.timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    switch settings.kind {
                    case .http(let path):
                        try channel.pipeline.syncOperations.addHandler(
                            HealthProbeHandler(host: target.host, port: port, path: path, settings: settings, promise: promise)
                        )
                    case .grpc:
                        try GRPCHealthProbe.addHandlers(to: channel)
                    case .tcp:
                        break
                    }
                }
            }
            .connect(host: target.host, port: port)
        connect.whenComplete { result in
            switch result {
            case .success(let channel):
                if case .tcp = settings.kind {
                    promise.succeed(.passed(status: nil))
                    channel.close(promise: nil)
                } else if case .grpc(let service) = settings.kind {
                    let authority = target.host.contains(":") ? "[\(target.host)]:\(port)" : "\(target.host):\(port)"
                    GRPCHealthProbe.call(on: channel, authority: authority, service: service, promise: promise)
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                } else {
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                }
            case .failure(let error):
                promise.succeed(.failed(reason: Self.reason(for: error)))
            }
        }
        return promise.futureResult
    }

    static func reason(for error: any Error) -> ProbeFailure {
        if case ChannelError.connectTimeout = error {
            return .timeout
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case 111: return .refused  // ECONNREFUSED
            case 104: return .reset  // ECONNRESET
            default: return .error("\(io)")
            }
        }
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first {
            return Self.reason(for: first.error)
        }
        return .error("\(error)")
    }
}

/// Sends one `GET` and reports the status of the answer, read by ``HealthProbeResponseReader``
/// (the parser that reads proxied responses: an answer it refuses fails the probe).
private final class HealthProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: ByteBuffer
    private let settings: HealthCheckSettings
    private let promise: EventLoopPromise<ProbeResult>
    private var reader = HealthProbeResponseReader()
    private var done = false

    init(host: String, port: Int, path: String, settings: HealthCheckSettings, promise: EventLoopPromise<ProbeResult>) {
        // The path was validated with the configuration (it goes into the request line as it is).
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.request = ByteBuffer(
            string: "GET \(path) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: portcullis-health-check\r\nConnection: close\r\n\r\n"
        )
        self.settings = settings
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done, let outcome = self.reader.read(self.unwrapInboundIn(data)) else { return }
        self.complete(outcome)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            if let outcome = self.reader.finish() {
                self.complete(outcome)
            } else {
                self.complete(.failed(reason: .reset))  // closed before a complete response
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.complete(.failed(reason: .error("\(error)")))
        context.close(promise: nil)
    }

    private func complete(_ outcome: HealthProbeResponseReader.Outcome) {
        switch outcome {
        case .status(let status):
            self.complete(self.settings.accepts(status: status) ? .passed(status: status) : .failed(reason: .status(status)))
        case .malformed(let reason):
            self.complete(.failed(reason: .malformedResponse(reason)))
        }
    }

    private func complete(_ result: ProbeResult) {
        guard !self.done else { return }
        self.done = true
        self.promise.succeed(result)
    }
}
