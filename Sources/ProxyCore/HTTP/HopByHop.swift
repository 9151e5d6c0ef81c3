import NIOHTTP1

/// The connection-scoped ("hop-by-hop") header fields of RFC 9110 §7.6.1, which a proxy must not
/// forward, plus the tokens a message's own `Connection` header names.
enum HopByHop {
    /// Lowercased names that are never forwarded in either direction.
    static let alwaysRemoved: Set<String> = [
        "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-connection", "proxy-authenticate", "proxy-authorization",
    ]

    /// Fields that frame or route the message. A `Connection` header may not make us drop them:
    /// `Connection: content-length` would otherwise strip the body's framing on the way to the
    /// target, and the body would be read there as a second request (request smuggling).
    static let neverNamedByConnection: Set<String> = ["content-length", "transfer-encoding", "host"]

    /// Lowercased field names listed in `Connection` (for example `Connection: close, X-Foo`),
    /// except the framing and routing fields in ``neverNamedByConnection``.
    static func namedByConnection(_ headers: HTTPHeaders) -> Set<String> {
        var names: Set<String> = []
        for (name, value) in headers where name.utf8.count == 10 && name.lowercased() == "connection" {
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingSpaces().lowercased()
                if !trimmed.isEmpty && !neverNamedByConnection.contains(trimmed) { names.insert(trimmed) }
            }
        }
        return names
    }

    /// Whether `lowercasedName` must be dropped when forwarding.
    static func isHopByHop(_ lowercasedName: String, namedByConnection: Set<String>) -> Bool {
        alwaysRemoved.contains(lowercasedName) || lowercasedName.hasPrefix("proxy-")
            || (!namedByConnection.isEmpty && namedByConnection.contains(lowercasedName))
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
