import NIOCore

/// Response fields the proxy keeps and sends many times — a stored response's (``StoredResponse``),
/// a static file's (``StaticFileCache``) — encoded once as HTTP/1 field lines with their
/// ``FieldHints``, and sent as a target's lines are (``RawResponseFields``): the response
/// rewriter of the listener or route still applies to every response, and only what depends
/// on the request is made per response (decision 0029, 0028).
struct PreparedFields: Sendable {
    /// The field lines, each ending in CRLF, in a buffer of exactly their size.
    let block: ByteBuffer
    let hints: FieldHints
    /// A `Content-Length` is among them.
    let hasContentLength: Bool

    /// Encodes `fields` (validated names and values: the proxy's own, or a parsed response's).
    init(_ fields: some Sequence<(String, String)>) {
        var size = 0
        for (name, value) in fields {
            size += name.utf8.count + value.utf8.count + 4
        }
        var block = ByteBufferAllocator().buffer(capacity: size)
        var hints = FieldHints()
        var hasContentLength = false
        var index = 0
        for (name, value) in fields {
            if let first = name.utf8.first, index < 64, FieldHints.mayBeSpecial(length: name.utf8.count, first: first) {
                hints.special |= 1 << UInt64(index)
            }
            if name.utf8.count == 14, HeaderName.equals(name, "content-length") {
                hasContentLength = true
            }
            HTTP1Serializer.writeField(name, value, into: &block)
            index += 1
        }
        self.block = block
        self.hints = hints
        self.hasContentLength = hasContentLength
    }

    /// The bytes held (for a memory bound).
    var size: Int { self.block.storageCapacity }

    /// The lines as a response head's copied lines, less what `rewriter` removes, then its
    /// `Server` line and fixed fields.
    func raw(rewriter: ResponseHeaderRewriter) -> RawResponseFields {
        RawResponseFields(block: self.block, hints: self.hints, hasContentLength: self.hasContentLength, rewriter: rewriter)
    }

    /// ``raw(rewriter:)`` with field lines made for one response after them (a cache hit's
    /// `Age` and `Cache-Status`: `lines` writes them, each with its line end), in one buffer:
    /// one copy of the block instead of an `HTTPHeaders` of their own. They are not marked
    /// special, so the rewriter only checks them against its stripped names (as it would).
    func raw(rewriter: ResponseHeaderRewriter, appending lines: (inout ByteBuffer) -> Void) -> RawResponseFields {
        var block = ByteBufferAllocator().buffer(capacity: self.block.readableBytes + 96)
        block.writeImmutableBuffer(self.block)
        lines(&block)
        return RawResponseFields(block: block, hints: self.hints, hasContentLength: self.hasContentLength, rewriter: rewriter)
    }
}
