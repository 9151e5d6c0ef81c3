import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
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
///
/// A listener that takes HTTP/2 (ALPN `h2`, or `h2c: true`) starts with a ``ProtocolSwitch``
/// instead, which puts either that HTTP/1 handler or the HTTP/2 handlers in its place:
///
/// ```
/// socket ─ TLSServerHandler ─ HTTP2FlushBatcher ─ NIOHTTP2Handler ─ HTTP2ServerConnection
///                                  └ each stream: HTTP2ServerStream ─▶ ForwardingSession ─▶ …
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
        info.sourcePort = channel.remoteAddress?.port ?? 0
        if let local = channel.localAddress, let address = local.ipAddress, let port = local.port {
            info.destination = (address, port)
        }
        if plan.proxyProtocolPeers != nil {
            try pipeline.addHandler(Self.proxyProtocolHandler(info: info, plan: plan, loop: loop, logger: logger, metrics: metrics))
        }
        if let tls = plan.tls {
            try pipeline.addHandler(
                TLSServerHandler(context: tls, logger: logger, observer: Self.recorder(info: info, metrics: metrics, listener: plan.name))
            )
        }
        switch plan.http2Entry {
        case .none:
            try Self.addHTTP1(to: channel, plan: plan, loop: loop, info: info, logger: logger)
        case .alpn, .priorKnowledge:
            let loopBound = NIOLoopBound((plan, loop, info, logger), eventLoop: channel.eventLoop)
            try pipeline.addHandler(
                ProtocolSwitch(mode: plan.http2Entry == .alpn ? .alpn : .priorKnowledge, timeout: plan.settings.limits.headerTimeout) {
                    choice,
                    channel in
                    let (plan, loop, info, logger) = loopBound.value
                    switch choice {
                    case .http1: try Self.addHTTP1(to: channel, plan: plan, loop: loop, info: info, logger: logger)
                    case .http2: try Self.addHTTP2(to: channel, plan: plan, loop: loop, info: info, logger: logger)
                    }
                }
            )
        }
    }

    /// Reads the PROXY protocol header first (before TLS): its client address becomes the
    /// connection's. A broken or missing header closes the connection, logged and counted.
    private static func proxyProtocolHandler(
        info: ClientConnectionInfo,
        plan: ListenerPlan,
        loop: ProxyLoop,
        logger: Logger,
        metrics: ServerMetrics
    ) -> ProxyProtocolHandler {
        let listener = plan.name
        return ProxyProtocolHandler(
            timeout: plan.settings.limits.headerTimeout,
            timers: loop.timers,
            onHeader: { header in
                guard let source = header.source else { return }  // LOCAL or UNKNOWN: the peer stays the client
                info.proxiedAddress = source.address
                info.sourcePort = source.port
                if let destination = header.destination {
                    info.destination = (destination.address, destination.port)
                }
            },
            onRejection: { rejection in
                logger.notice("PROXY protocol header refused; closing", metadata: ["listener": "\(listener)", "reason": "\(rejection)"])
                metrics.connectionRefused(listener: listener, reason: "proxy_protocol")
            }
        )
    }

    private static func addHTTP1(to channel: any Channel, plan: ListenerPlan, loop: ProxyLoop, info: ClientConnectionInfo, logger: Logger) throws {
        let settings = plan.settings
        try channel.pipeline.syncOperations.addHandler(
            HTTP1ServerConnection(
                limits: settings.limits,
                serverHeader: settings.serverHeader,
                timers: loop.timers,
                session: ForwardingSession(settings: settings, loop: loop, connectionInfo: info, logger: logger),
                takesFileRegions: plan.tls == nil
            )
        )
    }

    private static func addHTTP2(to channel: any Channel, plan: ListenerPlan, loop: ProxyLoop, info: ClientConnectionInfo, logger: Logger) throws {
        // No stream multiplexer: swift-nio-http2 passes the frames on, and the connection
        // handler drives its streams itself (decision 0034).
        let http2 = NIOHTTP2Handler(mode: .server, connectionConfiguration: plan.http2.connection, streamConfiguration: plan.http2.stream)
        let windows = HTTP2ServerConnection.Windows(
            connection: plan.http2.connection.targetWindowSize,
            stream: plan.http2.stream.targetWindowSize
        )
        try channel.pipeline.syncOperations.addHandler(HTTP2FlushBatcher())
        try channel.pipeline.syncOperations.addHandler(http2)
        try channel.pipeline.syncOperations.addHandler(
            HTTP2ServerConnection(settings: plan.settings, loop: loop, connectionInfo: info, windows: windows, logger: logger)
        )
    }
}
