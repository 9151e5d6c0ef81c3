import NIOCore
import NIOHTTP1

/// Writes HTTP/1 message heads and chunk framing into `ByteBuffer`s: what ``HTTP1ResponseEncoder``
/// and ``HTTP1RequestEncoder`` share.
///
/// A head is measured first and then copied in one pass into space reserved once, instead of
/// one `ByteBuffer` write (with its bounds and uniqueness checks) per name, separator, value and
/// line end. Header names and values are written as they are: they were validated when they
/// were received (``RequestValidator``, the strict response parser) or configured
/// ([decision 0007](../../../docs/decisions/0007-no-outbound-header-revalidation.md)).
enum HTTP1Serializer {
    /// The framing headers of a head and the size of its fields, found in one pass over them.
    struct Framing {
        var hasContentLength = false
        var hasTransferEncoding = false
        /// Bytes of every `name: value` line, and of the framing ones.
        fileprivate var fieldBytes = 0
        fileprivate var contentLengthBytes = 0
        fileprivate var transferEncodingBytes = 0

        init(_ headers: HTTPHeaders) {
            for (name, value) in headers {
                let bytes = name.utf8.count + value.utf8.count + 4
                self.fieldBytes += bytes
                if HeaderName.equals(name, "content-length") {
                    self.hasContentLength = true
                    self.contentLengthBytes += bytes
                } else if HeaderName.equals(name, "transfer-encoding") {
                    self.hasTransferEncoding = true
                    self.transferEncodingBytes += bytes
                }
            }
        }

        /// Bytes of the lines written when `omit` drops some.
        func bytes(omitting omit: Omit) -> Int {
            switch omit {
            case .none: self.fieldBytes
            case .transferEncoding: self.fieldBytes - self.transferEncodingBytes
            case .contentLengthAndTransferEncoding: self.fieldBytes - self.transferEncodingBytes - self.contentLengthBytes
            }
        }
    }

    /// Which framing headers of the message to leave out while writing it.
    enum Omit {
        case none
        case transferEncoding
        case contentLengthAndTransferEncoding

        func omits(_ name: String) -> Bool {
            switch self {
            case .none:
                return false
            case .transferEncoding:
                return HeaderName.equals(name, "transfer-encoding")
            case .contentLengthAndTransferEncoding:
                return HeaderName.equals(name, "transfer-encoding") || HeaderName.equals(name, "content-length")
            }
        }
    }

    static let chunkedField = "transfer-encoding: chunked\r\n"

    /// Writes `startLine` (without its line end), the headers (minus those `omit` drops), the
    /// `Transfer-Encoding: chunked` field when `addChunked`, and the blank line.
    /// - Parameter framing: Found in `headers` (``Framing/init(_:)``).
    static func writeHead(
        startLine: (inout ByteBuffer) -> Void,
        headers: HTTPHeaders,
        framing: Framing,
        omit: Omit,
        addChunked: Bool,
        into buffer: inout ByteBuffer
    ) {
        let size = framing.bytes(omitting: omit) + 2 + (addChunked ? Self.chunkedField.utf8.count : 0)
        startLine(&buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { target in
            var offset = 0
            func copy(_ text: String) {
                offset += Self.copyUTF8(of: text, to: target, at: offset)
            }
            func copy(_ byte0: UInt8, _ byte1: UInt8) {
                // The size was measured in the same terms; checked anyway, in release builds too
                // (raw buffer subscripts are only checked in debug builds).
                precondition(offset + 2 <= target.count, "HTTP head larger than measured")
                target[offset] = byte0
                target[offset + 1] = byte1
                offset += 2
            }
            for (name, value) in headers where !omit.omits(name) {
                copy(name)
                copy(UInt8(ascii: ":"), UInt8(ascii: " "))
                copy(value)
                copy(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            }
            if addChunked {
                copy(Self.chunkedField)
            }
            copy(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            return offset
        }
    }

    /// `HTTP/1.1 200 OK` (no line end).
    static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        Self.writeVersion(version, into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        let code = status.code
        if code >= 100 && code <= 999 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 100))
            buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10))
            buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code % 10))
        } else {
            buffer.writeString(String(code))
        }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(status.reasonPhrase)
    }

    /// `GET /path HTTP/1.1` (no line end).
    static func writeRequestLine(method: HTTPMethod, uri: String, version: HTTPVersion, into buffer: inout ByteBuffer) {
        buffer.writeString(method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(uri)
        buffer.writeInteger(UInt8(ascii: " "))
        Self.writeVersion(version, into: &buffer)
    }

    private static func writeVersion(_ version: HTTPVersion, into buffer: inout ByteBuffer) {
        switch (version.major, version.minor) {
        case (1, 1): buffer.writeStaticString("HTTP/1.1")
        case (1, 0): buffer.writeStaticString("HTTP/1.0")
        default: buffer.writeString("HTTP/\(version.major).\(version.minor)")
        }
    }

    /// Writes a body part on `context`: as one chunk when `chunked` (an empty part is no chunk,
    /// it would end the body), as it is otherwise. `promise` completes with the last write.
    static func writeBody(_ body: IOData, chunked: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard chunked && body.readableBytes > 0 else {
            context.write(NIOAny(body), promise: promise)
            return
        }
        Self.writeChunk(body, allocator: context.channel.allocator) { part, isLast in
            context.write(NIOAny(part), promise: isLast ? promise : nil)
        }
    }

    /// Writes the end of a message on `context`: the last chunk and the trailers when `chunked`;
    /// otherwise nothing, but a `promise` still completes in order with the writes before it.
    static func writeEnd(trailers: HTTPHeaders?, chunked: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if chunked {
            let last = Self.writeLastChunk(trailers: trailers, allocator: context.channel.allocator)
            context.write(NIOAny(IOData.byteBuffer(last)), promise: promise)
        } else if let promise {
            context.write(NIOAny(IOData.byteBuffer(ByteBuffer())), promise: promise)
        }
    }

    /// Chunk data of at most this size is copied next to its size line and line end (one buffer
    /// to write); larger data is written as it is between two small buffers.
    static let chunkCopyLimit = 4096

    /// Writes `data` as one chunk; `write` is called with each buffer in order, and told which
    /// is the last (the one to carry the caller's promise).
    static func writeChunk(_ data: IOData, allocator: ByteBufferAllocator, write: (IOData, _ isLast: Bool) -> Void) {
        let count = data.readableBytes
        var sizeLine = allocator.buffer(capacity: 20 + (count <= Self.chunkCopyLimit ? count : 0))
        sizeLine.writeString(String(count, radix: 16))
        sizeLine.writeStaticString("\r\n")
        if count <= Self.chunkCopyLimit, case .byteBuffer(var bytes) = data {
            sizeLine.writeBuffer(&bytes)
            sizeLine.writeStaticString("\r\n")
            write(.byteBuffer(sizeLine), true)
            return
        }
        write(.byteBuffer(sizeLine), false)
        write(data, false)
        // The size line's own line end closes the chunk: same storage, no new buffer.
        var end = sizeLine
        end.moveReaderIndex(forwardBy: end.readableBytes - 2)
        write(.byteBuffer(end), true)
    }

    /// The last chunk, the trailers if any, and the blank line.
    static func writeLastChunk(trailers: HTTPHeaders?, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let trailers, !trailers.isEmpty else {
            var buffer = allocator.buffer(capacity: 5)
            buffer.writeStaticString("0\r\n\r\n")
            return buffer
        }
        var buffer = allocator.buffer(capacity: 64)
        Self.writeHead(
            startLine: { $0.writeStaticString("0") },
            headers: trailers,
            framing: Framing(trailers),
            omit: .none,
            addChunked: false,
            into: &buffer
        )
        return buffer
    }

    /// Copies the UTF-8 bytes of `text` to `target` at `offset`; returns how many.
    @inline(__always)
    private static func copyUTF8(of text: String, to target: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        precondition(offset + text.utf8.count <= target.count, "HTTP head larger than measured")
        if let count = text.utf8.withContiguousStorageIfAvailable({ bytes -> Int in
            UnsafeMutableRawBufferPointer(rebasing: target[offset..<(offset + bytes.count)]).copyMemory(from: UnsafeRawBufferPointer(bytes))
            return bytes.count
        }) {
            return count
        }
        var index = offset
        for byte in text.utf8 {
            target[index] = byte
            index += 1
        }
        return index - offset
    }
}
