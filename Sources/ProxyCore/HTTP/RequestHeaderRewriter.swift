public import NIOHTTP1

/// Rewrites a client's request head into the head sent to a target, in one pass over the headers.
///
/// - Removes hop-by-hop fields (`Connection` and the fields it names, `Keep-Alive`, `TE`, `Trailer`,
///   `Transfer-Encoding`, `Upgrade`, `Proxy-*`) and `Expect` (the proxy answers `100-continue` itself).
/// - Re-frames the body: keeps `Content-Length`, or sends `Transfer-Encoding: chunked` when the client
///   used chunked coding, so the body can never be misread by the target.
/// - Sets `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host` and RFC 7239 `Forwarded`. What
///   the client sent in them is dropped, unless the peer is a trusted proxy, in which case its
///   `X-Forwarded-For` and `Forwarded` chains are kept and extended.
public struct RequestHeaderRewriter: Sendable {
    public var scheme: String
    public var isTrustedProxy: @Sendable (String) -> Bool

    public init(scheme: String, isTrustedProxy: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.scheme = scheme
        self.isTrustedProxy = isTrustedProxy
    }

    public struct Result {
        public var head: HTTPRequestHead
        /// The address we believe the request came from: the peer, or (behind trusted proxies)
        /// the right-most untrusted entry of `X-Forwarded-For`.
        public var clientAddress: String
    }

    /// - Parameters:
    ///   - head: The request head as the client sent it (already validated).
    ///   - peerAddress: The TCP peer's IP address, or `nil` if unknown.
    public func rewrite(_ head: HTTPRequestHead, peerAddress: String?) -> Result {
        var cache = ForwardedCache()
        return self.rewrite(head, peerAddress: peerAddress, cache: &cache)
    }

    /// The `Forwarded` element built for the last request of a connection: the next request
    /// usually has the same peer and `Host`, and then reuses it instead of building the string.
    public struct ForwardedCache {
        var peer: String?
        var host: String?
        var element: String?

        public init() {}

        init(peer: String, host: String?, element: String) {
            self.peer = peer
            self.host = host
            self.element = element
        }
    }

    /// ``rewrite(_:peerAddress:)`` for one connection's successive requests.
    /// - Parameter hints: From the parser: the fields that may be special; the others are
    ///   copied without looking at their names.
    public func rewrite(_ head: HTTPRequestHead, peerAddress: String?, cache: inout ForwardedCache, hints: FieldHints? = nil) -> Result {
        let peer = peerAddress ?? "unknown"
        let trusted = peerAddress.map(self.isTrustedProxy) ?? false
        var connectionTokens: [String] = []

        // Collected as pairs and wrapped once: `HTTPHeaders.add` scans every name for
        // non-ASCII bytes, and these names were validated when the request was parsed.
        var headers: [(String, String)] = []
        headers.reserveCapacity(head.headers.count + 5)
        var forwardedFor: [Substring] = []
        var forwarded: [String] = []
        var host: String?
        var chunked = false
        var index = -1
        for (name, value) in head.headers {
            index += 1
            if let hints, !hints.isSpecial(index) {
                headers.append((name, value))
                continue
            }
            if HeaderName.equals(name, "x-forwarded-for") {
                if trusted {
                    forwardedFor.append(contentsOf: value.split(separator: ",").map { $0.trimmingSpaces() })
                }
                continue
            }
            if HeaderName.equals(name, "forwarded") {
                if trusted { forwarded.append(value) }
                continue
            }
            if HeaderName.equals(name, "x-forwarded-proto") || HeaderName.equals(name, "x-forwarded-host")
                || HeaderName.equals(name, "expect")
            {
                continue
            }
            if HeaderName.equals(name, "transfer-encoding") {
                chunked = true  // validated earlier: the last coding is `chunked`
                continue
            }
            if HeaderName.equals(name, "host") {
                host = value
            } else if HopByHop.isAlwaysRemoved(name) {
                if HeaderName.equals(name, "connection") {
                    HopByHop.collectNames(inConnectionValue: value, into: &connectionTokens)
                }
                continue
            }
            headers.append((name, value))
        }
        // Fields the request's `Connection` headers named, wherever they came (never the
        // framing or `Host`: see ``HopByHop/neverNamedByConnection``).
        HopByHop.removeNamed(connectionTokens, from: &headers)

        let clientAddress = trusted ? self.clientAddress(chain: forwardedFor, peer: peer) : peer
        if forwardedFor.isEmpty {
            headers.append(("X-Forwarded-For", peer))
        } else {
            forwardedFor.append(Substring(peer))
            headers.append(("X-Forwarded-For", forwardedFor.joined(separator: ", ")))
        }
        headers.append(("X-Forwarded-Proto", self.scheme))
        if let host {
            headers.append(("X-Forwarded-Host", host))
        }
        let element: String
        if let cached = cache.element, cache.peer == peer, cache.host == host {
            element = cached
        } else {
            var built = "for=\(Self.forwardedNode(peer))"
            if let host {
                built += ";host=\(Self.quotedIfNeeded(host))"
            }
            built += ";proto=\(self.scheme)"
            element = built
            cache = ForwardedCache(peer: peer, host: host, element: built)
        }
        if forwarded.isEmpty {
            headers.append(("Forwarded", element))
        } else {
            forwarded.append(element)
            headers.append(("Forwarded", forwarded.joined(separator: ", ")))
        }
        if chunked {
            headers.append(("Transfer-Encoding", "chunked"))
        }

        var upstream = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri)
        upstream.headers = HTTPHeaders(headers)
        return Result(head: upstream, clientAddress: clientAddress)
    }

    /// The client address alone, for a request the proxy answers itself (nothing is forwarded,
    /// so nothing is rewritten): the same address ``rewrite(_:peerAddress:cache:)`` reports.
    public func clientAddress(of head: HTTPRequestHead, peerAddress: String?) -> String {
        guard let peerAddress else { return "unknown" }
        guard self.isTrustedProxy(peerAddress) else { return peerAddress }
        var chain: [Substring] = []
        for (name, value) in head.headers where HeaderName.equals(name, "x-forwarded-for") {
            chain.append(contentsOf: value.split(separator: ",").map { $0.trimmingSpaces() })
        }
        return self.clientAddress(chain: chain, peer: peerAddress)
    }

    /// Walks a trusted peer's `X-Forwarded-For` chain right to left: the first address that is
    /// not one of our proxies is the client.
    private func clientAddress(chain: [Substring], peer: String) -> String {
        var clientAddress = peer
        for entry in chain.reversed() {
            let address = String(entry)
            clientAddress = address
            if !self.isTrustedProxy(address) { break }
        }
        return clientAddress
    }

    /// RFC 7239 §6: IPv6 addresses are bracketed and quoted; unknown stays a token.
    static func forwardedNode(_ address: String) -> String {
        address.contains(":") ? "\"[\(address)]\"" : address
    }

    static func quotedIfNeeded(_ value: String) -> String {
        let tokenSafe = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
        }
        if tokenSafe { return value }
        let needsEscapes = value.utf8.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        return "\"" + (needsEscapes ? value.replacingBackslashesAndQuotes() : value) + "\""
    }
}

extension String {
    fileprivate func replacingBackslashesAndQuotes() -> String {
        var out = ""
        out.reserveCapacity(self.utf8.count)
        for character in self {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
