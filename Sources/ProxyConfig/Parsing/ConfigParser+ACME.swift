import ProxyDefaults

extension ConfigParser {
    static let acmeKeys = ["directory", "email", "domains", "challenge", "ca_roots", "state_dir", "retry_initial", "retry_max"]

    /// Reads `tls.acme`. Without `domains`, the listener fills them in from its routes' hosts
    /// (``acmeDomainsFromRoutes(_:routes:key:at:)``).
    mutating func acme(_ node: ConfigNode, key: String) -> ACMEConfiguration? {
        guard let fields = self.fields(of: node, key: key, allowed: Self.acmeKeys) else { return nil }
        var directory: ACMEDirectoryURL?
        if let node = fields["directory"], let text = self.string(node, key: fields.key("directory")) {
            directory = ACMEDirectoryURL(text)
            if directory == nil {
                self.problems.report(
                    fields.key("directory"),
                    at: node,
                    "expected an https:// URL of an ACME directory, such as https://acme-staging-v02.api.letsencrypt.org/directory (got \"\(text)\")"
                )
            }
        } else if fields["directory"] == nil {
            self.reportMissing("directory", in: fields, " (the CA's ACME directory URL)")
        }
        var acme = ACMEConfiguration(directory: directory ?? ACMEDirectoryURL(host: "invalid"))

        if let node = fields["email"], let text = self.string(node, key: fields.key("email")) {
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !text.contains(where: { $0 == " " || $0 == "," }) {
                acme.email = text
            } else {
                self.problems.report(fields.key("email"), at: node, "expected an email address such as ops@example.com (got \"\(text)\")")
            }
        }
        if let node = fields["domains"], let items = self.list(node, key: fields.key("domains")) {
            if items.isEmpty {
                self.problems.report(fields.key("domains"), at: node, "needs at least one name (or leave it out to use the routes' hosts)")
            }
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("domains"))[\(index)]"
                guard let name = self.string(item, key: itemKey) else { continue }
                if let problem = Self.acmeDomainProblem(name) {
                    self.problems.report(itemKey, at: item, problem)
                } else if acme.domains.contains(name.lowercased()) {
                    self.problems.report(itemKey, at: item, "\"\(name)\" is listed twice")
                } else {
                    acme.domains.append(name.lowercased())
                }
            }
        } else if fields["domains"] == nil {
            acme.domainsFromRoutes = true
        }
        if let node = fields["challenge"],
            let value = self.choice(node, key: fields.key("challenge"), of: ACMEConfiguration.Challenge.self, noun: "challenge")
        {
            acme.challenge = value
        }
        if let node = fields["ca_roots"], let path = self.string(node, key: fields.key("ca_roots")) {
            let resolved = FilePaths.resolve(path, relativeTo: self.baseDirectory)
            if self.checkFilesExist, let problem = FilePaths.readProblem(resolved) {
                self.problems.report(fields.key("ca_roots"), at: node, problem)
            } else {
                acme.caRoots = resolved
            }
        }
        if let node = fields["state_dir"], let path = self.string(node, key: fields.key("state_dir")) {
            if path.isEmpty {
                self.problems.report(fields.key("state_dir"), at: node, "must be a directory path")
            } else {
                acme.stateDirectory = FilePaths.resolve(path, relativeTo: self.baseDirectory)
            }
        }
        if let node = fields["retry_initial"],
            let value = self.duration(node, key: fields.key("retry_initial"), in: .seconds(1)...Duration.seconds(24 * 3600))
        {
            acme.retryInitial = value
        }
        if let node = fields["retry_max"],
            let value = self.duration(node, key: fields.key("retry_max"), in: .seconds(1)...Duration.seconds(7 * 24 * 3600))
        {
            acme.retryMax = value
            if value < acme.retryInitial {
                self.problems.report(fields.key("retry_max"), at: node, "must be at least retry_initial (\(acme.retryInitial))")
            }
        }
        return acme
    }

    /// The default `domains`: the exact host names of the listener's routes, in route order.
    mutating func acmeDomainsFromRoutes(_ acme: inout ACMEConfiguration, routes: [RouteConfiguration], key: String, at node: ConfigNode) {
        guard acme.domainsFromRoutes else { return }
        for route in routes {
            guard let host = route.host?.lowercased(), !host.hasPrefix("*.") else { continue }
            if Self.acmeDomainProblem(host) == nil, !acme.domains.contains(host) {
                acme.domains.append(host)
            }
        }
        if acme.domains.isEmpty {
            self.problems.report(
                "\(key).domains",
                at: node,
                "no domains: none of the listener's routes has an exact host name; list the certificate's names in \"domains\""
            )
        }
    }

    /// Why `name` cannot be in an ACME certificate, or `nil` when it can.
    static func acmeDomainProblem(_ name: String) -> String? {
        if name.hasPrefix("*.") {
            return "wildcard names need the DNS-01 challenge, which Portcullis does not answer (got \"\(name)\")"
        }
        if IPAddress(name) != nil {
            return "an IP address is not a domain name (got \"\(name)\")"
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            labels.count >= 2 && name.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
        return valid ? nil : "not a fully qualified domain name such as www.example.com (got \"\(name)\")"
    }
}
