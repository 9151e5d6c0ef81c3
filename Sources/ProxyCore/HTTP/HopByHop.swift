/// The connection-scoped ("hop-by-hop") header fields of RFC 9110 §7.6.1, which a proxy must not
/// forward, plus the tokens a message's own `Connection` header names.
enum HopByHop {
    /// Whether `name` (any case) is never forwarded in either direction: `connection`,
    /// `keep-alive`, `te`, `trailer`, `transfer-encoding`, `upgrade`, or any `proxy-*`.
    static func isAlwaysRemoved(_ name: String) -> Bool {
        // By length first: most names are no candidate at all.
        switch name.utf8.count {
        case 2: if HeaderName.equals(name, "te") { return true }
        case 7: if HeaderName.equals(name, "trailer") || HeaderName.equals(name, "upgrade") { return true }
        case 10: if HeaderName.equals(name, "connection") || HeaderName.equals(name, "keep-alive") { return true }
        case 17: if HeaderName.equals(name, "transfer-encoding") { return true }
        default: break
        }
        let first = name.utf8.first
        return (first == UInt8(ascii: "p") || first == UInt8(ascii: "P")) && HeaderName.hasPrefix(name, "proxy-")
    }

    /// ``isAlwaysRemoved(_:)`` for a raw name being copied.
    static func isAlwaysRemoved(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 2: if HeaderName.matches(name, "te") { return true }
        case 7: if HeaderName.matches(name, "trailer") || HeaderName.matches(name, "upgrade") { return true }
        case 10: if HeaderName.matches(name, "connection") || HeaderName.matches(name, "keep-alive") { return true }
        case 17: if HeaderName.matches(name, "transfer-encoding") { return true }
        default: break
        }
        return name.count >= 6 && HeaderName.matches(UnsafeRawBufferPointer(rebasing: name[0..<6]), "proxy-")
    }

    /// Fields that frame or route the message. A `Connection` header may not make us drop them:
    /// `Connection: content-length` would otherwise strip the body's framing on the way to the
    /// target, and the body would be read there as a second request (request smuggling).
    static let neverNamedByConnection: [String] = ["content-length", "transfer-encoding", "host"]

    /// Adds the lowercased field names one `Connection` header lists to `names` (once each),
    /// except the fields in ``neverNamedByConnection``.
    ///
    /// The response rewriter calls it for each `Connection` header while it copies the other
    /// fields, and removes what it named afterwards (``removeNamed(_:from:)``); the request
    /// rewriter, which writes each line as it goes, collects them first. Both need it only for
    /// heads without the parser's hints (a `Connection` that names other fields).
    static func collectNames(inConnectionValue value: String, into names: inout [String]) {
        // The usual value names nothing to remove beyond what always is.
        if HeaderName.equals(value, "keep-alive") { return }
        for token in value.split(separator: ",") {
            let trimmed = token.trimmingSpaces().lowercased()
            if !trimmed.isEmpty && !neverNamedByConnection.contains(trimmed) && !names.contains(trimmed) {
                names.append(trimmed)
            }
        }
    }

    /// Removes from `fields` those `names` lists (lowercased, from ``collectNames(inConnectionValue:into:)``).
    static func removeNamed(_ names: [String], from fields: inout [(String, String)]) {
        guard !names.isEmpty else { return }
        fields.removeAll { field in names.contains { HeaderName.equals(field.0, $0) } }
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
