public import NIOHTTP1

/// A client's request head as the forwarding session takes it, from whichever protocol brought
/// it: the method, target and version, the fields, and what the parser noted while it read them
/// (``RequestFacts``: framing, `Host` count, `Expect`, keep-alive, the field lines as received).
///
/// Passed as a parameter from the connection to the session, never kept beside NIO's types.
/// The start line and fields are held as NIO's `HTTPRequestHead` because the router, the
/// validator and the rewriter read that type; the session never sees HTTP/1 framing.
public struct ClientRequestHead {
    /// The start line and fields as NIO's value, made once per request: the router, the
    /// validator and the rewriters read it (one allocation, shared by all of them).
    public let nioHead: HTTPRequestHead
    public var method: HTTPMethod { self.nioHead.method }
    /// The request target as sent (origin form: path and query).
    public var target: String { self.nioHead.uri }
    public var version: HTTPVersion { self.nioHead.version }
    public var fields: HTTPHeaders { self.nioHead.headers }
    public var facts: RequestFacts
    /// The protocol the client asks to switch to (`Connection: upgrade` with an `Upgrade`
    /// field: its value as sent), `nil` when it asks for none. The session forwards it only
    /// when the route allows its first token (``Route/upgrades``).
    public var upgrade: String?

    public init(method: HTTPMethod, target: String, version: HTTPVersion, fields: HTTPHeaders, facts: RequestFacts, upgrade: String? = nil) {
        self.nioHead = HTTPRequestHead(version: version, method: method, uri: target, headers: fields)
        self.facts = facts
        self.upgrade = upgrade
    }

    /// The first protocol token of ``upgrade``, lowercased, without its version (`websocket`
    /// for `WebSocket`, `h2c` for `h2c`).
    var upgradeProtocol: String? {
        guard let upgrade else { return nil }
        let first = upgrade.split(separator: ",", maxSplits: 1).first.map { $0.trimmingSpaces() } ?? ""
        let name = first.split(separator: "/", maxSplits: 1).first ?? ""
        return name.isEmpty ? nil : name.lowercased()
    }
}
