import NIOCore
import NIOHTTP1
import NIOHTTP2
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
    /// How a connection comes to speak HTTP/2, if it can.
    var http2Entry: HTTP2Entry
    /// swift-nio-http2's configuration of the listener's HTTP/2 connections.
    var http2: NIOHTTP2Handler.Configuration

    /// How a listener's connection chooses between HTTP/1.1 and HTTP/2.
    enum HTTP2Entry: Sendable, Equatable {
        /// HTTP/1.1 only.
        case none
        /// TLS with ALPN offering `h2`: the negotiated protocol decides.
        case alpn
        /// Plain, `h2c: true`: the client's first bytes decide (the HTTP/2 preface or a request).
        case priorKnowledge
    }

    /// - Throws: ``TLSConfigurationError`` (naming the file) when a certificate cannot be loaded.
    /// - Parameter previous: The plans being replaced (a reload); a listener of the same name
    ///   keeps its in-process session-ticket keys.
    static func make(from configuration: ProxyConfiguration, previous: [ListenerPlan] = []) throws -> [ListenerPlan] {
        let groups = Self.targetGroups(from: configuration)
        return try configuration.listeners.map { listener in
            let routes = listener.routes.compactMap { Self.route(from: $0, groups: groups) }
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
                tlsConfiguration.ticketKeyFiles = tls.ticketKeyFiles
                tlsConfiguration.applicationProtocols = tls.alpn
                tlsContext = try TLSServerContext(
                    configuration: tlsConfiguration,
                    replacing: previous.first { $0.name == listener.name }?.tls
                )
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
                    idleTimeout: TimeAmount(listener.limits.idleTimeout),
                    bodyTimeout: TimeAmount(listener.limits.bodyTimeout),
                    sendTimeout: TimeAmount(listener.limits.sendTimeout),
                    tunnelIdleTimeout: TimeAmount(listener.limits.tunnelIdleTimeout)
                ),
                router: Router(routes: routes)
            )
            let entry: HTTP2Entry
            if let tls = listener.tls, listener.protocol == .https {
                entry = tls.alpn.contains("h2") ? .alpn : .none
            } else {
                entry = listener.h2c ? .priorKnowledge : .none
            }
            return ListenerPlan(
                name: listener.name,
                host: listener.bind.host,
                port: listener.bind.port,
                tls: tlsContext,
                ticketKeyRotation: rotation,
                settings: settings,
                http2Entry: entry,
                http2: Self.http2(listener.http2)
            )
        }
    }

    /// swift-nio-http2's settings and defences from a listener's `http2` block (docs/http2.md).
    static func http2(_ config: ListenerHTTP2) -> NIOHTTP2Handler.Configuration {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: config.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxFrameSize, value: config.maxFrameSize),
            // The decoder's bound on a header block (compressed and decoded): past it, GOAWAY.
            // A list past `limits.header_bytes` within it is answered 431 on its stream.
            HTTP2Setting(parameter: .maxHeaderListSize, value: config.maxHeaderBlock),
            HTTP2Setting(parameter: .enablePush, value: 0),
        ]
        // A window above the RFC's 64 KiB default is announced; a smaller one is not: a client may
        // send 64 KiB on a stream before our SETTINGS arrive, and swift-nio-http2 would subtract
        // the difference from such a stream's target and never open its window again (decision
        // 0017). Below 64 KiB the stream's window is kept at the target by WINDOW_UPDATEs alone.
        if config.initialWindow > 65_535 {
            connection.initialSettings.append(HTTP2Setting(parameter: .initialWindowSize, value: config.initialWindow))
        }
        connection.targetWindowSize = config.connectionWindow
        // Request blocks are checked by HTTP2RequestTranslator, byte by byte, once; swift-nio-http2's
        // own check would cost ~19,000 instructions per request, half of it re-checking the
        // responses we build from fields validated on the way in (decisions 0007, 0017).
        connection.headerBlockValidation = .disabled
        connection.maximumSequentialContinuationFrames = config.maxContinuationFrames
        connection.maximumSequentialEmptyDataFrames = config.maxEmptyDataFrames
        connection.controlFrameRateLimit.maximumCount = config.maxControlFramesPerSecond
        connection.controlFrameRateLimit.windowLength = .seconds(1)
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = config.initialWindow
        stream.streamResetFrameRateLimit.maximumCount = config.maxResetsPerSecond
        stream.streamResetFrameRateLimit.windowLength = .seconds(1)
        return NIOHTTP2Handler.Configuration(connection: connection, stream: stream)
    }

    /// The runtime form of a route; `nil` only for a forward to an unknown group, which
    /// validation has already refused.
    static func route(from route: RouteConfiguration, groups: [String: TargetGroup]) -> Route? {
        let action: ProxyCore.RouteAction
        switch route.action {
        case .forward(let name):
            guard let group = groups[name] else { return nil }
            action = .forward(group)
        case .fixedResponse(let fixed):
            action = .fixedResponse(
                status: HTTPResponseStatus(statusCode: fixed.status),
                body: fixed.body,
                contentType: fixed.contentType
            )
        case .redirect(let redirect):
            action = .redirect(
                RedirectRule(
                    scheme: redirect.scheme,
                    host: redirect.host,
                    port: redirect.port,
                    path: redirect.path,
                    status: HTTPResponseStatus(statusCode: redirect.status)
                )
            )
        }
        return Route(
            name: route.name,
            host: route.host,
            pathPrefix: route.pathPrefix,
            path: route.path,
            methods: route.methods.map { HTTPMethod(rawValue: $0) },
            headers: route.headers.map { HeaderMatch(name: $0.name, value: $0.value) },
            upgrades: route.upgrades,
            action: action
        )
    }

    /// The runtime form of every target group, by name.
    static func targetGroups(from configuration: ProxyConfiguration) -> [String: TargetGroup] {
        var groups: [String: TargetGroup] = [:]
        for group in configuration.targetGroups {
            groups[group.name] = Self.targetGroup(from: group)
        }
        return groups
    }

    static func targetGroup(from group: TargetGroupConfiguration) -> TargetGroup {
        let targets = group.targets.map {
            Target(host: $0.host, port: $0.port, weight: $0.weight, name: $0.name, maxConnections: $0.maxConnections)
        }
        let upstream = ProxyCore.UpstreamSettings(
            connectTimeout: TimeAmount(group.upstream.connectTimeout),
            responseTimeout: TimeAmount(group.upstream.responseTimeout),
            maxIdlePerTarget: group.upstream.maxIdlePerTarget,
            idleTimeout: TimeAmount(group.upstream.idleTimeout)
        )
        var healthCheck: HealthCheckSettings?
        if group.healthCheck.enabled {
            let check = group.healthCheck
            let kind: HealthCheckSettings.Kind
            switch check.protocol {
            case .http: kind = .http(path: check.path)
            case .tcp: kind = .tcp
            }
            let port: Int?
            switch check.port {
            case .trafficPort: port = nil
            case .fixed(let fixed): port = fixed
            }
            healthCheck = HealthCheckSettings(
                kind: kind,
                port: port,
                interval: TimeAmount(check.interval),
                timeout: TimeAmount(check.timeout),
                healthyThreshold: check.healthyThreshold,
                unhealthyThreshold: check.unhealthyThreshold,
                expectedStatus: check.expectStatus
            )
        }
        let allUnhealthy: ProxyCore.AllUnhealthyBehaviour
        switch group.allUnhealthy {
        case .failOpen: allUnhealthy = .failOpen
        case .reject: allUnhealthy = .reject
        }
        return TargetGroup(
            name: group.name,
            targets: targets,
            upstream: upstream,
            policy: Self.policy(group.policy),
            healthCheck: healthCheck,
            outlierDetection: OutlierDetector.Settings(
                consecutiveFailures: group.outlierDetection.consecutiveFailures,
                baseEjectionTime: group.outlierDetection.baseEjectionTime,
                maxEjectionPercent: group.outlierDetection.maxEjectionPercent,
                enabled: group.outlierDetection.enabled
            ),
            allUnhealthy: allUnhealthy,
            retries: RetrySettings(
                maxTries: group.retries.maxTries,
                budgetPercent: group.retries.budgetPercent,
                retryOnTimeout: group.retries.retryOnTimeout
            ),
            stickiness: group.stickiness.enabled
                ? StickinessSettings(cookieName: group.stickiness.cookieName, ttl: group.stickiness.ttl) : nil,
            slowStart: SlowStart(duration: group.slowStart)
        )
    }

    /// The one place a configured policy name becomes a balancing policy: adding a policy to the
    /// configuration language fails to compile here until it has an implementation.
    static func policy(_ name: BalancingPolicyName) -> BalancingPolicy {
        switch name {
        case .roundRobin: .roundRobin
        case .leastConnections: .leastConnections
        case .ipHash: .ipHash
        case .randomTwo: .randomTwo
        }
    }
}
