extension ConfigParser {
    mutating func routes(_ node: ConfigNode, key: String) -> [ParsedRoute] {
        guard let items = self.list(node, key: key) else { return [] }
        guard !items.isEmpty else {
            self.problems.report(key, at: node, "needs at least one route")
            return []
        }
        var routes: [ParsedRoute] = []
        var seenNames: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            guard let route = self.route(item, key: "\(key)[\(index)]", index: index) else { continue }
            let name = route.route.value.name
            if let firstLine = seenNames[name] {
                self.problems.report(
                    "\(route.route.key).name",
                    line: route.route.line,
                    column: route.route.column,
                    "duplicate route name \"\(name)\" (first used on line \(firstLine))"
                )
            } else {
                seenNames[name] = route.route.line
            }
            routes.append(route)
        }
        return routes
    }

    private mutating func route(_ node: ConfigNode, key: String, index: Int) -> ParsedRoute? {
        guard let fields = self.fields(of: node, key: key, allowed: ["name", "match", "forward"]) else { return nil }
        var route = RouteConfiguration(name: "route-\(index)", targetGroup: "", line: node.line)
        if let node = fields["name"], let name = self.name(node, key: fields.key("name")) {
            route.name = name
        }
        if let node = fields["match"],
            let match = self.fields(of: node, key: fields.key("match"), allowed: ["host", "path_prefix"])
        {
            if let node = match["host"] {
                route.host = self.routeHost(node, key: match.key("host"))
            }
            if let node = match["path_prefix"] {
                route.pathPrefix = self.pathPrefix(node, key: match.key("path_prefix"))
            }
        }
        var forward: Located<String>?
        if let node = fields["forward"] {
            if let name = self.string(node, key: fields.key("forward")) {
                forward = Located(name, key: fields.key("forward"), at: node)
                route.targetGroup = name
            }
        } else {
            self.reportMissing("forward", in: fields, " (the name of a target group)")
        }
        return ParsedRoute(route: Located(route, key: key, at: node), forward: forward)
    }

    private mutating func routeHost(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        let host = text.lowercased()
        if host.contains(":") {
            self.problems.report(key, at: node, "must be a host name without port (got \"\(text)\")")
            return nil
        }
        let name = host.hasPrefix("*.") ? host.dropFirst(2) : host[...]
        guard AddressSyntax.isValidHostName(name) else {
            self.problems.report(
                key,
                at: node,
                "must be a host name such as example.com or *.example.com (got \"\(text)\")"
            )
            return nil
        }
        return host
    }

    private mutating func pathPrefix(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        guard text.hasPrefix("/") else {
            self.problems.report(key, at: node, "must start with \"/\" (got \"\(text)\")")
            return nil
        }
        guard !text.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) else {
            self.problems.report(key, at: node, "must be a path without query, fragment or spaces (got \"\(text)\")")
            return nil
        }
        return text
    }
}
