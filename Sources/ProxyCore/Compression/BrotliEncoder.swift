import CBrotli
import NIOCore

/// One brotli stream: owns its `BrotliEncoderState`, freed in `deinit` (the only owner).
final class BrotliEncoder {
    private let state: OpaquePointer

    /// The window: 2^18 = 256 KiB of history per stream, instead of brotli's 4 MiB default,
    /// so a response being compressed holds a bounded, small amount of memory.
    static let windowBits: UInt32 = 18

    /// `nil` when brotli cannot make the state (out of memory).
    /// - Parameter level: the quality, 0...11.
    init?(level: Int) {
        guard let state = BrotliEncoderCreateInstance(nil, nil, nil) else { return nil }
        self.state = state
        BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, UInt32(level))
        BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, Self.windowBits)
    }

    deinit {
        BrotliEncoderDestroyInstance(self.state)
    }

    /// Compresses `input` (`BROTLI_OPERATION_PROCESS`), and flushes (`BROTLI_OPERATION_FLUSH`)
    /// or ends the stream (`BROTLI_OPERATION_FINISH`), appending to `output`.
    func encode(_ input: ByteBuffer, _ step: CompressionStep, into output: inout ByteBuffer) throws(CompressionError) {
        let finish = step == .finish
        let operation: BrotliEncoderOperation
        switch step {
        case .process: operation = BROTLI_OPERATION_PROCESS
        case .flush: operation = BROTLI_OPERATION_FLUSH
        case .finish: operation = BROTLI_OPERATION_FINISH
        }
        let state = self.state
        var failed = false
        input.withUnsafeReadableBytes { bytes in
            var availableIn = bytes.count
            var nextIn: UnsafePointer<UInt8>? = bytes.bindMemory(to: UInt8.self).baseAddress
            var room = max(4096, bytes.count / 4)
            while true {
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { space in
                    var availableOut = space.count
                    var nextOut: UnsafeMutablePointer<UInt8>? = space.bindMemory(to: UInt8.self).baseAddress
                    if BrotliEncoderCompressStream(state, operation, &availableIn, &nextIn, &availableOut, &nextOut, nil) == 0 {
                        failed = true
                    }
                    return space.count - availableOut
                }
                room = 4096
                if failed { return }
                let more = BrotliEncoderHasMoreOutput(state) != 0
                if finish {
                    if BrotliEncoderIsFinished(state) != 0 && !more { return }
                } else if availableIn == 0 && !more {
                    return
                }
            }
        }
        if failed {
            throw CompressionError(coding: .br, detail: "BrotliEncoderCompressStream failed")
        }
    }
}

@available(*, unavailable)
extension BrotliEncoder: Sendable {}
