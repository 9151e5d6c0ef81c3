public import NIOHTTP1

/// Rewrites a target's response head into the head sent to the client, in one pass.
///
/// Removes hop-by-hop fields and the identity headers that reveal what a backend runs (`Server`,
/// `X-Powered-By`, … — configurable), and sets our own `Server` header when one is configured.
/// `Content-Length` is end-to-end and kept; otherwise the client side re-frames the body.
public struct ResponseHeaderRewriter: Sendable {
    private let stripped: [String]
    public var serverHeader: String?

    public init(stripResponseHeaders: [String], serverHeader: String?) {
        self.stripped = stripResponseHeaders.map { $0.lowercased() }
        self.serverHeader = serverHeader
    }

    /// - Parameters:
    ///   - head: The response head from the target.
    ///   - clientVersion: The HTTP version of the client's request; the response uses it.
    public func rewrite(_ head: HTTPResponseHead, clientVersion: HTTPVersion) -> HTTPResponseHead {
        // Collected as pairs and wrapped once: `HTTPHeaders.add` scans every name for
        // non-ASCII bytes, and these names were validated when the response was parsed.
        var fields: [(String, String)] = []
        fields.reserveCapacity(head.headers.count + 1)
        var connectionTokens: [String] = []
        for (name, value) in head.headers {
            if HopByHop.isAlwaysRemoved(name) {
                if HeaderName.equals(name, "connection") {
                    HopByHop.collectNames(inConnectionValue: value, into: &connectionTokens)
                }
                continue
            }
            if self.stripped.contains(where: { HeaderName.equals(name, $0) }) {
                continue
            }
            fields.append((name, value))
        }
        HopByHop.removeNamed(connectionTokens, from: &fields)
        if let serverHeader = self.serverHeader, !serverHeader.isEmpty {
            fields.append(("Server", serverHeader))
        }
        return HTTPResponseHead(version: clientVersion, status: head.status, headers: HTTPHeaders(fields))
    }
}
