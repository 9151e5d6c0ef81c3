import CZstd
import NIOCore

/// One zstd frame: owns its `ZSTD_CCtx`, freed in `deinit` (the only owner).
final class ZstdEncoder {
    private let context: OpaquePointer

    /// The window: 2^19 = 512 KiB of history per stream (zstd's level 3 would take up to 2 MiB
    /// for a body of unknown size), so a response being compressed holds bounded memory; well
    /// under the 8 MiB every HTTP zstd decoder must accept (RFC 8878 §3).
    static let windowLog: Int32 = 19

    /// `nil` when zstd cannot make the context (out of memory).
    /// - Parameter level: 1...19.
    init?(level: Int) {
        guard let context = ZSTD_createCCtx() else { return nil }
        self.context = context
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, Self.windowLog)
    }

    deinit {
        ZSTD_freeCCtx(self.context)
    }

    /// Compresses `input` (`ZSTD_e_continue`), and flushes (`ZSTD_e_flush`) or ends the frame
    /// (`ZSTD_e_end`), appending to `output`.
    func encode(_ input: ByteBuffer, _ step: CompressionStep, into output: inout ByteBuffer) throws(CompressionError) {
        let directive: ZSTD_EndDirective
        switch step {
        case .process: directive = ZSTD_e_continue
        case .flush: directive = ZSTD_e_flush
        case .finish: directive = ZSTD_e_end
        }
        let context = self.context
        var failure: String?
        input.withUnsafeReadableBytes { bytes in
            var source = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
            var room = max(4096, bytes.count / 4)
            while true {
                var remaining = 0
                var filled = false
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { space in
                    var destination = ZSTD_outBuffer(dst: space.baseAddress, size: space.count, pos: 0)
                    remaining = ZSTD_compressStream2(context, &destination, &source, directive)
                    filled = destination.pos == destination.size
                    return destination.pos
                }
                if ZSTD_isError(remaining) != 0 {
                    failure = String(cString: ZSTD_getErrorName(remaining))
                    return
                }
                room = 4096
                // Continuing: done once the input is taken and the output was not cut short;
                // flushing or ending: done once nothing remains to be written.
                if source.pos == source.size && (directive == ZSTD_e_continue ? !filled : remaining == 0) { return }
            }
        }
        if let failure {
            throw CompressionError(coding: .zstd, detail: failure)
        }
    }
}

@available(*, unavailable)
extension ZstdEncoder: Sendable {}
