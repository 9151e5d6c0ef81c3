import CZlib
import NIOCore

/// One gzip stream (zlib's `deflate` with the gzip wrapper): owns its `z_stream`, freed in
/// `deinit` (the only owner; the stream's address never changes, as zlib requires).
final class GzipEncoder {
    private let stream: UnsafeMutablePointer<z_stream>

    /// `nil` when zlib cannot make the stream (out of memory).
    /// - Parameter level: 1...9.
    init?(level: Int) {
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // windowBits 15 + 16: the gzip wrapper; memLevel 8: zlib's default (256 KiB per stream).
        let status = deflateInit2_(
            self.stream,
            Int32(level),
            Z_DEFLATED,
            15 + 16,
            8,
            Z_DEFAULT_STRATEGY,
            ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size)
        )
        guard status == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Compresses `input` (`Z_NO_FLUSH`), and flushes (`Z_SYNC_FLUSH`: the client can decode
    /// everything sent so far) or ends the stream (`Z_FINISH`), appending to `output`.
    func encode(_ input: ByteBuffer, _ step: CompressionStep, into output: inout ByteBuffer) throws(CompressionError) {
        let finish = step == .finish
        let flush: Int32
        switch step {
        case .process: flush = Z_NO_FLUSH
        case .flush: flush = Z_SYNC_FLUSH
        case .finish: flush = Z_FINISH
        }
        let stream = self.stream
        var status = Z_OK
        input.withUnsafeReadableBytes { bytes in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = UInt32(bytes.count)
            // Room for a well-compressed part at once (a quarter of it, at least 4 KiB); more
            // rounds when the data compresses less.
            var room = max(4096, bytes.count / 4)
            repeat {
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { space in
                    stream.pointee.next_out = space.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = UInt32(min(space.count, Int(UInt32.max)))
                    let before = stream.pointee.avail_out
                    status = deflate(stream, flush)
                    return Int(before - stream.pointee.avail_out)
                }
                room = max(4096, Int(stream.pointee.avail_in) / 2)
                // More output is pending while zlib filled all the room it was given.
            } while (status == Z_OK && stream.pointee.avail_out == 0) || (finish && status == Z_OK)
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
            stream.pointee.avail_in = 0
        }
        // Z_BUF_ERROR: nothing left to do for this flush; not an error.
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw CompressionError(coding: .gzip, detail: "deflate returned \(status)")
        }
    }
}

@available(*, unavailable)
extension GzipEncoder: Sendable {}
