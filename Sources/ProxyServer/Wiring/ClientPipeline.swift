import Logging
import NIOCore
import NIOHTTP1
import ProxyCore
import ProxyTLS

/// The recipe for a client connection's pipeline, from the socket up:
///
/// ```
/// socket ─ TLSServerHandler ─ ConnectionTimeoutHandler ─ HTTP codec
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
        let timeouts = ConnectionTimeoutHandler(
            headerTimeout: settings.limits.headerTimeout,
            idleTimeout: settings.limits.idleTimeout,
            serverHeader: settings.serverHeader,
            timers: loop.timers
        )
        try pipeline.addHandler(timeouts)
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = plan.headerBytes
        limits.maxHeaderFieldSize = plan.headerBytes
        limits.maxHeaderFieldCount = 256
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            // Every header written here was validated on the way in (RequestValidator for
            // requests, the strict parser for responses) or in the configuration; see
            // docs/decisions/0007-no-outbound-header-revalidation.md.
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: limits
        )
        try pipeline.addHandler(
            RequestGuardHandler(maxBodyBytes: settings.limits.bodyBytes, serverHeader: settings.serverHeader, phaseObserver: timeouts)
        )
        try pipeline.addHandler(
            ProxyHandler(settings: settings, loop: loop, connectionInfo: info, logger: logger)
        )
    }
}
