import ProxyDefaults

extension ConfigParser {
    private static let listenerKeys = [
        "name", "bind", "protocol", "tls", "trusted_proxies", "server_header", "strip_response_headers", "limits",
        "http2", "h2c", "reuse_port", "request_id", "request_hygiene", "proxy_protocol", "routes",
    ] + PolicyConfiguration.keys

    mutating func listeners(_ node: ConfigNode, key: String) -> [ListenerConfiguration] {
        guard let items = self.list(node, key: key) else { return [] }
        guard !items.isEmpty else {
            self.problems.report(key, at: node, "needs at least one listener")
            return []
        }
        return items.enumerated().compactMap { index, item in
            self.listener(item, key: "\(key)[\(index)]")
        }
    }

    private mutating func listener(_ node: ConfigNode, key: String) -> ListenerConfiguration? {
        guard let fields = self.fields(of: node, key: key, allowed: Self.listenerKeys) else { return nil }

        var bind: Located<BindAddress>?
        if let node = fields["bind"] {
            bind = self.bindAddress(node, key: fields.key("bind"))
        } else {
            self.reportMissing("bind", in: fields, " (such as \"0.0.0.0:443\")")
        }

        let tlsNode = fields["tls"]
        var listenerProtocol: ListenerProtocol = tlsNode == nil ? .http : .https
        if let node = fields["protocol"],
            let value = self.choice(node, key: fields.key("protocol"), of: ListenerProtocol.self, noun: "protocol")
        {
            listenerProtocol = value
        }

        var name = Located(
            "\(listenerProtocol.rawValue)-\(bind?.value.port ?? 0)",
            key: fields.key("name"),
            at: fields.node
        )
        var nameIsDefault = true
        if let node = fields["name"] {
            nameIsDefault = false
            if let value = self.name(node, key: fields.key("name")) {
                name = Located(value, key: fields.key("name"), at: node)
            }
        }

        var tls: ListenerTLS?
        switch (listenerProtocol, tlsNode) {
        case (.https, let tlsNode?):
            tls = self.listenerTLS(tlsNode, key: fields.key("tls"))
        case (.https, nil):
            self.problems.report(
                fields.key("tls"),
                at: fields["protocol"] ?? fields.node,
                "an https listener needs a \"tls\" block with at least one certificate"
            )
        case (.http, let tlsNode?):
            self.problems.report(
                fields.key("tls"),
                at: tlsNode,
                "\"tls\" is only allowed when protocol is https (this listener is http)"
            )
        case (.http, nil):
            break
        }

        var trustedProxies: [CIDR] = []
        if let node = fields["trusted_proxies"] {
            trustedProxies = self.cidrs(node, key: fields.key("trusted_proxies"))
        }

        var serverHeader: String? = ListenerConfiguration.defaultServerHeader
        if let node = fields["server_header"] {
            serverHeader = self.serverHeader(node, key: fields.key("server_header"))
        }

        var stripResponseHeaders = ListenerConfiguration.defaultStrippedResponseHeaders
        if let node = fields["strip_response_headers"] {
            stripResponseHeaders = self.headerNames(node, key: fields.key("strip_response_headers"))
        }

        var limits = ListenerLimits()
        if let node = fields["limits"] {
            limits = self.limits(node, key: fields.key("limits"))
        }

        var http2 = ListenerHTTP2()
        if let node = fields["http2"] {
            http2 = self.http2(node, key: fields.key("http2"))
        }

        var h2c = false
        if let node = fields["h2c"], let value = self.bool(node, key: fields.key("h2c")) {
            h2c = value
            if value && listenerProtocol == .https {
                self.problems.report(
                    fields.key("h2c"),
                    at: node,
                    "h2c is HTTP/2 without TLS, for plain listeners; an https listener offers h2 through tls.alpn"
                )
            }
        }

        var reusePort = false
        if let node = fields["reuse_port"], let value = self.bool(node, key: fields.key("reuse_port")) {
            reusePort = value
        }

        var requestID = Defaults.Policy.requestID
        if let node = fields["request_id"], let value = self.bool(node, key: fields.key("request_id")) {
            requestID = value
        }
        var hygiene = RequestHygieneConfiguration()
        if let node = fields["request_hygiene"] {
            hygiene = self.requestHygiene(node, key: fields.key("request_hygiene"))
        }
        let policy = self.policy(fields)
        var proxyProtocol: ProxyProtocolConfiguration?
        if let node = fields["proxy_protocol"], let proxy = self.fields(of: node, key: fields.key("proxy_protocol"), allowed: ["trusted"]) {
            if let trusted = proxy["trusted"] {
                let cidrs = self.cidrs(trusted, key: proxy.key("trusted"))
                if cidrs.isEmpty {
                    self.problems.report(proxy.key("trusted"), at: trusted, "needs at least one CIDR: the load balancers that send the PROXY header")
                }
                proxyProtocol = ProxyProtocolConfiguration(trusted: cidrs)
            } else {
                self.reportMissing("trusted", in: proxy, " (the CIDRs of the load balancers that send the PROXY header)")
            }
        }

        var routes: [ParsedRoute] = []
        if let node = fields["routes"] {
            routes = self.routes(node, key: fields.key("routes"))
        } else {
            self.reportMissing("routes", in: fields, " (a listener needs at least one route)")
        }

        if var acme = tls?.acme, let tlsNode {
            self.acmeDomainsFromRoutes(&acme, routes: routes.map(\.route.value), key: "\(fields.key("tls")).acme", at: tlsNode)
            tls?.acme = acme
        }

        self.parsedListeners.append(
            ParsedListener(name: name, nameIsDefault: nameIsDefault, bind: bind, routes: routes)
        )
        return ListenerConfiguration(
            name: name.value,
            bind: bind?.value ?? BindAddress(host: "0.0.0.0", port: 1),
            protocol: listenerProtocol,
            tls: tls,
            trustedProxies: trustedProxies,
            serverHeader: serverHeader,
            stripResponseHeaders: stripResponseHeaders,
            limits: limits,
            http2: http2,
            h2c: h2c,
            reusePort: reusePort,
            requestID: requestID,
            proxyProtocol: proxyProtocol,
            requestHygiene: hygiene,
            policy: policy,
            routes: routes.map(\.route.value)
        )
    }

    private mutating func bindAddress(_ node: ConfigNode, key: String) -> Located<BindAddress>? {
        guard let text = self.string(node, key: key) else { return nil }
        switch AddressSyntax.parse(text, allowsWildcard: true) {
        case .success(let address):
            return Located(address, key: key, at: node)
        case .failure(let problem):
            self.problems.report(key, at: node, problem.message)
            return nil
        }
    }

    // MARK: tls

    private mutating func listenerTLS(_ node: ConfigNode, key: String) -> ListenerTLS? {
        let allowed = [
            "certificates", "min_version", "session_tickets", "ticket_key_rotation", "handshake_timeout", "ticket_key_files",
            "alpn", "hsts", "acme", "watch_files", "ocsp_stapling",
        ]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return nil }
        var tls = ListenerTLS(certificates: [])

        if let node = fields["certificates"], let items = self.list(node, key: fields.key("certificates")) {
            if items.isEmpty {
                self.problems.report(fields.key("certificates"), at: node, "needs at least one {cert, key} pair")
            }
            for (index, item) in items.enumerated() {
                if let pair = self.certificatePair(item, key: "\(fields.key("certificates"))[\(index)]") {
                    tls.certificates.append(pair)
                }
            }
        } else if fields["certificates"] == nil && fields["acme"] == nil {
            self.reportMissing("certificates", in: fields, " (a list of {cert, key} pairs, or an \"acme\" block)")
        }
        if let node = fields["acme"] {
            tls.acme = self.acme(node, key: fields.key("acme"))
        }

        if let node = fields["min_version"] {
            let text = node.scalar?.text ?? ""
            if ["1.2", "1.3"].contains(text) && !node.isNull {
                tls.minimumVersion = text
            } else {
                self.problems.report(
                    fields.key("min_version"),
                    at: node,
                    "must be \"1.2\" or \"1.3\" (got \(node.quotedDescription))"
                )
            }
        }
        if let node = fields["session_tickets"], let value = self.bool(node, key: fields.key("session_tickets")) {
            tls.sessionTickets = value
        }
        if let node = fields["ticket_key_rotation"],
            let value = self.duration(
                node,
                key: fields.key("ticket_key_rotation"),
                in: .seconds(60)...Duration.seconds(7 * 24 * 3600)
            )
        {
            tls.ticketKeyRotation = value
        }
        if let node = fields["handshake_timeout"], let value = self.duration(node, key: fields.key("handshake_timeout"))
        {
            tls.handshakeTimeout = value
        }
        if let node = fields["ticket_key_files"], let items = self.list(node, key: fields.key("ticket_key_files")) {
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("ticket_key_files"))[\(index)]"
                guard let path = self.string(item, key: itemKey) else { continue }
                let resolved = FilePaths.resolve(path, relativeTo: self.baseDirectory)
                if self.checkFilesExist, let problem = FilePaths.readProblem(resolved) {
                    self.problems.report(itemKey, at: item, problem)
                    continue
                }
                if self.checkFilesExist, let size = FilePaths.size(of: resolved), size != 80 {
                    self.problems.report(
                        itemKey,
                        at: item,
                        "a session ticket key file holds exactly 80 bytes (\(resolved) has \(size)); make one with: openssl rand 80 > FILE"
                    )
                    continue
                }
                tls.ticketKeyFiles.append(resolved)
            }
        }
        if let node = fields["alpn"], let items = self.list(node, key: fields.key("alpn")) {
            var alpn: [String] = []
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("alpn"))[\(index)]"
                guard let name = self.string(item, key: itemKey) else { continue }
                guard Self.alpnNames.contains(name) else {
                    self.problems.report(itemKey, at: item, "must be \"h2\" or \"http/1.1\" (got \"\(name)\")")
                    continue
                }
                guard !alpn.contains(name) else {
                    self.problems.report(itemKey, at: item, "\"\(name)\" is listed twice")
                    continue
                }
                alpn.append(name)
            }
            if items.isEmpty {
                self.problems.report(fields.key("alpn"), at: node, "needs at least one protocol: [h2, http/1.1], or [http/1.1] for no HTTP/2")
            }
            tls.alpn = alpn
        }
        if let node = fields["hsts"] {
            tls.hsts = self.hsts(node, key: fields.key("hsts"))
        }
        if let node = fields["watch_files"], let value = self.bool(node, key: fields.key("watch_files")) {
            tls.watchFiles = value
        }
        if let node = fields["ocsp_stapling"], let value = self.bool(node, key: fields.key("ocsp_stapling")) {
            tls.ocspStapling = value
        }
        return tls
    }

    private static let alpnNames = ["h2", "http/1.1"]

    // MARK: http2

    private mutating func http2(_ node: ConfigNode, key: String) -> ListenerHTTP2 {
        var http2 = ListenerHTTP2()
        let allowed = [
            "max_concurrent_streams", "initial_window", "connection_window", "max_frame_size", "max_header_block",
            "max_continuation_frames", "max_resets_per_second", "max_control_frames_per_second", "max_empty_data_frames",
        ]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return http2 }
        let counts: [(String, WritableKeyPath<ListenerHTTP2, Int>, ClosedRange<Int>)] = [
            ("max_concurrent_streams", \.maxConcurrentStreams, 1...10_000),
            ("max_continuation_frames", \.maxContinuationFrames, 1...1_000),
            ("max_resets_per_second", \.maxResetsPerSecond, 1...100_000),
            ("max_control_frames_per_second", \.maxControlFramesPerSecond, 1...100_000),
            ("max_empty_data_frames", \.maxEmptyDataFrames, 1...1_000),
        ]
        for (name, path, range) in counts {
            if let node = fields[name], let value = self.integer(node, key: fields.key(name), in: range) {
                http2[keyPath: path] = value
            }
        }
        // RFC 9113 §6.5.2: a window of at most 2^31-1, a frame of 2^14...2^24-1 bytes.
        let sizes: [(String, WritableKeyPath<ListenerHTTP2, Int>, ClosedRange<Int>)] = [
            ("initial_window", \.initialWindow, 1024...(16 << 20)),
            ("connection_window", \.connectionWindow, 65_535...(1 << 30)),
            ("max_frame_size", \.maxFrameSize, 16_384...((1 << 24) - 1)),
            ("max_header_block", \.maxHeaderBlock, 1024...(1 << 20)),
        ]
        for (name, path, range) in sizes {
            if let node = fields[name], let value = self.size(node, key: fields.key(name), in: range) {
                http2[keyPath: path] = value
            }
        }
        return http2
    }

    private mutating func certificatePair(_ node: ConfigNode, key: String) -> CertificatePair? {
        guard let fields = self.fields(of: node, key: key, allowed: ["cert", "key"]) else { return nil }
        var paths: [String] = []
        for name in ["cert", "key"] {
            guard let node = fields[name] else {
                self.reportMissing(
                    name,
                    in: fields,
                    name == "cert" ? " (path of a PEM certificate chain)" : " (path of a PEM private key)"
                )
                continue
            }
            guard let path = self.string(node, key: fields.key(name)) else { continue }
            let resolved = FilePaths.resolve(path, relativeTo: self.baseDirectory)
            if self.checkFilesExist, let problem = FilePaths.readProblem(resolved) {
                self.problems.report(fields.key(name), at: node, problem)
                continue
            }
            paths.append(resolved)
        }
        guard paths.count == 2 else { return nil }
        return CertificatePair(certificatePath: paths[0], privateKeyPath: paths[1])
    }

    // MARK: headers and proxies

    mutating func cidrs(_ node: ConfigNode, key: String) -> [CIDR] {
        guard let items = self.list(node, key: key) else { return [] }
        return items.enumerated().compactMap { index, item in
            let itemKey = "\(key)[\(index)]"
            guard let text = self.string(item, key: itemKey) else { return nil }
            guard let cidr = CIDR(text) else {
                self.problems.report(
                    itemKey,
                    at: item,
                    "\"\(text)\" is not an IP address or CIDR (such as 10.0.0.0/8 or fd00::/8)"
                )
                return nil
            }
            return cidr
        }
    }

    private mutating func serverHeader(_ node: ConfigNode, key: String) -> String? {
        guard let scalar = node.scalar else {
            self.problems.report(
                key,
                at: node,
                "expected a string, or false for no Server header; got \(node.typeName)"
            )
            return ListenerConfiguration.defaultServerHeader
        }
        switch scalar.kind {
        case .null, .bool(false):
            return nil
        case .bool(true):
            self.problems.report(key, at: node, "expected a string, or false for no Server header; got true")
            return ListenerConfiguration.defaultServerHeader
        case .string, .integer, .float:
            if scalar.text.isEmpty {
                return nil
            }
            guard HTTPSyntax.isValidFieldValue(scalar.text) else {
                self.problems.report(
                    key,
                    at: node,
                    "must be printable ASCII without line breaks (got \"\(scalar.text)\")"
                )
                return ListenerConfiguration.defaultServerHeader
            }
            return scalar.text
        }
    }

    private mutating func headerNames(_ node: ConfigNode, key: String) -> [String] {
        guard let items = self.list(node, key: key) else { return ListenerConfiguration.defaultStrippedResponseHeaders }
        return items.enumerated().compactMap { index, item in
            let itemKey = "\(key)[\(index)]"
            guard let text = self.string(item, key: itemKey) else { return nil }
            guard HTTPSyntax.isValidFieldName(text) else {
                self.problems.report(itemKey, at: item, "\"\(text)\" is not a valid header name")
                return nil
            }
            return text
        }
    }

    // MARK: limits

    private mutating func limits(_ node: ConfigNode, key: String) -> ListenerLimits {
        var limits = ListenerLimits()
        let allowed = [
            "header_bytes", "body_bytes", "header_timeout", "idle_timeout", "body_timeout", "send_timeout",
            "tunnel_idle_timeout", "connections_per_ip",
        ]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return limits }
        if let node = fields["header_bytes"],
            let value = self.size(node, key: fields.key("header_bytes"), in: 1024...(1 << 20))
        {
            limits.headerBytes = value
        }
        if let node = fields["body_bytes"] {
            if node.scalar?.text == "unlimited" {
                limits.bodyBytes = nil
            } else if node.scalar.flatMap({ ByteSizeSyntax.parse($0.text) }) == 0 {
                self.problems.report(
                    fields.key("body_bytes"),
                    at: node,
                    "must be at least 1 byte; write \"unlimited\" for no limit"
                )
            } else if let value = self.size(node, key: fields.key("body_bytes"), in: 1...Int.max) {
                limits.bodyBytes = value
            }
        }
        if let node = fields["header_timeout"], let value = self.duration(node, key: fields.key("header_timeout")) {
            limits.headerTimeout = value
        }
        if let node = fields["idle_timeout"], let value = self.duration(node, key: fields.key("idle_timeout")) {
            limits.idleTimeout = value
        }
        if let node = fields["body_timeout"], let value = self.duration(node, key: fields.key("body_timeout")) {
            limits.bodyTimeout = value
        }
        if let node = fields["send_timeout"], let value = self.duration(node, key: fields.key("send_timeout")) {
            limits.sendTimeout = value
        }
        if let node = fields["tunnel_idle_timeout"],
            let value = self.duration(node, key: fields.key("tunnel_idle_timeout"))
        {
            limits.tunnelIdleTimeout = value
        }
        if let node = fields["connections_per_ip"],
            let value = self.integer(node, key: fields.key("connections_per_ip"), in: 1...1_000_000)
        {
            limits.connectionsPerIP = value
        }
        return limits
    }
}
