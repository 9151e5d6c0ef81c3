extension ConfigParser {
    private static let routeKeys = ["name", "priority", "match", "upgrades", "rewrite", "auth", "compression", "cache"] + RouteAction.keys + PolicyConfiguration.keys

    /// Reads a listener's routes and returns them in evaluation order: by priority (routes without
    /// one last), ties in file order.
    mutating func routes(_ node: ConfigNode, key: String) -> [ParsedRoute] {
        guard let items = self.list(node, key: key) else { return [] }
        guard !items.isEmpty else {
            self.problems.report(key, at: node, "needs at least one route")
            return []
        }
        var routes: [ParsedRoute] = []
        var seenNames: [String: Int] = [:]
        var seenPriorities: [Int: (name: String, line: Int)] = [:]
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
            if let priority = route.priority {
                if let first = seenPriorities[priority.value] {
                    self.problems.report(
                        at: priority,
                        "duplicate priority \(priority.value) (first used by route \"\(first.name)\" on line \(first.line))"
                    )
                } else {
                    seenPriorities[priority.value] = (name, priority.line)
                }
            }
            routes.append(route)
        }
        if !routes.isEmpty, !routes.contains(where: \.route.value.isCatchAll) {
            self.problems.warn(
                key,
                line: node.line,
                column: node.column,
                "no default route (a route without match); requests that match no route get 404"
            )
        }
        return Self.evaluationOrder(routes)
    }

    /// `routes` sorted by priority, routes without one last; equal priorities keep their order.
    static func evaluationOrder(_ routes: [ParsedRoute]) -> [ParsedRoute] {
        func rank(_ entry: (offset: Int, element: ParsedRoute)) -> (Int, Int) {
            (entry.element.route.value.priority ?? .max, entry.offset)
        }
        return routes.enumerated().sorted { rank($0) < rank($1) }.map(\.element)
    }

    private mutating func route(_ node: ConfigNode, key: String, index: Int) -> ParsedRoute? {
        guard let fields = self.fields(of: node, key: key, allowed: Self.routeKeys) else { return nil }
        var name = "route-\(index)"
        if let node = fields["name"], let value = self.name(node, key: fields.key("name")) {
            name = value
        }
        var priority: Located<Int>?
        if let node = fields["priority"],
            let value = self.integer(node, key: fields.key("priority"), in: RouteConfiguration.priorityRange)
        {
            priority = Located(value, key: fields.key("priority"), at: node)
        }
        let (action, forward) = self.routeAction(fields, routeName: name)
        var route = RouteConfiguration(name: name, priority: priority?.value, action: action, line: node.line)
        if let node = fields["match"] {
            self.routeMatch(node, key: fields.key("match"), into: &route)
        }
        if let node = fields["upgrades"] {
            route.upgrades = self.upgrades(node, key: fields.key("upgrades"))
        }
        if let node = fields["rewrite"] {
            route.rewrite = self.rewrite(node, key: fields.key("rewrite"))
            if !route.takesRequestPolicy, route.rewrite != nil {
                self.problems.report(fields.key("rewrite"), at: node, "only a route that forwards or serves files rewrites the path (this one answers itself)")
            }
        }
        route.policy = self.policy(fields)
        if let node = fields["compression"] {
            route.compression = self.compression(node, key: fields.key("compression"))
            if route.targetGroup == nil, route.compression.enabled {
                self.problems.report(fields.key("compression"), at: node, "only a route that forwards compresses its responses (this one answers itself)")
            }
        }
        if let node = fields["cache"] {
            route.cache = self.cache(node, key: fields.key("cache"))
            if route.targetGroup == nil, route.cache != nil {
                self.problems.report(fields.key("cache"), at: node, "only a route that forwards has a cache (this one answers itself)")
            }
        }
        if let node = fields["auth"] {
            route.auth = self.auth(node, key: fields.key("auth"))
            if !route.takesRequestPolicy, route.auth != nil {
                self.problems.report(fields.key("auth"), at: node, "only a route that forwards or serves files asks for credentials (this one answers itself)")
            }
        }
        return ParsedRoute(route: Located(route, key: key, at: node), forward: forward, priority: priority)
    }

    /// Reads the `Upgrade` protocols a route passes on: RFC 9110 tokens, lowercased, without
    /// repeats. `h2c` is refused: it is never forwarded.
    private mutating func upgrades(_ node: ConfigNode, key: String) -> [String] {
        guard let items = self.list(node, key: key) else { return RouteConfiguration.defaultUpgrades }
        var upgrades: [String] = []
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard let text = self.string(item, key: itemKey) else { continue }
            guard HTTPSyntax.isToken(text) else {
                self.problems.report(
                    itemKey,
                    at: item,
                    "\"\(text)\" is not a protocol name (a token, such as websocket; no spaces, \"/\" or \",\")"
                )
                continue
            }
            let upgrade = text.lowercased()
            guard upgrade != "h2c" else {
                self.problems.report(
                    itemKey,
                    at: item,
                    "h2c (HTTP/2 over cleartext) is never forwarded: Portcullis speaks HTTP/1.1 to clients and targets; remove it"
                )
                continue
            }
            guard !upgrades.contains(upgrade) else {
                self.problems.warn(itemKey, line: item.line, column: item.column, "upgrade \(upgrade) is listed twice")
                continue
            }
            let known = RouteConfiguration.defaultUpgrades
            if !known.contains(upgrade), let near = Suggestion.closest(to: upgrade, in: known) {
                self.problems.warn(
                    itemKey,
                    line: item.line,
                    column: item.column,
                    "upgrade \"\(upgrade)\" is passed on as written (did you mean \"\(near)\"?)"
                )
            }
            upgrades.append(upgrade)
        }
        return upgrades
    }
}
