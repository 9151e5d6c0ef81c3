import NIOCore
import NIOHTTP1

/// Writes HTTP/1 message heads and chunk framing into `ByteBuffer`s: what ``HTTP1ResponseSerializer``
/// and ``UpstreamConnection`` share.
///
/// A head's field lines are copied into the buffer's room, then into space reserved a kilobyte
/// at a time, not with one `ByteBuffer` write (with its bounds and uniqueness checks) per name,
/// separator, value and line end; the framing headers are noted in the same pass (a second
/// pass over the headers costs a retain and release of every name and value). Each line is
/// checked to fit before it is copied, in release builds too. Header names and values are
/// written as they are: they were validated when they were received (``RequestValidator``, the
/// strict response parser) or configured
/// ([decision 0007](../../../docs/decisions/0007-no-outbound-header-revalidation.md)).
enum HTTP1Serializer {
    /// The framing headers of a head, found while its fields were written
    /// (``writeFields(startLine:headers:into:)``).
    struct Framing {
        var hasContentLength = false
        var hasTransferEncoding = false
        /// Where the field lines start in the buffer.
        var fieldsStart = 0
    }

    /// Which framing headers of the message to leave out.
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

        /// Whether a head with `framing` has a line to leave out.
        func applies(to framing: Framing) -> Bool {
            switch self {
            case .none: false
            case .transferEncoding: framing.hasTransferEncoding
            case .contentLengthAndTransferEncoding: framing.hasTransferEncoding || framing.hasContentLength
            }
        }
    }

    static let chunkedField: StaticString = "transfer-encoding: chunked\r\n"

    /// Writes a line end into the buffer's room: `writeStaticString` and `writeInteger` both
    /// go through `ByteBuffer`'s non-inlined copy (~110 instructions for two bytes).
    @inline(__always)
    static func writeCRLF(into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 2) { target in
            target[0] = UInt8(ascii: "\r")
            target[1] = UInt8(ascii: "\n")
            return 2
        }
    }

    /// Space reserved at a time for field lines; a longer line gets its own.
    private static let fieldSpace = 1024

    /// Writes `startLine` (with its line end) and a line for every field of `headers`; the
    /// head is not finished until ``finishHead(_:omit:addChunked:into:)``.
    /// - Returns: The framing headers found, for the caller to decide what to omit or add.
    /// - Parameter leading: Writes field lines of its own before those of `headers` (field
    ///   lines copied as received; their framing headers are the caller's to note).
    static func writeFields(
        startLine: (inout ByteBuffer) -> Void,
        leading: (inout ByteBuffer) -> Void = { _ in },
        headers: HTTPHeaders,
        into buffer: inout ByteBuffer
    ) -> Framing {
        startLine(&buffer)
        var framing = Framing(fieldsStart: buffer.writerIndex)
        leading(&buffer)
        var index = headers.startIndex
        while index < headers.endIndex {
            let first = headers[index]
            let needed = first.name.utf8.count + first.value.utf8.count + 4
            // The buffer's own room first (no reallocation), else a kilobyte or the line.
            let space = buffer.writableBytes >= needed ? buffer.writableBytes : max(Self.fieldSpace, needed)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: space) { target in
                var offset = 0
                while index < headers.endIndex {
                    let (name, value) = headers[index]
                    let nameCount = name.utf8.count
                    let size = nameCount + value.utf8.count + 4
                    guard offset + size <= target.count else { break }  // the next round reserves more
                    if nameCount == 14 && HeaderName.equals(name, "content-length") {
                        framing.hasContentLength = true
                    } else if nameCount == 17 && HeaderName.equals(name, "transfer-encoding") {
                        framing.hasTransferEncoding = true
                    }
                    offset += Self.copyUTF8(of: name, to: target, at: offset)
                    offset += Self.copyValueLine(value, to: target, at: offset)
                    headers.formIndex(after: &index)
                }
                return offset
            }
        }
        return framing
    }

    /// Up to five field lines, written in one reservation of a buffer's room.
    struct FieldLines {
        private var names: (StaticString, StaticString, StaticString, StaticString, StaticString) = ("", "", "", "", "")
        private var values: (String, String, String, String, String) = ("", "", "", "", "")
        private var count = 0
        private var size = 0

        /// The bytes ``write(into:)`` writes.
        var byteCount: Int { self.size }

        /// Adds `name: value` (nothing when `value` is `nil`).
        @inline(__always)
        mutating func add(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            switch self.count {
            case 0: (self.names.0, self.values.0) = (name, value)
            case 1: (self.names.1, self.values.1) = (name, value)
            case 2: (self.names.2, self.values.2) = (name, value)
            case 3: (self.names.3, self.values.3) = (name, value)
            default:
                precondition(self.count == 4, "more than five field lines")
                (self.names.4, self.values.4) = (name, value)
            }
            self.count += 1
            self.size += name.utf8CodeUnitCount + value.utf8.count + 4
        }

        func write(into buffer: inout ByteBuffer) {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: self.size) { target in
                var offset = 0
                func line(_ name: StaticString, _ value: String) {
                    let count = name.utf8CodeUnitCount
                    precondition(offset + count + value.utf8.count + 4 <= target.count, "HTTP field line larger than its space")
                    (target.baseAddress! + offset).copyMemory(from: name.utf8Start, byteCount: count)
                    offset += count
                    offset += HTTP1Serializer.copyValueLine(value, to: target, at: offset)
                }
                if self.count > 0 { line(self.names.0, self.values.0) }
                if self.count > 1 { line(self.names.1, self.values.1) }
                if self.count > 2 { line(self.names.2, self.values.2) }
                if self.count > 3 { line(self.names.3, self.values.3) }
                if self.count > 4 { line(self.names.4, self.values.4) }
                return offset
            }
        }
    }

    /// Writes one field line, `name: value` and its line end.
    static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        let size = name.utf8.count + value.utf8.count + 4
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { target in
            let offset = Self.copyUTF8(of: name, to: target, at: 0)
            return offset + Self.copyValueLine(value, to: target, at: offset)
        }
    }

    /// Copies what follows a field's name: `": "`, `value` and the line end, to `target` at
    /// `offset` (the caller made room); returns how many bytes.
    @inline(__always)
    static func copyValueLine(_ value: String, to target: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        target[offset] = UInt8(ascii: ":")
        target[offset + 1] = UInt8(ascii: " ")
        let end = offset + 2 + Self.copyUTF8(of: value, to: target, at: offset + 2)
        target[end] = UInt8(ascii: "\r")
        target[end + 1] = UInt8(ascii: "\n")
        return end + 2 - offset
    }

    /// Finishes a head begun by ``writeFields(startLine:headers:into:)``: drops the framing lines
    /// `omit` names, adds `Transfer-Encoding: chunked` when `addChunked`, and the blank line.
    static func finishHead(_ framing: Framing, omit: Omit, addChunked: Bool, into buffer: inout ByteBuffer) {
        if omit.applies(to: framing) {
            Self.dropLines(after: framing.fieldsStart, omit: omit, in: &buffer)
        }
        if addChunked {
            buffer.writeStaticString(Self.chunkedField)
        }
        Self.writeCRLF(into: &buffer)
    }

    /// Rewrites the field lines from `start` without those `omit` names. Rare (a message framed
    /// twice, or a status without a body that came with framing), so plain and simple: our own
    /// lines are `name: value\r\n`, and names hold no `:`, values no line end.
    private static func dropLines(after start: Int, omit: Omit, in buffer: inout ByteBuffer) {
        guard let written = buffer.getBytes(at: start, length: buffer.writerIndex - start) else { return }
        var kept: [UInt8] = []
        kept.reserveCapacity(written.count)
        var lineStart = 0
        var index = 0
        while index + 1 < written.count {
            if written[index] == UInt8(ascii: "\r") && written[index + 1] == UInt8(ascii: "\n") {
                let line = written[lineStart..<(index + 2)]
                let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
                if !omit.omits(String(decoding: line[lineStart..<colon], as: UTF8.self)) {
                    kept.append(contentsOf: line)
                }
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        buffer.moveWriterIndex(to: start)
        buffer.writeBytes(kept)
    }

    /// `HTTP/1.1 200 OK` and its line end, in one write for HTTP/1.x and a three-digit status.
    static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        let code = status.code
        guard version.major == 1, version.minor <= 1, code >= 100, code <= 999 else {
            Self.writeVersion(version, into: &buffer)
            buffer.writeString(" \(code) \(status.reasonPhrase)\r\n")
            return
        }
        let reason = status.reasonPhrase
        let size = 15 + reason.utf8.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { target in
            var offset = Self.copyVersion(minor: version.minor, to: target)
            target[offset] = UInt8(ascii: " ")
            target[offset + 1] = UInt8(truncatingIfNeeded: 0x30 + code / 100)
            target[offset + 2] = UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10)
            target[offset + 3] = UInt8(truncatingIfNeeded: 0x30 + code % 10)
            target[offset + 4] = UInt8(ascii: " ")
            offset += 5
            offset += Self.copyUTF8(of: reason, to: target, at: offset)
            target[offset] = UInt8(ascii: "\r")
            target[offset + 1] = UInt8(ascii: "\n")
            return offset + 2
        }
    }

    /// `GET /path HTTP/1.1` and its line end, in one write for HTTP/1.x.
    static func writeRequestLine(method: HTTPMethod, uri: String, version: HTTPVersion, into buffer: inout ByteBuffer) {
        let name = method.rawValue
        guard version.major == 1, version.minor <= 1 else {
            buffer.writeString("\(name) \(uri) ")
            Self.writeVersion(version, into: &buffer)
            buffer.writeString("\r\n")
            return
        }
        let size = name.utf8.count + uri.utf8.count + 12
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { target in
            var offset = Self.copyUTF8(of: name, to: target, at: 0)
            target[offset] = UInt8(ascii: " ")
            offset += 1
            offset += Self.copyUTF8(of: uri, to: target, at: offset)
            target[offset] = UInt8(ascii: " ")
            offset += 1
            offset += Self.copyVersion(minor: version.minor, to: UnsafeMutableRawBufferPointer(rebasing: target[offset...]))
            target[offset] = UInt8(ascii: "\r")
            target[offset + 1] = UInt8(ascii: "\n")
            return offset + 2
        }
    }

    /// `HTTP/1.0` or `HTTP/1.1` at the start of `target` (at least 8 bytes); returns 8.
    private static func copyVersion(minor: Int, to target: UnsafeMutableRawBufferPointer) -> Int {
        precondition(target.count >= 8)
        target[0] = UInt8(ascii: "H")
        target[1] = UInt8(ascii: "T")
        target[2] = UInt8(ascii: "T")
        target[3] = UInt8(ascii: "P")
        target[4] = UInt8(ascii: "/")
        target[5] = UInt8(ascii: "1")
        target[6] = UInt8(ascii: ".")
        target[7] = minor == 0 ? UInt8(ascii: "0") : UInt8(ascii: "1")
        return 8
    }

    private static func writeVersion(_ version: HTTPVersion, into buffer: inout ByteBuffer) {
        buffer.writeString("HTTP/\(version.major).\(version.minor)")
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
        Self.writeCRLF(into: &sizeLine)
        if count <= Self.chunkCopyLimit, case .byteBuffer(var bytes) = data {
            sizeLine.writeBuffer(&bytes)
            Self.writeCRLF(into: &sizeLine)
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
        let framing = Self.writeFields(startLine: { $0.writeStaticString("0\r\n") }, headers: trailers, into: &buffer)
        Self.finishHead(framing, omit: .none, addChunked: false, into: &buffer)
        return buffer
    }

    /// Copies the UTF-8 bytes of `text` to `target` at `offset`; returns how many.
    @inline(__always)
    static func copyUTF8(of text: String, to target: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        // Checked by the caller too; in release builds as well (raw buffer subscripts and
        // copies are only checked in debug builds).
        precondition(offset + text.utf8.count <= target.count, "HTTP field line larger than its space")
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
