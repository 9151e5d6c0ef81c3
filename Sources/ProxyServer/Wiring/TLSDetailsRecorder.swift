import NIOCore
import ProxyCore
import ProxyTLS

/// Copies what the TLS handshake negotiated into the connection's ``ClientConnectionInfo``, so
/// `ProxyCore` can log it without knowing about `ProxyTLS`, and counts handshakes (by version,
/// full or resumed) and handshake failures in the metrics.
final class TLSDetailsRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let info: ClientConnectionInfo
    private let metrics: ServerMetrics?
    private let listener: String

    init(info: ClientConnectionInfo, metrics: ServerMetrics? = nil, listener: String = "") {
        self.info = info
        self.metrics = metrics
        self.listener = listener
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let summary = event as? TLSHandshakeSummary {
            self.info.tlsVersion = summary.version
            self.info.serverName = summary.serverName
            self.metrics?.handshake(listener: self.listener, version: summary.version, resumed: summary.resumed)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } else if event is TLSHandshakeFailedEvent {
            self.metrics?.handshakeFailed(listener: self.listener)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension TLSDetailsRecorder: Sendable {}
