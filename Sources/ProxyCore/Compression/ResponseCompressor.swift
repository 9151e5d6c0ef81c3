public import NIOCore

/// The compressor of one response: made only when a response is compressed (a route or a
/// response without compression has none, and pays for none), fed each body part as it comes
/// and flushed after each, so the client can decode what it has at every point and nothing is
/// held back (memory per response: the library's window and the part being compressed).
///
/// A value holding the one owner of the library's native state (``GzipEncoder``,
/// ``BrotliEncoder``, ``ZstdEncoder``), which frees it when the last copy goes: at the end of
/// the body, and on every other path (client gone, target error) when the session drops it.
public struct ResponseCompressor {
    private enum Encoder {
        case gzip(GzipEncoder)
        case br(BrotliEncoder)
        case zstd(ZstdEncoder)
    }

    private let encoder: Encoder
    public let coding: ContentCoding
    /// Body bytes taken in (from the target) and given out (to the client).
    public private(set) var bytesIn = 0
    public private(set) var bytesOut = 0

    /// `nil` when the library cannot make its state (out of memory): the response is then
    /// sent as it is.
    public init?(coding: ContentCoding, level: Int) {
        switch coding {
        case .gzip:
            guard let encoder = GzipEncoder(level: level) else { return nil }
            self.encoder = .gzip(encoder)
        case .br:
            guard let encoder = BrotliEncoder(level: level) else { return nil }
            self.encoder = .br(encoder)
        case .zstd:
            guard let encoder = ZstdEncoder(level: level) else { return nil }
            self.encoder = .zstd(encoder)
        }
        self.coding = coding
    }

    /// The compressed form of `part`, flushed: everything so far can be decoded from what was
    /// given out. May be empty (a library can hold a few bits until the next flush).
    public mutating func compress(_ part: ByteBuffer, allocator: ByteBufferAllocator) throws(CompressionError) -> ByteBuffer {
        var output = allocator.buffer(capacity: 0)
        try self.encode(part, finish: false, into: &output)
        return output
    }

    /// The end of the compressed stream (the gzip trailer, brotli's last block, zstd's frame
    /// end).
    public mutating func finish(allocator: ByteBufferAllocator) throws(CompressionError) -> ByteBuffer {
        var output = allocator.buffer(capacity: 0)
        try self.encode(ByteBuffer(), finish: true, into: &output)
        return output
    }

    private mutating func encode(_ input: ByteBuffer, finish: Bool, into output: inout ByteBuffer) throws(CompressionError) {
        switch self.encoder {
        case .gzip(let encoder): try encoder.encode(input, finish: finish, into: &output)
        case .br(let encoder): try encoder.encode(input, finish: finish, into: &output)
        case .zstd(let encoder): try encoder.encode(input, finish: finish, into: &output)
        }
        self.bytesIn += input.readableBytes
        self.bytesOut += output.readableBytes
    }
}

@available(*, unavailable)
extension ResponseCompressor: Sendable {}
