/// The edge-policy keys of listeners and routes (docs/security.md).
extension ConfigParser {
    /// Reads `allow`, `deny`, `rate_limits`, `request_headers` and `response_headers` from a
    /// listener's or a route's fields.
    mutating func policy(_ fields: MappingFields) -> PolicyConfiguration {
        var policy = PolicyConfiguration()
        if let node = fields["allow"] {
            policy.allow = self.cidrs(node, key: fields.key("allow"))
            if let items = node.sequenceItems, items.isEmpty {
                self.problems.report(fields.key("allow"), at: node, "an empty allow list would refuse everyone; remove the key to allow every address")
            }
        }
        if let node = fields["deny"] {
            policy.deny = self.cidrs(node, key: fields.key("deny"))
        }
        if let node = fields["rate_limits"], let items = self.list(node, key: fields.key("rate_limits")) {
            policy.rateLimits = items.enumerated().compactMap { index, item in
                self.rateLimit(item, key: "\(fields.key("rate_limits"))[\(index)]")
            }
        }
        for (name, path) in [("request_headers", \PolicyConfiguration.requestHeaders), ("response_headers", \.responseHeaders)] {
            if let node = fields[name] {
                policy[keyPath: path] = self.headerRules(node, key: fields.key(name))
            }
        }
        return policy
    }

    // MARK: Header rules

    private mutating func headerRules(_ node: ConfigNode, key: String) -> HeaderRulesConfiguration {
        var rules = HeaderRulesConfiguration()
        guard let fields = self.fields(of: node, key: key, allowed: ["set", "add", "remove"]) else { return rules }
        for (name, path) in [("set", \HeaderRulesConfiguration.set), ("add", \.add)] {
            guard let node = fields[name] else { continue }
            let listKey = fields.key(name)
            if node.isNull { continue }
            guard case .mapping(let entries) = node.content else {
                self.problems.report(listKey, at: node, "expected a mapping of header names to values, got \(node.typeName)")
                continue
            }
            for entry in entries {
                guard let fieldName = entry.key.scalar?.text, !entry.key.isNull else { continue }
                let entryKey = "\(listKey).\(fieldName)"
                guard self.ruleName(fieldName, key: entryKey, at: entry.key) else { continue }
                guard let value = entry.value.scalar, !entry.value.isNull else {
                    self.problems.report(entryKey, at: entry.value, "expected a string value, got \(entry.value.typeName)")
                    continue
                }
                if let problem = HeaderTemplateSyntax.problem(in: value.text) {
                    self.problems.report(entryKey, at: entry.value, problem)
                    continue
                }
                rules[keyPath: path].append(HeaderRulesConfiguration.Field(name: fieldName, value: value.text))
            }
        }
        if let node = fields["remove"], let items = self.list(node, key: fields.key("remove")) {
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("remove"))[\(index)]"
                guard let name = self.string(item, key: itemKey), self.ruleName(name, key: itemKey, at: item) else { continue }
                rules.remove.append(name)
            }
        }
        let setNames = Set(rules.set.map { $0.name.lowercased() })
        for field in rules.add where setNames.contains(field.name.lowercased()) {
            self.problems.report(fields.key("add"), at: fields["add"] ?? node, "\(field.name) is both set and added; set replaces, add appends: keep one")
        }
        return rules
    }

    /// Whether `name` is a field name a rule may act on; reports why not.
    private mutating func ruleName(_ name: String, key: String, at node: ConfigNode) -> Bool {
        guard HTTPSyntax.isValidFieldName(name) else {
            self.problems.report(key, at: node, "\"\(name)\" is not a valid header name")
            return false
        }
        guard !HeaderTemplateSyntax.ownedNames.contains(name.lowercased()) else {
            self.problems.report(key, at: node, "\(name) frames the message or is hop-by-hop: the proxy sets it, a rule cannot")
            return false
        }
        return true
    }

    // MARK: Rate limits

    private mutating func rateLimit(_ node: ConfigNode, key: String) -> RateLimitConfiguration? {
        guard let fields = self.fields(of: node, key: key, allowed: ["key", "rate", "burst", "max_keys", "shared"]) else { return nil }
        var limitKey = RateLimitConfiguration.Key.clientIP
        if let node = fields["key"], let text = self.string(node, key: fields.key("key")) {
            if text == "client_ip" {
                limitKey = .clientIP
            } else if text.hasPrefix("header:"), HTTPSyntax.isValidFieldName(String(text.dropFirst(7))) {
                limitKey = .header(String(text.dropFirst(7)).lowercased())
            } else if text.hasPrefix("jwt_claim:"), text.count > 10 {
                limitKey = .jwtClaim(String(text.dropFirst(10)))
            } else {
                self.problems.report(fields.key("key"), at: node, "must be client_ip, header:NAME or jwt_claim:NAME (got \"\(text)\")")
                return nil
            }
        }
        guard let rateNode = fields["rate"] else {
            self.reportMissing("rate", in: fields, " (such as 100/s, 600/m or 1000/h)")
            return nil
        }
        guard let rateText = self.string(rateNode, key: fields.key("rate")) else { return nil }
        guard let rate = Self.rate(rateText) else {
            self.problems.report(fields.key("rate"), at: rateNode, "expected requests per second, minute or hour, such as 100/s, 600/m or 1000/h (got \"\(rateText)\")")
            return nil
        }
        var limit = RateLimitConfiguration(key: limitKey, ratePerSecond: rate, rateText: rateText, name: key)
        if let node = fields["burst"], let value = self.integer(node, key: fields.key("burst"), in: 1...1_000_000) {
            limit.burst = value
        }
        if let node = fields["max_keys"], let value = self.integer(node, key: fields.key("max_keys"), in: 16...(1 << 24)) {
            limit.maxKeys = value
        }
        if let node = fields["shared"], let value = self.bool(node, key: fields.key("shared")) {
            limit.shared = value
            if value {
                self.sharedRateLimits.append(Located(key, key: fields.key("shared"), at: node))
            }
        }
        return limit
    }

    /// `100/s` → 100, `600/m` → 10, `36/h` → 0.01; `nil` for anything else or zero.
    static func rate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(String(parts[0]).trimmingSpaces()), count > 0, count <= 10_000_000 else { return nil }
        switch String(parts[1]).trimmingSpaces() {
        case "s": return Double(count)
        case "m": return Double(count) / 60
        case "h": return Double(count) / 3600
        default: return nil
        }
    }

    // MARK: Rewrites, hygiene, HSTS

    mutating func rewrite(_ node: ConfigNode, key: String) -> PathRewriteConfiguration? {
        guard let fields = self.fields(of: node, key: key, allowed: ["strip_prefix", "replace_prefix"]) else { return nil }
        switch (fields["strip_prefix"], fields["replace_prefix"]) {
        case (let strip?, nil):
            guard let prefix = self.pathPrefix(strip, key: fields.key("strip_prefix")) else { return nil }
            return .stripPrefix(prefix)
        case (nil, let replace?):
            guard let replaceFields = self.fields(of: replace, key: fields.key("replace_prefix"), allowed: ["from", "to"]) else { return nil }
            guard let fromNode = replaceFields["from"], let toNode = replaceFields["to"] else {
                self.problems.report(fields.key("replace_prefix"), at: replace, "needs both from and to (such as {from: /v1, to: /v2})")
                return nil
            }
            guard let from = self.pathPrefix(fromNode, key: replaceFields.key("from")),
                let to = self.pathPrefix(toNode, key: replaceFields.key("to"))
            else { return nil }
            return .replacePrefix(from: from, to: to)
        case (_?, _?):
            self.problems.report(key, at: node, "strip_prefix and replace_prefix cannot be used together")
            return nil
        case (nil, nil):
            self.problems.report(key, at: node, "needs strip_prefix or replace_prefix")
            return nil
        }
    }

    private mutating func pathPrefix(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        guard HTTPSyntax.isValidRequestPath(text), !text.contains("?") else {
            self.problems.report(key, at: node, "must be a path starting with \"/\", visible ASCII, without a query (got \(text.debugDescription))")
            return nil
        }
        return text
    }

    mutating func requestHygiene(_ node: ConfigNode, key: String) -> RequestHygieneConfiguration {
        var hygiene = RequestHygieneConfiguration()
        let checks: [(String, WritableKeyPath<RequestHygieneConfiguration, Bool>)] = [
            ("normalize_path", \.normalizePath), ("traversal", \.traversal), ("encoded_slash", \.encodedSlash), ("nul", \.nul),
            ("overlong_utf8", \.overlongUTF8),
        ]
        guard let fields = self.fields(of: node, key: key, allowed: ["mode"] + checks.map(\.0)) else { return hygiene }
        if let node = fields["mode"], let mode = self.choice(node, key: fields.key("mode"), of: RequestHygieneConfiguration.Mode.self, noun: "mode") {
            hygiene.mode = mode
        }
        for (name, path) in checks {
            if let node = fields[name], let value = self.bool(node, key: fields.key(name)) {
                hygiene[keyPath: path] = value
            }
        }
        return hygiene
    }

    mutating func hsts(_ node: ConfigNode, key: String) -> HSTSConfiguration? {
        if case .bool(let on) = node.scalar?.kind {
            return on ? HSTSConfiguration() : nil
        }
        var hsts = HSTSConfiguration()
        guard let fields = self.fields(of: node, key: key, allowed: ["max_age", "include_subdomains", "preload"]) else { return hsts }
        if let node = fields["max_age"] {
            // Days too (`365d`), the unit HSTS is thought of in.
            if let text = node.scalar?.text, text.hasSuffix("d"), let days = Int(text.dropLast()), (0...36_500).contains(days) {
                hsts.maxAge = .seconds(days * 86_400)
            } else if let value = self.duration(node, key: fields.key("max_age"), allowsZero: true) {
                hsts.maxAge = value
            }
        }
        if let node = fields["include_subdomains"], let value = self.bool(node, key: fields.key("include_subdomains")) {
            hsts.includeSubdomains = value
        }
        if let node = fields["preload"], let value = self.bool(node, key: fields.key("preload")) {
            hsts.preload = value
            if value && (!hsts.includeSubdomains || hsts.maxAge < .seconds(31_536_000)) {
                self.problems.warn(
                    fields.key("preload"),
                    line: node.line,
                    column: node.column,
                    "the preload list takes only include_subdomains: true and max_age of at least 365d"
                )
            }
        }
        return hsts
    }
}

extension ConfigNode {
    /// The items when this is a list.
    var sequenceItems: [ConfigNode]? {
        if case .sequence(let items) = self.content { items } else { nil }
    }
}
