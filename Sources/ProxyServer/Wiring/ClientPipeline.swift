import Logging
import NIOCore
import NIOHTTP1
import ProxyCore
import ProxyTLS

/// The recipe for a client connection's pipeline, from the socket up:
///
/// ```
/// socket ─ TLSServerHandler ─ TLSDetailsRecorder ─ ConnectionTimeoutHandler ─ HTTP codec
///        ─ RequestGuardHandler ─ ProxyHandler ─▶ UpstreamPool ─▶ target
/// ```
enum ClientPipeline {
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
            try pipeline.addHandler(TLSServerHandler(context: tls, logger: logger))
            try pipeline.addHandler(TLSDetailsRecorder(info: info, metrics: metrics, listener: plan.name))
        }
        let settings = plan.settings
        try pipeline.addHandler(
            ConnectionTimeoutHandler(
                headerTimeout: settings.limits.headerTimeout,
                idleTimeout: settings.limits.idleTimeout,
                serverHeader: settings.serverHeader
            )
        )
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
        try pipeline.addHandler(RequestGuardHandler(maxBodyBytes: settings.limits.bodyBytes, serverHeader: settings.serverHeader))
        try pipeline.addHandler(
            ProxyHandler(settings: settings, loop: loop, connectionInfo: info, logger: logger)
        )
    }
}
