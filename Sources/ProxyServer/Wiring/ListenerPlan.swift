import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import ProxyAuth
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
    /// `limits.connections_per_ip`: the counts of the listener's open connections by address.
    var connectionsPerAddress: ConnectionsPerAddress?
    /// `global.redis`: every loop's connection to it, shared by the configuration's `shared: true`
    /// rate limits (kept across reloads while the address stays).
    var sharedRedis: SharedRedisLimiters?
    /// `proxy_protocol.trusted`: the peers that may send a PROXY header (and must); `nil`:
    /// the listener takes no PROXY protocol.
    var proxyProtocolPeers: (@Sendable (String) -> Bool)?
    /// `tls.acme`: the `notAfter` of the ACME certificate the plan serves, `nil` while it serves
    /// the self-signed placeholder (and for listeners without ACME).
    var acmeServedNotAfter: Int64?

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
    /// - Parameter staples: The server's OCSP staples, shared by every context of a certificate
    ///   (listeners with `tls.ocsp_stapling: false` get none).
    /// - Parameter acme: The process's ACME challenge tables: plain listeners answer HTTP-01 from
    ///   them, and `tls-alpn-01` listeners TLS-ALPN-01.
    static func make(
        from configuration: ProxyConfiguration,
        previous: [ListenerPlan] = [],
        staples: TLSStapleStore? = nil,
        acme: ACMEChallengeTables? = nil
    ) throws -> [ListenerPlan] {
        let usesACME = configuration.listeners.contains { $0.tls?.acme != nil }
        var sharedRedis: SharedRedisLimiters?
        if let address = configuration.global.redis {
            let kept = previous.lazy.compactMap(\.sharedRedis).first { $0.host == address.host && $0.port == address.port }
            sharedRedis = kept ?? SharedRedisLimiters(host: address.host, port: address.port)
        }
        // Routes' key and JWKS files, read once (the configuration checked them).
        var authenticators: [String: RouteAuthentication] = [:]
        for listener in configuration.listeners {
            for route in listener.routes {
                guard let auth = route.auth else { continue }
                authenticators["\(listener.name)\u{0}\(route.name)"] = try Self.authenticator(auth, limits: route.policy.rateLimits)
            }
        }
        let groups = Self.targetGroups(from: configuration)
        // A reload keeps each disk tier whose directory and size did not change (its index and
        // the writes in flight go on); another one rescans its directory.
        var diskCaches: [String: DiskCache] = [:]
        for plan in previous {
            for route in plan.settings.router.routes {
                if let disk = route.cache?.disk { diskCaches[disk.directory] = disk }
            }
        }
        return try configuration.listeners.map { listener in
            let routes = try listener.routes.compactMap { route in
                try Self.route(from: route, groups: groups, diskCaches: &diskCaches).map { runtime in
                    var runtime = runtime
                    runtime.policy = Self.routePolicy(
                        route,
                        of: listener,
                        auth: authenticators["\(listener.name)\u{0}\(route.name)"] ?? .none,
                        redis: sharedRedis
                    )
                    return runtime
                }
            }
            var tlsContext: TLSServerContext?
            var rotation = TimeAmount.hours(1)
            var acmeServedNotAfter: Int64?
            if let settings = listener.tls?.acme, listener.protocol == .https {
                // state_dir's certificate, or the self-signed placeholder until it exists.
                let state = ACMEStateDirectory(path: settings.stateDirectory, domains: settings.domains)
                acmeServedNotAfter = try state.prepareServing(now: ACMEManager.now())
            }
            if let tlsConfiguration = Self.tlsConfiguration(for: listener, staples: staples, acme: acme) {
                tlsContext = try TLSServerContext(
                    configuration: tlsConfiguration,
                    replacing: previous.first { $0.name == listener.name }?.tls
                )
                rotation = TimeAmount(tlsConfiguration.ticketKeyRotationInterval)
            }
            let trusted = listener.trustedProxies
            var settings = ListenerSettings(
                name: listener.name,
                scheme: listener.protocol == .https ? "https" : "http",
                isTrustedProxy: { address in trusted.contains { $0.contains(address) } },
                serverHeader: listener.serverHeader,
                stripResponseHeaders: listener.stripResponseHeaders + Self.headerRules(listener.policy.responseHeaders).droppedNames,
                limits: RequestLimits(
                    headerBytes: listener.limits.headerBytes,
                    bodyBytes: listener.limits.bodyBytes,
                    headerTimeout: TimeAmount(listener.limits.headerTimeout),
                    idleTimeout: TimeAmount(listener.limits.idleTimeout),
                    bodyTimeout: TimeAmount(listener.limits.bodyTimeout),
                    sendTimeout: TimeAmount(listener.limits.sendTimeout),
                    tunnelIdleTimeout: TimeAmount(listener.limits.tunnelIdleTimeout)
                ),
                fixedResponseFields: Self.fixedResponseFields(of: listener, rules: listener.policy.responseHeaders),
                requestID: listener.requestID,
                hygiene: Self.hygiene(listener.requestHygiene),
                policy: Self.edgePolicy(listener.policy, rules: listener.policy, of: listener, redis: sharedRedis),
                developmentErrorPages: listener.developmentErrorPages,
                router: Router(routes: routes)
            )
            if usesACME && listener.protocol == .http {
                settings.acmeHTTPChallenges = acme?.http
            }
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
                http2: Self.http2(listener.http2),
                connectionsPerAddress: listener.limits.connectionsPerIP.map { limit in
                    // A reload keeps the counts of the connections already open.
                    let kept = previous.first { $0.name == listener.name }?.connectionsPerAddress
                    return kept?.limit == limit ? kept! : ConnectionsPerAddress(limit: limit)
                },
                sharedRedis: sharedRedis,
                proxyProtocolPeers: listener.proxyProtocol.map { config in
                    let trusted = config.trusted
                    return { address in trusted.contains { $0.contains(address) } }
                },
                acmeServedNotAfter: acmeServedNotAfter
            )
        }
    }

    /// The one place a listener's configuration becomes the TLS settings its context is built
    /// from: the certificate/key files it serves and how it serves them. Startup, a reload and a
    /// certificate refresh (``ProxyServer/refreshCertificates(listener:reason:)``, the file
    /// watcher) all build contexts from it, and the watcher watches exactly the files it names.
    ///
    /// - Parameter staples: Where OCSP staples are found; `nil`, or a listener with
    ///   `tls.ocsp_stapling: false`, staples nothing.
    /// - Parameter acme: The process's ACME challenge tables (`tls-alpn-01` listeners answer from them).
    /// - Returns: `nil` for a plain HTTP listener.
    ///
    /// With `tls.acme`, the first certificate is `state_dir`'s when it is valid for the domains,
    /// else the self-signed placeholder (made by ``make(from:previous:staples:acme:)``).
    static func tlsConfiguration(
        for listener: ListenerConfiguration,
        staples: TLSStapleStore? = nil,
        acme: ACMEChallengeTables? = nil
    ) -> TLSServerConfiguration? {
        guard listener.protocol == .https, let tls = listener.tls else { return nil }
        var sources: [TLSCertificateSource] = []
        if let settings = tls.acme {
            sources.append(ACMEStateDirectory(path: settings.stateDirectory, domains: settings.domains).servingSource(now: ACMEManager.now()))
        }
        sources += tls.certificates.map {
            TLSCertificateSource(certificatePath: $0.certificatePath, privateKeyPath: $0.privateKeyPath)
        }
        var configuration = TLSServerConfiguration(certificates: sources)
        if tls.acme?.challenge == .tlsALPN01 {
            configuration.acmeChallenges = acme?.tls
        }
        configuration.minimumVersion = TLSProtocolVersion(rawValue: tls.minimumVersion) ?? .tls12
        configuration.sessionTickets = tls.sessionTickets
        configuration.ticketKeyRotationInterval = tls.ticketKeyRotation
        configuration.handshakeTimeout = tls.handshakeTimeout
        configuration.ticketKeyFiles = tls.ticketKeyFiles
        configuration.applicationProtocols = tls.alpn
        configuration.ocspStaples = tls.ocspStapling ? staples : nil
        return configuration
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

    // MARK: Edge policy (docs/security.md)

    /// A route's policy: its access list and rate limits, its rewrite, and its header rules over
    /// its listener's; `nil` when it has none of its own (the listener's rules then apply).
    /// A route's authentication at run time: decided at once (API key, JWT) or later (basic:
    /// a hash off the loop; forward: an auth service).
    enum RouteAuthentication {
        case none
        case immediate(any RequestAuthenticator)
        case later(any AdmissionCheck)
    }

    static func routePolicy(
        _ route: RouteConfiguration,
        of listener: ListenerConfiguration,
        auth: RouteAuthentication = .none,
        redis: SharedRedisLimiters? = nil
    ) -> EdgePolicy? {
        var own = route.policy
        // What authentication owns is never taken from the client: the fields claims and an
        // auth service's answer go in; the credentials unless `forward_credentials`.
        let forwardCredentials = route.auth?.forwardCredentials == true
        switch route.auth?.method {
        case .apiKey(let header, _) where !forwardCredentials:
            own.requestHeaders.remove.append(header)
        case .basic where !forwardCredentials:
            own.requestHeaders.remove.append("Authorization")
        case .jwt(let jwt):
            own.requestHeaders.remove.append(contentsOf: jwt.claimsToHeaders.map(\.name))
        case .forward(_, let copyHeaders, _):
            own.requestHeaders.remove.append(contentsOf: copyHeaders)
        default:
            break
        }
        var immediate: (any RequestAuthenticator)?
        var later: [any AdmissionCheck] = []
        switch auth {
        case .none: break
        case .immediate(let authenticator): immediate = authenticator
        case .later(let check): later.append(check)
        }
        guard !own.admitsEveryone || immediate != nil || !later.isEmpty || route.rewrite != nil || !own.requestHeaders.isEmpty || !own.responseHeaders.isEmpty else {
            return nil
        }
        let merged = PolicyConfiguration(
            allow: own.allow,
            deny: own.deny,
            rateLimits: own.rateLimits,
            requestHeaders: own.requestHeaders.isEmpty ? listener.policy.requestHeaders : own.requestHeaders.over(listener.policy.requestHeaders),
            responseHeaders: own.responseHeaders.isEmpty ? listener.policy.responseHeaders : own.responseHeaders.over(listener.policy.responseHeaders)
        )
        return Self.edgePolicy(
            merged,
            rules: own.requestHeaders.isEmpty && own.responseHeaders.isEmpty ? nil : merged,
            of: listener,
            rewrite: route.rewrite,
            auth: immediate,
            admissionChecks: later,
            redis: redis,
            ownResponseRules: !own.responseHeaders.isEmpty
        )
    }

    /// The authenticator of a route's `auth`, its files read.
    /// - Throws: ``AuthLoadError`` (naming the problems) when a file changed into something unusable
    ///   since the configuration was checked.
    static func authenticator(_ auth: AuthConfiguration, limits: [RateLimitConfiguration]) throws -> RouteAuthentication {
        switch auth.method {
        case .apiKey(let header, let keysFile):
            return .immediate(APIKeyAuthenticator(header: header, keys: try APIKeySet(parsing: try Self.text(of: keysFile))))
        case .basic(let usersFile, let realm):
            return .later(BasicAuthCheck(users: try HtpasswdFile(parsing: try Self.text(of: usersFile)), realm: realm))
        case .forward(let url, let copyHeaders, let timeout):
            return .later(
                ForwardAuthCheck(service: Target(host: url.host, port: url.port), path: url.path, copyHeaders: copyHeaders, timeout: TimeAmount(timeout))
            )
        case .jwt(let jwt):
            let claims = limits.compactMap { limit -> String? in
                if case .jwtClaim(let name) = limit.key { return name }
                return nil
            }
            return .immediate(
                JWTAuthenticator(
                    verifier: try JWTVerifier(jwks: try Self.text(of: jwt.jwksFile), settings: jwt.verifierSettings),
                    claimsToHeaders: jwt.claimsToHeaders.map { (claim: $0.value, field: $0.name) },
                    limitClaims: claims
                )
            )
        }
    }

    private static func text(of path: String) throws(AuthLoadError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(validating: data, as: UTF8.self) else {
            throw AuthLoadError(problems: [AuthLoadError.Problem(line: nil, message: "cannot read \(path)")])
        }
        return text
    }

    /// - Parameters:
    ///   - rules: Where the header rules come from; `nil`: none of its own (the listener's apply).
    ///   - ownResponseRules: A route with response rules gets a response rewriter of its own.
    static func edgePolicy(
        _ policy: PolicyConfiguration,
        rules: PolicyConfiguration?,
        of listener: ListenerConfiguration,
        rewrite: PathRewriteConfiguration? = nil,
        auth: (any RequestAuthenticator)? = nil,
        admissionChecks: [any AdmissionCheck] = [],
        redis: SharedRedisLimiters? = nil,
        ownResponseRules: Bool = false
    ) -> EdgePolicy? {
        var access: AccessList?
        if !policy.allow.isEmpty || !policy.deny.isEmpty {
            let allow = policy.allow
            let deny = policy.deny
            let inAllow: @Sendable (String) -> Bool = { address in allow.contains { $0.contains(address) } }
            let inDeny: @Sendable (String) -> Bool = { address in deny.contains { $0.contains(address) } }
            access = AccessList(allow: allow.isEmpty ? nil : inAllow, deny: deny.isEmpty ? nil : inDeny)
        }
        func runtimeKey(_ key: RateLimitConfiguration.Key) -> RateLimitRule.Key {
            switch key {
            case .clientIP: .clientIP
            case .header(let name): .header(name)
            case .jwtClaim(let name): .jwtClaim(name)
            }
        }
        // Shared limits answer later (Redis); the configuration refuses them without global.redis.
        var admissionChecks = admissionChecks
        if let redis {
            for limit in policy.rateLimits where limit.shared {
                admissionChecks.append(
                    SharedRateLimitCheck(
                        key: runtimeKey(limit.key),
                        name: "\(listener.name).\(limit.name)",
                        ratePerSecond: limit.ratePerSecond,
                        burst: limit.burst,
                        redis: redis,
                        logger: Logger(label: "portcullis.rate-limit")
                    )
                )
            }
        }
        let limits = policy.rateLimits.filter { !$0.shared }.map { (limit: RateLimitConfiguration) -> RateLimitRule in
            let key = runtimeKey(limit.key)
            return RateLimitRule(
                key: key,
                limiter: RateLimiter(ratePerSecond: limit.ratePerSecond, burst: limit.burst, maxKeys: limit.maxKeys),
                ratePerSecond: limit.ratePerSecond,
                name: limit.name
            )
        }
        let runtimeRewrite: PathRewrite? = rewrite.map {
            switch $0 {
            case .stripPrefix(let prefix): .stripPrefix(prefix)
            case .replacePrefix(let from, let to): .replacePrefix(from: from, to: to)
            }
        }
        let responseRules = rules.map { Self.headerRules($0.responseHeaders) }
        var responseRewriter: ResponseHeaderRewriter?
        if ownResponseRules, let rules {
            responseRewriter = ResponseHeaderRewriter(
                stripResponseHeaders: Self.strippedResponseHeaders(of: listener, rules: rules.responseHeaders),
                serverHeader: listener.serverHeader,
                fixedFields: Self.fixedResponseFields(of: listener, rules: rules.responseHeaders)
            )
        }
        let made = EdgePolicy(
            access: access,
            auth: auth,
            admissionChecks: admissionChecks,
            rateLimits: limits,
            rewrite: runtimeRewrite,
            requestRules: rules.map { Self.headerRules($0.requestHeaders) },
            responseLines: responseRules?.templatedLines ?? [],
            responseRewriter: responseRewriter
        )
        let empty = made.admitsEveryone && made.rewrite == nil && made.requestRules == nil && made.responseLines.isEmpty && made.responseRewriter == nil
        return empty ? nil : made
    }

    /// The runtime form of header rules: set and removed names dropped, set and added lines written.
    static func headerRules(_ rules: HeaderRulesConfiguration) -> HeaderRules {
        HeaderRules(
            dropping: rules.set.map(\.name) + rules.remove,
            lines: (rules.set + rules.add).map { HeaderRules.Line(name: $0.name, value: HeaderTemplate($0.value)) }
        )
    }

    /// The listener's stripped response headers, the rules' dropped names, and the target's own
    /// `X-Request-Id` when the listener sends its own.
    static func strippedResponseHeaders(of listener: ListenerConfiguration, rules: HeaderRulesConfiguration) -> [String] {
        listener.stripResponseHeaders + Self.headerRules(rules).droppedNames + (listener.requestID ? ["X-Request-Id"] : [])
    }

    /// `Strict-Transport-Security` on HTTPS listeners, then the rules' lines without variables.
    static func fixedResponseFields(of listener: ListenerConfiguration, rules: HeaderRulesConfiguration) -> [(String, String)] {
        var fields: [(String, String)] = []
        if listener.protocol == .https, let hsts = listener.tls?.hsts {
            fields.append(("Strict-Transport-Security", hsts.fieldValue))
        }
        return fields + Self.headerRules(rules).staticLines
    }

    static func hygiene(_ config: RequestHygieneConfiguration) -> RequestHygiene {
        RequestHygiene(
            monitorOnly: config.mode == .monitor,
            normalizePath: config.normalizePath,
            traversal: config.traversal,
            encodedSlash: config.encodedSlash,
            nul: config.nul,
            overlongUTF8: config.overlongUTF8
        )
    }

    /// The runtime form of a route; `nil` only for a forward to an unknown group, which
    /// validation has already refused.
    static func route(from route: RouteConfiguration, groups: [String: TargetGroup], diskCaches: inout [String: DiskCache]) throws -> Route? {
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
        case .staticFiles(let site):
            action = .staticFiles(
                StaticSite(
                    root: site.root,
                    index: site.index,
                    tryFiles: site.tryFiles,
                    listing: site.listing,
                    cacheControl: site.cacheControl,
                    precompressed: site.precompressed,
                    followSymlinks: site.followSymlinks,
                    dotfiles: site.dotfiles,
                    cacheValid: site.cacheValid
                )
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
            action: action,
            compression: route.targetGroup == nil ? nil : Self.compression(route.compression),
            cache: route.targetGroup == nil ? nil : try route.cache.map { try Self.cache($0, diskCaches: &diskCaches) }
        )
    }

    /// The runtime form of a route's `cache`: a store of its own, shared by every event loop
    /// (a reload starts its memory tier empty; a disk tier is reused from `diskCaches` when its
    /// directory and size are the same, else made, scanning its directory).
    static func cache(_ cache: CacheConfiguration, diskCaches: inout [String: DiskCache]) throws -> ResponseCache {
        let allow = cache.purgeAllow
        var disk: DiskCache?
        if let configured = cache.disk {
            if let existing = diskCaches[configured.path], existing.limit == configured.sizeBytes {
                disk = existing
            } else {
                let made = try DiskCache(directory: configured.path, limit: configured.sizeBytes)
                diskCaches[configured.path] = made
                disk = made
            }
        }
        return ResponseCache(
            settings: ResponseCache.Settings(
                memoryBytes: cache.memoryBytes,
                maxObjectBytes: cache.maxObjectBytes,
                defaultTTL: Int64(cache.defaultTTL.components.seconds) * 1000 + cache.defaultTTL.components.attoseconds / 1_000_000_000_000_000
            ),
            disk: disk,
            purgeAllowed: { address in allow.contains { $0.contains(address) } }
        )
    }

    /// The runtime form of a route's `compression`; `nil` when it is off.
    static func compression(_ compression: CompressionConfiguration) -> CompressionPolicy? {
        guard compression.enabled, !compression.encodings.isEmpty, !compression.types.isEmpty else { return nil }
        return CompressionPolicy(
            encodings: compression.encodings.map { encoding in
                switch encoding {
                case .zstd: .zstd
                case .br: .br
                case .gzip: .gzip
                }
            },
            minBytes: compression.minBytes,
            types: compression.types,
            levels: CompressionPolicy.Levels(gzip: compression.gzipLevel, br: compression.brotliLevel, zstd: compression.zstdLevel)
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
        var upstream = ProxyCore.UpstreamSettings(
            connectTimeout: TimeAmount(group.upstream.connectTimeout),
            responseTimeout: TimeAmount(group.upstream.responseTimeout),
            maxIdlePerTarget: group.upstream.maxIdlePerTarget,
            idleTimeout: TimeAmount(group.upstream.idleTimeout)
        )
        upstream.proxyProtocol = group.upstream.proxyProtocol
        switch group.protocol {
        case .http1: upstream.targetProtocol = .http1
        case .h2c: upstream.targetProtocol = .h2c
        }
        var healthCheck: HealthCheckSettings?
        if group.healthCheck.enabled {
            let check = group.healthCheck
            let kind: HealthCheckSettings.Kind
            switch check.protocol {
            case .http: kind = .http(path: check.path)
            case .tcp: kind = .tcp
            case .grpc: kind = .grpc(service: check.service)
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
