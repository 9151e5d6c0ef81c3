public import NIOCore
public import NIOHTTP1

/// Rewrites a client's request head into the head sent to a target, encoded
/// (``UpstreamRequestHead``), in one pass over the fields.
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
        /// The head to send, encoded.
        public var head: UpstreamRequestHead
        /// The address we believe the request came from: the peer, or (behind trusted proxies)
        /// the right-most untrusted entry of `X-Forwarded-For`.
        public var clientAddress: String
        /// The request's `X-Request-Id` (the client's, or the one made), when ids are tracked.
        public var requestID: RequestID?
    }

    /// - Parameters:
    ///   - head: The request head as the client sent it (already validated).
    ///   - peerAddress: The TCP peer's IP address, or `nil` if unknown.
    public func rewrite(_ head: HTTPRequestHead, peerAddress: String?) -> Result {
        var cache = ForwardedCache()
        return self.rewrite(head, peerAddress: peerAddress, cache: &cache)
    }

    /// The `Forwarded` element built for the last request of a connection, and the forwarding
    /// lines (`X-Forwarded-For`, `-Proto`, `-Host`, `Forwarded`) of a request that brought no
    /// chain of its own: the next request usually has the same peer and `Host`, and then reuses
    /// them (one copy of the lines' bytes) instead of building the strings and writing the
    /// lines one by one.
    public struct ForwardedCache {
        var peer: String?
        var host: String?
        var element: String?
        /// The four lines, encoded, for a request without `X-Forwarded-For` or `Forwarded`
        /// chains to extend (`nil`: not made yet for this peer and `Host`).
        var lines: ByteBuffer?

        public init() {}

        init(peer: String, host: String?, element: String) {
            self.peer = peer
            self.host = host
            self.element = element
        }

        /// Whether it was made for this peer and `Host`.
        @inline(__always)
        func isFor(peer: String, host: String?) -> Bool {
            self.peer == peer && self.host == host
        }
    }

    /// What the pass over a head's fields found in them.
    private struct Found {
        var trusted: Bool
        var forwardedFor: [Substring] = []
        var forwarded: [String] = []
        var host: String?
        var chunked = false
        var hasContentLength = false
        /// The fields the `Connection` headers named (lowercased), when the head came without
        /// hints; with hints only `Close` can be named (``FieldHints/removesClose``).
        var connectionTokens: [String] = []
        var removesClose = false
        /// The header rules' names to drop, if any.
        var rules: HeaderRules?
        /// Whether `X-Request-Id` is looked at (one acceptable value kept, others dropped).
        var tracksRequestID = false
        var requestID: RequestID?
    }

    private static let chunkedLine: StaticString = "Transfer-Encoding: chunked\r\n"

    /// ``rewrite(_:peerAddress:)`` for one connection's successive requests.
    /// - Parameters:
    ///   - hints: From the parser: the fields that may be special; the others are copied
    ///     without looking at their names.
    ///   - rawFields: From the parser, with `hints`: the head's field lines as received. The
    ///     lines that go on are copied from them as they are (decision 0013).
    ///   - upgrade: The `Upgrade` value to forward (the route allows the protocol): the head
    ///     gets `Connection: upgrade` and it; `nil`: neither goes on (hop-by-hop).
    ///   - uri: The request target to send, when it is not the client's (a normalised path, a
    ///     route's rewrite).
    ///   - rules: The header rules of the listener and route: their names dropped in this pass,
    ///     their lines added after the forwarding fields.
    ///   - requestIDs: Makes the `X-Request-Id` of a request that comes without one; `nil`:
    ///     `request_id: false`, the field passes as any other.
    public func rewrite(
        _ head: HTTPRequestHead,
        peerAddress: String?,
        cache: inout ForwardedCache,
        hints: FieldHints? = nil,
        rawFields: ByteBuffer? = nil,
        upgrade: String? = nil,
        uri: String? = nil,
        rules: HeaderRules? = nil,
        addedFields: [PolicyRefusal.Field] = [],
        requestIDs: RequestIDGenerator? = nil
    ) -> Result {
        let peer = peerAddress ?? "unknown"
        var found = Found(trusted: peerAddress.map(self.isTrustedProxy) ?? false)
        found.rules = rules
        found.tracksRequestID = requestIDs != nil
        let uri = uri ?? head.uri
        var buffer = ByteBufferAllocator().buffer(capacity: uri.utf8.count + (rawFields?.readableBytes ?? 512) + 320)
        HTTP1Serializer.writeRequestLine(method: head.method, uri: uri, version: .http1_1, into: &buffer)
        let fieldsStart = buffer.writerIndex
        if let hints, let rawFields {
            found.removesClose = hints.removesClose
            self.copyFields(rawFields, of: head.headers, hints: hints, found: &found, into: &buffer)
        } else {
            self.writeFields(of: head.headers, hints: hints, found: &found, into: &buffer)
        }

        let clientAddress = found.trusted ? self.clientAddress(chain: found.forwardedFor, peer: peer) : peer
        // No chain to extend (the client's were dropped, or it sent none): the lines depend on
        // the peer and `Host` alone.
        let ownLinesOnly = found.forwardedFor.isEmpty && found.forwarded.isEmpty
        if ownLinesOnly, let cached = cache.lines, cache.isFor(peer: peer, host: found.host) {
            // One copy into the buffer's room (`writeImmutableBuffer` goes through ByteBuffer's
            // non-inlined `setBuffer`).
            _ = cached.withUnsafeReadableBytes { lines in
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: lines.count) { target in
                    precondition(target.count >= lines.count, "forwarding lines outside their space")
                    target.baseAddress!.copyMemory(from: lines.baseAddress!, byteCount: lines.count)
                    return lines.count
                }
            }
        } else {
            let forwardedFor: String
            if found.forwardedFor.isEmpty {
                forwardedFor = peer
            } else {
                found.forwardedFor.append(Substring(peer))
                forwardedFor = found.forwardedFor.joined(separator: ", ")
            }
            let element: String
            if let cached = cache.element, cache.isFor(peer: peer, host: found.host) {
                element = cached
            } else {
                var built = "for=\(Self.forwardedNode(peer))"
                if let host = found.host {
                    built += ";host=\(Self.quotedIfNeeded(host))"
                }
                built += ";proto=\(self.scheme)"
                element = built
                cache = ForwardedCache(peer: peer, host: found.host, element: built)
            }
            var forwarded = element
            if !found.forwarded.isEmpty {
                found.forwarded.append(element)
                forwarded = found.forwarded.joined(separator: ", ")
            }
            // The added lines in one reservation of the buffer's room (each write checks the
            // buffer's size and uniqueness).
            var lines = HTTP1Serializer.FieldLines()
            lines.add("X-Forwarded-For", forwardedFor)
            lines.add("X-Forwarded-Proto", self.scheme)
            lines.add("X-Forwarded-Host", found.host)
            lines.add("Forwarded", forwarded)
            if ownLinesOnly {
                var own = ByteBufferAllocator().buffer(capacity: lines.byteCount)
                lines.write(into: &own)
                buffer.writeImmutableBuffer(own)
                cache.lines = own
            } else {
                lines.write(into: &buffer)
            }
        }
        if found.chunked {
            buffer.writeStaticString(Self.chunkedLine)
        }
        if let requestIDs, found.requestID == nil {
            let made = requestIDs.next()
            found.requestID = made
            made.writeLine(into: &buffer)
        }
        if let rules, !rules.lines.isEmpty {
            let variables = HeaderTemplate.Variables(clientIP: clientAddress, requestID: found.requestID?.description, host: found.host, scheme: self.scheme)
            for line in rules.lines {
                HTTP1Serializer.writeField(line.name, line.value.render(variables), into: &buffer)
            }
        }
        for field in addedFields {
            HTTP1Serializer.writeField(field.name, field.value, into: &buffer)
        }
        if let upgrade {
            HTTP1Serializer.writeField("Connection", "upgrade", into: &buffer)
            HTTP1Serializer.writeField("Upgrade", upgrade, into: &buffer)
        }
        let framing = HTTP1Serializer.Framing(
            hasContentLength: found.hasContentLength,
            hasTransferEncoding: found.chunked,
            fieldsStart: fieldsStart
        )
        var upstream = UpstreamRequestHead(method: head.method, http11: true, framing: framing, finishing: &buffer)
        upstream.upgrade = upgrade != nil
        return Result(head: upstream, clientAddress: clientAddress, requestID: found.requestID)
    }

    /// Copies the field lines that go on from `raw`, consecutive ones in one copy; only the
    /// lines `hints` marks are looked at, by their parsed field in `headers` (same order).
    private func copyFields(_ raw: ByteBuffer, of headers: HTTPHeaders, hints: FieldHints, found: inout Found, into buffer: inout ByteBuffer) {
        let rules = found.rules
        RawFieldLines.copy(raw, into: &buffer) { index, line in
            guard hints.isSpecial(index) else { return rules?.drops(RawFieldLines.name(of: line)) != true }
            precondition(index < headers.count, "raw field lines and parsed fields differ")
            let (name, value) = headers[headers.index(headers.startIndex, offsetBy: index)]
            return self.keeps(name: name, value: value, found: &found)
        }
    }

    /// Writes the fields that go on, line by line (a head that did not come from our parser
    /// as it is, or whose `Connection` names other fields).
    private func writeFields(of headers: HTTPHeaders, hints: FieldHints?, found: inout Found, into buffer: inout ByteBuffer) {
        if let hints {
            found.removesClose = hints.removesClose
        } else {
            // Fields the `Connection` headers name, wherever they come (never the framing or
            // `Host`: see ``HopByHop/neverNamedByConnection``).
            for (name, value) in headers where HeaderName.equals(name, "connection") {
                HopByHop.collectNames(inConnectionValue: value, into: &found.connectionTokens)
            }
        }
        var index = -1
        for (name, value) in headers {
            index += 1
            if let hints, !hints.isSpecial(index) {
                if found.rules?.drops(name) != true {
                    HTTP1Serializer.writeField(name, value, into: &buffer)
                }
                continue
            }
            if self.keeps(name: name, value: value, found: &found) {
                HTTP1Serializer.writeField(name, value, into: &buffer)
            }
        }
    }

    /// Whether a field goes on as it is; notes in `found` what it says.
    private func keeps(name: String, value: String, found: inout Found) -> Bool {
        if let rules = found.rules, rules.drops(name) {
            return false  // never a framing or hop-by-hop name (the configuration refuses them)
        }
        if HeaderName.equals(name, "host") {  // the one special field of nearly every request, first
            found.host = value
            return true
        }
        if found.tracksRequestID, name.utf8.count == 12, HeaderName.equals(name, "x-request-id") {
            // One acceptable id goes on; a second, or one that is not, is dropped (and made).
            guard found.requestID == nil, RequestIDGenerator.isAcceptable(value) else { return false }
            found.requestID = .client(value)
            return true
        }
        if HeaderName.equals(name, "x-forwarded-for") {
            if found.trusted {
                found.forwardedFor.append(contentsOf: value.split(separator: ",").map { $0.trimmingSpaces() })
            }
            return false
        }
        if HeaderName.equals(name, "forwarded") {
            if found.trusted { found.forwarded.append(value) }
            return false
        }
        if HeaderName.equals(name, "x-forwarded-proto") || HeaderName.equals(name, "x-forwarded-host")
            || HeaderName.equals(name, "expect")
        {
            return false
        }
        if HeaderName.equals(name, "transfer-encoding") {
            found.chunked = true  // validated earlier: the last coding is `chunked`; written again
            return false
        }
        if HeaderName.equals(name, "content-length") {
            found.hasContentLength = true
            return true
        }
        if HopByHop.isAlwaysRemoved(name) {
            return false
        }
        if found.removesClose && HeaderName.equals(name, "close") {
            return false
        }
        return !found.connectionTokens.contains { HeaderName.equals(name, $0) }
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
