import NIOCore

/// A message head an encoder wrote without a promise, held until the next part or a flush: a
/// small body that follows is copied after it, and both go out as one buffer (one write through
/// the channel, one `iovec` or TLS record, instead of two). What both encoders share.
struct HeldHead {
    private var buffer: ByteBuffer?

    /// Holds `head` (the previous one must have been taken).
    mutating func hold(_ head: ByteBuffer) {
        precondition(self.buffer == nil, "a held head was not written")
        self.buffer = head
    }

    /// The held head with `body` copied after it, when a head is held and `body` is a buffer of
    /// at most ``HTTP1Serializer/chunkCopyLimit`` bytes; `nil` otherwise (nothing changes).
    mutating func take(with body: IOData) -> ByteBuffer? {
        guard var head = self.buffer, case .byteBuffer(var bytes) = body,
            bytes.readableBytes <= HTTP1Serializer.chunkCopyLimit
        else {
            return nil
        }
        self.buffer = nil
        head.writeBuffer(&bytes)
        return head
    }

    /// Writes the held head, if any, on `context` (before anything else is written or flushed).
    mutating func write(on context: ChannelHandlerContext) {
        if let head = self.buffer {
            self.buffer = nil
            context.write(NIOAny(IOData.byteBuffer(head)), promise: nil)
        }
    }

    /// Drops the held head (the handler is leaving the pipeline).
    mutating func drop() {
        self.buffer = nil
    }
}
