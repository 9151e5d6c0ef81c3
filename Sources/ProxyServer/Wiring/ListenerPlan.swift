import NIOCore
import ProxyConfig
import ProxyCore
import ProxyTLS

/// Everything needed to open one listener: where to bind, its TLS context (if any), and the
/// settings its connections run with. Built from a validated configuration.
struct ListenerPlan: Sendable {
    var name: String
    var host: String
    var port: Int
    var tls: TLSServerContext?
    var ticketKeyRotation: TimeAmount
    var settings: ListenerSettings
    var headerBytes: Int

    /// - Throws: ``TLSConfigurationError`` (naming the file) when a certificate cannot be loaded.
    static func make(from configuration: ProxyConfiguration) throws -> [ListenerPlan] {
        var groups: [String: TargetGroup] = [:]
        for group in configuration.targetGroups {
            let targets = group.targets.map { Target(host: $0.host, port: $0.port, weight: $0.weight) }
            let upstream = ProxyCore.UpstreamSettings(
                connectTimeout: TimeAmount(group.upstream.connectTimeout),
                responseTimeout: TimeAmount(group.upstream.responseTimeout),
                maxIdlePerTarget: group.upstream.maxIdlePerTarget,
                idleTimeout: TimeAmount(group.upstream.idleTimeout)
            )
            groups[group.name] = TargetGroup(name: group.name, targets: targets, upstream: upstream)
        }
        return try configuration.listeners.map { listener in
            let routes = listener.routes.compactMap { route -> Route? in
                guard let group = groups[route.targetGroup] else { return nil }  // validated earlier
                return Route(name: route.name, host: route.host, pathPrefix: route.pathPrefix, targetGroup: group)
            }
            var tlsContext: TLSServerContext?
            var rotation = TimeAmount.hours(1)
            if listener.protocol == .https, let tls = listener.tls {
                var tlsConfiguration = TLSServerConfiguration(
                    certificates: tls.certificates.map {
                        TLSCertificateSource(certificatePath: $0.certificatePath, privateKeyPath: $0.privateKeyPath)
                    }
                )
                tlsConfiguration.minimumVersion = TLSProtocolVersion(rawValue: tls.minimumVersion) ?? .tls12
                tlsConfiguration.sessionTickets = tls.sessionTickets
                tlsConfiguration.ticketKeyRotationInterval = tls.ticketKeyRotation
                tlsConfiguration.handshakeTimeout = tls.handshakeTimeout
                tlsContext = try TLSServerContext(configuration: tlsConfiguration)
                rotation = TimeAmount(tls.ticketKeyRotation)
            }
            let trusted = listener.trustedProxies
            let settings = ListenerSettings(
                name: listener.name,
                scheme: listener.protocol == .https ? "https" : "http",
                isTrustedProxy: { address in trusted.contains { $0.contains(address) } },
                serverHeader: listener.serverHeader,
                stripResponseHeaders: listener.stripResponseHeaders,
                limits: RequestLimits(
                    headerBytes: listener.limits.headerBytes,
                    bodyBytes: listener.limits.bodyBytes,
                    headerTimeout: TimeAmount(listener.limits.headerTimeout),
                    idleTimeout: TimeAmount(listener.limits.idleTimeout)
                ),
                router: Router(routes: routes),
                accessLog: configuration.global.accessLog
            )
            return ListenerPlan(
                name: listener.name,
                host: listener.bind.host,
                port: listener.bind.port,
                tls: tlsContext,
                ticketKeyRotation: rotation,
                settings: settings,
                headerBytes: listener.limits.headerBytes
            )
        }
    }
}
