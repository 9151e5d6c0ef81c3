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

    /// Whether parts were taken since the last flush (``flush(allocator:)`` has work to do).
    public private(set) var hasUnflushedInput = false

    /// The compressed form of `part` so far: with `flush`, everything up to here can be decoded
    /// from what was given out; without, the library may keep some of it for the next call (a
    /// flush per part costs CPU: each ends a deflate block and its Huffman tables). May be
    /// empty.
    public mutating func compress(_ part: ByteBuffer, flush: Bool = true, allocator: ByteBufferAllocator) throws(CompressionError) -> ByteBuffer {
        var output = allocator.buffer(capacity: 0)
        try self.encode(part, flush ? .flush : .process, into: &output)
        return output
    }

    /// What the library still holds, flushed: everything taken so far can be decoded from what
    /// was given out.
    public mutating func flush(allocator: ByteBufferAllocator) throws(CompressionError) -> ByteBuffer {
        var output = allocator.buffer(capacity: 0)
        try self.encode(ByteBuffer(), .flush, into: &output)
        return output
    }

    /// The end of the compressed stream (the gzip trailer, brotli's last block, zstd's frame
    /// end).
    public mutating func finish(allocator: ByteBufferAllocator) throws(CompressionError) -> ByteBuffer {
        var output = allocator.buffer(capacity: 0)
        try self.encode(ByteBuffer(), .finish, into: &output)
        return output
    }

    private mutating func encode(_ input: ByteBuffer, _ step: CompressionStep, into output: inout ByteBuffer) throws(CompressionError) {
        switch self.encoder {
        case .gzip(let encoder): try encoder.encode(input, step, into: &output)
        case .br(let encoder): try encoder.encode(input, step, into: &output)
        case .zstd(let encoder): try encoder.encode(input, step, into: &output)
        }
        self.hasUnflushedInput = step == .process
        self.bytesIn += input.readableBytes
        self.bytesOut += output.readableBytes
    }
}

@available(*, unavailable)
extension ResponseCompressor: Sendable {}
