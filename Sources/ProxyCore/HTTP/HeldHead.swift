import NIOCore
import NIOHTTP1

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

    /// Writes a body part on `context` after the held head: in the same buffer when a head is
    /// held and the part is not chunked and small, else the head first and the part as
    /// ``HTTP1Serializer/writeBody(_:chunked:context:promise:)`` does.
    mutating func writeBody(_ body: IOData, chunked: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if !chunked, let headAndBody = self.take(with: body) {
            context.write(NIOAny(IOData.byteBuffer(headAndBody)), promise: promise)
        } else {
            self.write(on: context)
            HTTP1Serializer.writeBody(body, chunked: chunked, context: context, promise: promise)
        }
    }

    /// Writes the end of a message on `context` after the held head (see
    /// ``HTTP1Serializer/writeEnd(trailers:chunked:context:promise:)``).
    mutating func writeEnd(trailers: HTTPHeaders?, chunked: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        self.write(on: context)
        HTTP1Serializer.writeEnd(trailers: trailers, chunked: chunked, context: context, promise: promise)
    }

    /// The held head with `body` copied after it, when a head is held and `body` is a buffer of
    /// at most ``HTTP1Serializer/chunkCopyLimit`` bytes; `nil` otherwise (nothing changes).
    private mutating func take(with body: IOData) -> ByteBuffer? {
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
