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
        let connectionTokens = HopByHop.namedByConnection(head.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 2)
        for (name, value) in head.headers {
            if self.stripped.contains(where: { HeaderName.equals(name, $0) })
                || HopByHop.isHopByHop(name, namedByConnection: connectionTokens)
            {
                continue
            }
            headers.add(name: name, value: value)
        }
        if let serverHeader = self.serverHeader, !serverHeader.isEmpty {
            headers.add(name: "Server", value: serverHeader)
        }
        return HTTPResponseHead(version: clientVersion, status: head.status, headers: headers)
    }
}
