import Logging
import NIOCore
import NIOHTTP1
import ProxyCore
import ProxyTLS

/// The recipe for a client connection's pipeline, from the socket up:
///
/// ```
/// socket ─ TLSServerHandler ─ HTTP1ServerConnection ─▶ ForwardingSession ─▶ UpstreamPool ─▶ target
/// ```
///
/// (a plain listener: the connection handler alone). The connection handler owns the parser,
/// the timeouts, the request guard and the serializer; the session routes and forwards.
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
        try pipeline.addHandler(
            HTTP1ServerConnection(
                limits: settings.limits,
                serverHeader: settings.serverHeader,
                timers: loop.timers,
                session: ForwardingSession(settings: settings, loop: loop, connectionInfo: info, logger: logger)
            )
        )
    }
}
