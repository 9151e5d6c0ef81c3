import Logging
import NIOCore
import NIOHTTP1
import ProxyCore
import ProxyTLS

/// The recipe for a client connection's pipeline, from the socket up:
///
/// ```
/// socket ─ TLSServerHandler ─ ConnectionTimeoutHandler ─ HTTP1ResponseEncoder ─ request decoder
///        ─ RequestGuardHandler ─ ProxyHandler ─▶ UpstreamPool ─▶ target
/// ```
enum ClientPipeline {
    /// Copies what the TLS handshake negotiated into the connection's ``ClientConnectionInfo``
    /// (so `ProxyCore` can log it without knowing about `ProxyTLS`) and counts handshakes (by
    /// version, full or resumed) and handshake failures.
    static func recorder(info: ClientConnectionInfo, metrics: ServerMetrics, listener: String) -> TLSHandshakeObserver {
        TLSHandshakeObserver(
            completed: { summary in
                info.tlsVersion = summary.version
                info.serverName = summary.serverName
                metrics.handshake(listener: listener, version: summary.version, resumed: summary.resumed)
            },
            failed: { _ in metrics.handshakeFailed(listener: listener) }
        )
    }

    static func configure(
        channel: any Channel,
        plan: ListenerPlan,
        loop: ProxyLoop,
        logger: Logger,
        metrics: ServerMetrics
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        let info = ClientConnectionInfo()
        if let tls = plan.tls {
            try pipeline.addHandler(
                TLSServerHandler(context: tls, logger: logger, observer: Self.recorder(info: info, metrics: metrics, listener: plan.name))
            )
        }
        let settings = plan.settings
        try pipeline.addHandlers(
            ClientHTTPHandlers.make(
                limits: settings.limits,
                serverHeader: settings.serverHeader,
                timers: loop.timers,
                proxy: ProxyHandler(settings: settings, loop: loop, connectionInfo: info, logger: logger)
            )
        )
    }
}
