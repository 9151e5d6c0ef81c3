/// The `match` block of a route: the conditions a request must meet.
extension ConfigParser {
    private static let matchKeys = ["host", "path_prefix", "path", "methods", "headers"]

    mutating func routeMatch(_ node: ConfigNode, key: String, into route: inout RouteConfiguration) {
        guard let fields = self.fields(of: node, key: key, allowed: Self.matchKeys) else { return }
        if let node = fields["host"] {
            route.host = self.routeHost(node, key: fields.key("host"))
        }
        if let node = fields["path_prefix"] {
            route.pathPrefix = self.routePath(node, key: fields.key("path_prefix"))
        }
        if let node = fields["path"], let path = self.routePath(node, key: fields.key("path")) {
            if let prefixNode = fields["path_prefix"] {
                self.problems.report(
                    fields.key("path"),
                    at: node,
                    "cannot be combined with \"path_prefix\" (line \(prefixNode.line)); use \"path\" for one exact path or \"path_prefix\" for every path that starts with it"
                )
            } else {
                route.path = path
            }
        }
        if let node = fields["methods"] {
            route.methods = self.methods(node, key: fields.key("methods"))
        }
        if let node = fields["headers"] {
            route.headers = self.headerConditions(node, key: fields.key("headers"))
        }
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

    /// Reads a path or path prefix: starts with `/`, no query, fragment or spaces.
    mutating func routePath(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        guard text.hasPrefix("/") else {
            self.problems.report(key, at: node, "must start with \"/\" (got \"\(text)\")")
            return nil
        }
        guard !text.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) else {
            self.problems.report(key, at: node, "must be a path without query, fragment or spaces (got \"\(text)\")")
            return nil
        }
        // A redirect writes it into `Location` as it is; nothing re-checks headers on the way out.
        guard text.unicodeScalars.allSatisfy({ ("!"..."~").contains($0) }) else {
            self.problems.report(
                key,
                at: node,
                "must be visible ASCII; percent-encode other characters (got \(text.debugDescription))"
            )
            return nil
        }
        return text
    }

    /// Reads one method or a list of them, uppercased, without repeats.
    private mutating func methods(_ node: ConfigNode, key: String) -> [String] {
        let items: [(node: ConfigNode, key: String)]
        switch node.content {
        case .sequence(let list):
            guard !list.isEmpty else {
                self.problems.report(
                    key,
                    at: node,
                    "needs at least one method; leave \"methods\" out to match every method"
                )
                return []
            }
            items = list.enumerated().map { ($1, "\(key)[\($0)]") }
        case .scalar where !node.isNull:
            items = [(node, key)]
        default:
            self.problems.report(key, at: node, "expected a method or a list of methods, got \(node.typeName)")
            return []
        }
        var methods: [String] = []
        for item in items {
            guard let text = self.string(item.node, key: item.key) else { continue }
            guard HTTPSyntax.isToken(text) else {
                self.problems.report(item.key, at: item.node, "\"\(text)\" is not a valid method name")
                continue
            }
            let method = text.uppercased()
            guard !methods.contains(method) else {
                self.problems.warn(
                    item.key, line: item.node.line, column: item.node.column, "method \(method) is listed twice")
                continue
            }
            methods.append(method)
        }
        return methods
    }

    /// Reads a mapping from header name to exact value, or to `true` or `"*"` for "present".
    private mutating func headerConditions(_ node: ConfigNode, key: String) -> [HeaderCondition] {
        if node.isNull {
            return []
        }
        guard case .mapping(let entries) = node.content else {
            self.problems.report(key, at: node, "expected a mapping from header names to values, got \(node.typeName)")
            return []
        }
        var conditions: [HeaderCondition] = []
        var seen: [String: (name: String, line: Int)] = [:]
        for entry in entries {
            guard let name = entry.key.scalar?.text, !entry.key.isNull else {
                self.problems.report(key, at: entry.key, "keys must be strings, got \(entry.key.typeName)")
                continue
            }
            let entryKey = "\(key).\(name)"
            guard HTTPSyntax.isValidFieldName(name) else {
                self.problems.report(entryKey, at: entry.key, "\"\(name)\" is not a valid header name")
                continue
            }
            if let first = seen[name.lowercased()] {
                self.problems.report(
                    entryKey,
                    at: entry.key,
                    "header \"\(name)\" is already listed as \"\(first.name)\" (line \(first.line)); header names are case-insensitive"
                )
                continue
            }
            seen[name.lowercased()] = (name, entry.key.line)
            if let condition = self.headerCondition(name: name, entry.value, key: entryKey) {
                conditions.append(condition)
            }
        }
        return conditions
    }

    private mutating func headerCondition(name: String, _ node: ConfigNode, key: String) -> HeaderCondition? {
        let expectation = "expected the value to compare with, or true or \"*\" for \"the header is present\""
        guard let scalar = node.scalar else {
            self.problems.report(key, at: node, "\(expectation); got \(node.typeName)")
            return nil
        }
        switch scalar.kind {
        case .bool(true):
            return HeaderCondition(name: name)
        case .bool(false), .null:
            self.problems.report(key, at: node, "\(expectation); got \(node.quotedDescription)")
            return nil
        case .string, .integer, .float:
            if scalar.text == "*" {
                return HeaderCondition(name: name)
            }
            guard !scalar.text.isEmpty else {
                self.problems.report(key, at: node, "must not be empty; write true to only require the header")
                return nil
            }
            guard HTTPSyntax.isValidFieldValue(scalar.text) else {
                self.problems.report(
                    key,
                    at: node,
                    "must be printable ASCII without line breaks (got \"\(scalar.text)\")"
                )
                return nil
            }
            return HeaderCondition(name: name, value: scalar.text)
        }
    }
}
