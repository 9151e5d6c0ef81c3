import NIOCore
import ProxyCore
import ProxyTLS

/// Copies what the TLS handshake negotiated into the connection's ``ClientConnectionInfo``, so
/// `ProxyCore` can log it without knowing about `ProxyTLS`.
final class TLSDetailsRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let info: ClientConnectionInfo

    init(info: ClientConnectionInfo) {
        self.info = info
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let summary = event as? TLSHandshakeSummary {
            self.info.tlsVersion = summary.version
            self.info.serverName = summary.serverName
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension TLSDetailsRecorder: Sendable {}
