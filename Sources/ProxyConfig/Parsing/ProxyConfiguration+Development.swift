import ProxyDefaults

extension ProxyConfiguration {
    /// The name of the listener of ``development(_:)``.
    public static let developmentListenerName = "dev"

    /// The configuration `portcullis dev` runs: one HTTPS listener (HTTP/2 and WebSocket
    /// upgrades on, no HSTS, development error pages naming the port that does not answer), a
    /// route per path prefix (longest first) and a default route, and per route a target group
    /// without active health checks or outlier detection (a target is tried at once, whatever
    /// happened before); the `dev` access log on standard output; no admin API.
    ///
    /// - Throws: ``ConfigValidationError`` whose diagnostics have file `<command line>` and the
    ///   option as key, every problem at once.
    public static func development(_ options: DevelopmentOptions) throws(ConfigValidationError) -> ProxyConfiguration {
        var problems = DiagnosticCollector(file: "<command line>")
        func report(_ option: String, _ message: String) {
            problems.report(option, line: 0, column: 0, message)
        }

        let bind = Self.developmentBind(options.listen, report: report)
        // Prefix → targets, in the order the prefixes first appear; "" is the default route.
        var prefixes: [String] = []
        var targets: [String: [TargetConfiguration]] = [:]
        for value in options.targets {
            guard let (prefix, address) = Self.developmentTarget(value, report: report) else { continue }
            if targets[prefix] == nil {
                prefixes.append(prefix)
            }
            var list = targets[prefix, default: []]
            if list.contains(where: { $0.host == address.host && $0.port == address.port }) {
                report("--to", "duplicate target \(address)\(prefix.isEmpty ? "" : " for \(prefix)")")
                continue
            }
            list.append(
                TargetConfiguration(host: address.host, port: address.port, name: TargetConfiguration.defaultName(position: list.count + 1))
            )
            targets[prefix] = list
        }
        if options.targets.isEmpty {
            report("--to", "no target: give the port of your app, as in \"portcullis dev 3000\" or \"--to :3000\"")
        }
        guard !problems.hasErrors, let bind else {
            throw ConfigValidationError(diagnostics: problems.errors)
        }

        // Longest prefix first, the default route last: the first match wins.
        let ordered = prefixes.sorted { lhs, rhs in
            lhs.isEmpty != rhs.isEmpty ? !lhs.isEmpty : lhs.count > rhs.count
        }
        var usedNames: Set<String> = []
        var routes: [RouteConfiguration] = []
        var groups: [TargetGroupConfiguration] = []
        for prefix in ordered {
            let name = Self.developmentGroupName(prefix: prefix, used: &usedNames)
            var route = RouteConfiguration(name: name, pathPrefix: prefix.isEmpty ? nil : prefix, targetGroup: name)
            route.upgrades = Defaults.Route.upgrades
            routes.append(route)
            var group = TargetGroupConfiguration(name: name, targets: targets[prefix] ?? [])
            group.healthCheck.enabled = false
            group.outlierDetection.enabled = false
            groups.append(group)
        }

        var tls = ListenerTLS(certificates: [options.certificate])
        tls.alpn = Defaults.TLS.alpn
        // HSTS would make browsers insist on https for every other port of localhost.
        tls.hsts = nil
        var listener = ListenerConfiguration(
            name: Self.developmentListenerName,
            bind: bind,
            protocol: .https,
            tls: tls,
            routes: routes
        )
        listener.developmentErrorPages = true

        var global = GlobalSettings()
        global.accessLog = true
        global.accessLogFormat = .dev
        global.accessLogPath = nil
        global.shutdownGrace = Defaults.Dev.shutdownGrace
        global.logLevel = .warning
        return ProxyConfiguration(
            global: global,
            admin: AdminConfiguration(enabled: false),
            listeners: [listener],
            targetGroups: groups,
            sourceFile: "<portcullis dev>"
        )
    }

    /// `--listen`: `host:port`, `:port`, `https://host:port`, or a port alone (loopback).
    private static func developmentBind(_ value: String?, report: (String, String) -> Void) -> BindAddress? {
        guard var text = value?.trimmingSpaces() else {
            return BindAddress(host: Defaults.Dev.listenHost, port: Defaults.Dev.listenPort)
        }
        if text.lowercased().hasPrefix("https://") {
            text = String(text.dropFirst("https://".count))
        } else if text.contains("://") {
            report("--listen", "portcullis dev serves https only (got \"\(text)\")")
            return nil
        }
        if text.hasSuffix("/") {
            text.removeLast()
        }
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            text = Defaults.Dev.listenHost + ":" + text
        }
        switch AddressSyntax.parse(text, allowsWildcard: true) {
        case .success(let address):
            return address
        case .failure(let problem):
            report("--listen", "\(problem.message) in \"\(value ?? "")\"")
            return nil
        }
    }

    /// One `--to` value: the path prefix (`""` for the default route) and the target.
    private static func developmentTarget(_ value: String, report: (String, String) -> Void) -> (String, BindAddress)? {
        var prefix = ""
        var target = Substring(value.trimmingSpaces())
        if target.hasPrefix("/") {
            guard let equals = target.firstIndex(of: "=") else {
                report("--to", "expected /prefix=target, as in /api=:4000 (got \"\(value)\")")
                return nil
            }
            prefix = String(target[..<equals])
            target = target[target.index(after: equals)...]
            if !HTTPSyntax.isValidRequestPath(prefix) {
                report("--to", "\(HTTPSyntax.requestPathProblem(prefix)) in \"\(value)\"")
                return nil
            }
            if prefix == "/" {
                prefix = ""  // every path starts with "/": that is the default route
            }
        }
        if target.lowercased().hasPrefix("http://") {
            target = target.dropFirst("http://".count)
        } else if target.contains("://") {
            report("--to", "targets are plain HTTP: use host:port or http://host:port (got \"\(value)\")")
            return nil
        }
        if target.hasSuffix("/") {
            target = target.dropLast()
        }
        var text = String(target)
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            text = ":" + text  // `portcullis dev 3000`
        }
        switch AddressSyntax.parseTarget(text) {
        case .success(let address):
            return (prefix, address)
        case .failure(let problem):
            report("--to", "\(problem.message) in \"\(value)\"")
            return nil
        }
    }

    /// `app` for the default route; for a prefix, its letters and digits (`/api/v1` → `api-v1`),
    /// made unique.
    private static func developmentGroupName(prefix: String, used: inout Set<String>) -> String {
        var base = "app"
        if !prefix.isEmpty {
            let words = prefix.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) })
            base = words.isEmpty ? "route" : words.joined(separator: "-")
        }
        var name = base
        var suffix = 2
        while used.contains(name) {
            name = "\(base)-\(suffix)"
            suffix += 1
        }
        used.insert(name)
        return name
    }
}
