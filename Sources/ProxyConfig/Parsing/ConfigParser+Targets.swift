import ProxyDefaults

extension ConfigParser {
    private static let targetKeys = ["address", "weight", "name", "max_connections"]

    /// Reads the `targets` list of a group: each target named (`t<position>` by default), no two
    /// with the same address or name. Entries with `dns:` or `srv:` go to `discovery`.
    mutating func targets(
        _ node: ConfigNode,
        key: String,
        discovery: inout [TargetDiscoveryConfiguration]
    ) -> [TargetConfiguration] {
        guard let items = self.list(node, key: key) else { return [] }
        guard !items.isEmpty else {
            self.problems.report(key, at: node, "needs at least one target (\"host:port\")")
            return []
        }
        var targets: [TargetConfiguration] = []
        var seenAddresses: [BindAddress: Int] = [:]
        var seenNames: [String: (line: Int, isDefault: Bool)] = [:]
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            if case .mapping(let entries) = item.content,
                entries.contains(where: { ["dns", "srv"].contains($0.key.scalar?.text ?? "") })
            {
                if let source = self.discoveredTargets(item, key: itemKey) {
                    if discovery.contains(source) {
                        self.problems.report(itemKey, at: item, "duplicate DNS entry \(source)")
                    } else {
                        discovery.append(source)
                    }
                }
                continue
            }
            guard let parsed = self.target(item, key: itemKey, position: index + 1) else { continue }
            let address = BindAddress(host: parsed.target.host, port: parsed.target.port)
            if let firstLine = seenAddresses[address] {
                self.problems.report(
                    itemKey,
                    at: parsed.address,
                    "duplicate target \(address) (first listed on line \(firstLine))"
                )
                continue
            }
            seenAddresses[address] = parsed.address.line
            if let name = parsed.name {
                if let first = seenNames[name.value] {
                    let hint =
                        first.isDefault || parsed.nameIsDefault
                        ? "; targets without a \"name\" are called t1, t2, … by position" : ""
                    self.problems.report(
                        at: name,
                        "duplicate target name \"\(name.value)\" (first used on line \(first.line))\(hint)"
                    )
                    continue
                }
                seenNames[name.value] = (name.line, parsed.nameIsDefault)
            }
            targets.append(parsed.target)
        }
        return targets
    }

    /// Reads `"host:port"` (`":port"` for 127.0.0.1) or `{address, weight, name, max_connections}`.
    ///
    /// - Parameter position: The 1-based position in the list, for the default name.
    private mutating func target(_ node: ConfigNode, key: String, position: Int) -> ParsedTarget? {
        var addressNode = node
        var addressKey = key
        var target = TargetConfiguration(host: "", port: 0, name: TargetConfiguration.defaultName(position: position))
        var name: Located<String>? = Located(target.name, key: "\(key).name", at: node)
        var nameIsDefault = true
        if case .mapping = node.content {
            guard let fields = self.fields(of: node, key: key, allowed: Self.targetKeys) else { return nil }
            if let node = fields["weight"], let value = self.integer(node, key: fields.key("weight"), in: 1...1000) {
                target.weight = value
            }
            if let node = fields["name"] {
                nameIsDefault = false
                name = nil
                if let value = self.name(node, key: fields.key("name")) {
                    target.name = value
                    name = Located(value, key: fields.key("name"), at: node)
                }
            }
            if let node = fields["max_connections"] {
                target.maxConnections = self.maxConnections(node, key: fields.key("max_connections"))
            }
            guard let node = fields["address"] else {
                self.reportMissing("address", in: fields, " (\"host:port\")")
                return nil
            }
            addressNode = node
            addressKey = fields.key("address")
        }
        guard let scalar = addressNode.scalar, !addressNode.isNull else {
            self.problems.report(
                addressKey,
                at: addressNode,
                "expected \"host:port\" or {address, weight}, got \(addressNode.typeName)"
            )
            return nil
        }
        switch AddressSyntax.parseTarget(scalar.text) {
        case .success(let address):
            target.host = address.host
            target.port = address.port
            return ParsedTarget(target: target, address: addressNode, name: name, nameIsDefault: nameIsDefault)
        case .failure(let problem):
            self.problems.report(addressKey, at: addressNode, problem.message)
            return nil
        }
    }

    private static let discoveryKeys = ["dns", "srv", "port", "refresh", "weight", "max_connections", "max_targets"]

    /// Reads `{dns: name, port: N, refresh, weight, max_connections, max_targets}` or
    /// `{srv: _service._proto.name, refresh, max_connections, max_targets}` (decision 0032).
    private mutating func discoveredTargets(_ node: ConfigNode, key: String) -> TargetDiscoveryConfiguration? {
        guard let fields = self.fields(of: node, key: key, allowed: Self.discoveryKeys) else { return nil }
        var source = TargetDiscoveryConfiguration(record: .service(name: ""))
        if let node = fields["refresh"],
            let value = self.duration(node, key: fields.key("refresh"), in: Defaults.Discovery.minimumInterval...Duration.seconds(86_400))
        {
            source.refresh = value
        }
        if let node = fields["max_connections"] {
            source.maxConnections = self.maxConnections(node, key: fields.key("max_connections"))
        }
        if let node = fields["max_targets"],
            let value = self.integer(node, key: fields.key("max_targets"), in: 1...Defaults.Discovery.maxTargetsPerEntryLimit)
        {
            source.maxTargets = value
        }
        switch (fields["dns"], fields["srv"]) {
        case (.some(let nameNode), nil):
            if let node = fields["weight"], let value = self.integer(node, key: fields.key("weight"), in: 1...1000) {
                source.weight = value
            }
            let name = self.dnsName(nameNode, key: fields.key("dns"))
            guard let portNode = fields["port"] else {
                self.reportMissing("port", in: fields, " (the port of every address the name resolves to)")
                return nil
            }
            guard let port = self.integer(portNode, key: fields.key("port"), in: 1...65535), let name else { return nil }
            source.record = .address(name: name, port: port)
        case (nil, .some(let nameNode)):
            if fields["port"] != nil {
                self.problems.report(fields.key("port"), at: fields["port"] ?? node, "srv: takes each target's port from its SRV record; remove \"port\"")
            }
            if fields["weight"] != nil {
                self.problems.report(fields.key("weight"), at: fields["weight"] ?? node, "srv: takes each target's weight from its SRV record; remove \"weight\"")
            }
            guard let name = self.dnsName(nameNode, key: fields.key("srv")) else { return nil }
            source.record = .service(name: name)
        default:
            self.problems.report(key, at: node, "a target entry takes one of \"dns\" and \"srv\", not both")
            return nil
        }
        return source
    }

    /// Reads a DNS name (a trailing dot is dropped); an IP address is refused, since it needs no
    /// resolving.
    private mutating func dnsName(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        var name = text.trimmingSpaces().lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if IPAddress(name) != nil {
            self.problems.report(key, at: node, "\"\(name)\" is an IP address, not a name to resolve: write it as {address: \"host:port\"}")
            return nil
        }
        guard AddressSyntax.isValidHostName(name) else {
            self.problems.report(key, at: node, "\"\(text)\" is not a valid DNS name")
            return nil
        }
        return name
    }

    /// Reads an integer ≥ 1, or null for no limit.
    private mutating func maxConnections(_ node: ConfigNode, key: String) -> Int? {
        if node.isNull {
            return nil
        }
        guard case .integer(let value) = node.scalar?.kind, value >= 1 else {
            self.problems.report(
                key,
                at: node,
                "must be an integer ≥ 1, or null for no limit (got \(node.quotedDescription))"
            )
            return nil
        }
        return value
    }
}
