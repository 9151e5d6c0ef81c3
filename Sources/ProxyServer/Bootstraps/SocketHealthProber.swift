import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyCore

/// Probes targets over real sockets: a TCP connect, or `GET path` over HTTP/1.1.
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
                    if case .http(let path) = settings.kind {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            HealthProbeHandler(host: target.host, port: port, path: path, settings: settings, promise: promise)
                        )
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

/// Sends one `GET` and reports the status of the answer.
private final class HealthProbeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let settings: HealthCheckSettings
    private let promise: EventLoopPromise<ProbeResult>

    init(host: String, port: Int, path: String, settings: HealthCheckSettings, promise: EventLoopPromise<ProbeResult>) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.add(name: "User-Agent", value: "portcullis-health-check")
        head.headers.add(name: "Connection", value: "close")
        self.head = head
        self.settings = settings
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(self.head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let response) = self.unwrapInboundIn(data) else { return }
        let status = Int(response.status.code)
        self.promise.succeed(self.settings.accepts(status: status) ? .passed(status: status) : .failed(reason: .status(status)))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.succeed(.failed(reason: .reset))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.succeed(.failed(reason: .error("\(error)")))
        context.close(promise: nil)
    }
}
