import NIOHTTP1

/// The connection-scoped ("hop-by-hop") header fields of RFC 9110 §7.6.1, which a proxy must not
/// forward, plus the tokens a message's own `Connection` header names.
enum HopByHop {
    /// Lowercased names that are never forwarded in either direction (and any `proxy-*`).
    static let alwaysRemoved: [String] = [
        "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Fields that frame or route the message. A `Connection` header may not make us drop them:
    /// `Connection: content-length` would otherwise strip the body's framing on the way to the
    /// target, and the body would be read there as a second request (request smuggling).
    static let neverNamedByConnection: [String] = ["content-length", "transfer-encoding", "host"]

    /// Lowercased field names listed in `Connection` (for example `Connection: close, X-Foo`),
    /// except the framing and routing fields in ``neverNamedByConnection``.
    static func namedByConnection(_ headers: HTTPHeaders) -> [String] {
        var names: [String] = []
        for (name, value) in headers where HeaderName.equals(name, "connection") {
            // The usual value names nothing to remove beyond what always is.
            if HeaderName.equals(value, "keep-alive") { continue }
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingSpaces().lowercased()
                if !trimmed.isEmpty && !neverNamedByConnection.contains(trimmed) && !names.contains(trimmed) {
                    names.append(trimmed)
                }
            }
        }
        return names
    }

    /// Whether the field `name` (any case) must be dropped when forwarding.
    static func isHopByHop(_ name: String, namedByConnection: [String]) -> Bool {
        // By length first: most names are no candidate at all (the names of ``alwaysRemoved``).
        let alwaysRemoved: Bool
        switch name.utf8.count {
        case 2: alwaysRemoved = HeaderName.equals(name, "te")
        case 7: alwaysRemoved = HeaderName.equals(name, "trailer") || HeaderName.equals(name, "upgrade")
        case 10: alwaysRemoved = HeaderName.equals(name, "connection") || HeaderName.equals(name, "keep-alive")
        case 17: alwaysRemoved = HeaderName.equals(name, "transfer-encoding")
        default: alwaysRemoved = false
        }
        if alwaysRemoved || HeaderName.hasPrefix(name, "proxy-") { return true }
        for named in namedByConnection where HeaderName.equals(name, named) {
            return true
        }
        return false
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return s
    }
}

extension String {
    func trimmingSpaces() -> Substring { Substring(self).trimmingSpaces() }
}
