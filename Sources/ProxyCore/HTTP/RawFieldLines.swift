import NIOCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Field lines as the parser received and validated them: each is `name ":" OWS value OWS
/// CRLF`, so the lines that go on can be copied as they are (decision 0012, 0013).
enum RawFieldLines {
    /// Copies the lines of `block` that `keeps` keeps into `buffer`, consecutive ones in one
    /// copy.
    /// - Parameter keeps: Given each line's index and the line without its line end.
    static func copy(_ block: ByteBuffer, into buffer: inout ByteBuffer, keeps: (_ index: Int, _ line: UnsafeRawBufferPointer) -> Bool) {
        block.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count) { target in
                var written = 0
                func copy(_ range: Range<Int>) {
                    guard !range.isEmpty else { return }
                    (target.baseAddress! + written).copyMemory(from: base + range.lowerBound, byteCount: range.count)
                    written += range.count
                }
                var runStart = 0
                var lineStart = 0
                var index = 0
                while lineStart < bytes.count {
                    // Lines were validated: a CR ends each.
                    let cr = UnsafeRawPointer(memchr(base + lineStart, 0x0D, bytes.count - lineStart)!) - base
                    if !keeps(index, UnsafeRawBufferPointer(rebasing: bytes[lineStart..<cr])) {
                        copy(runStart..<lineStart)
                        runStart = cr + 2
                    }
                    lineStart = cr + 2
                    index += 1
                }
                copy(runStart..<bytes.count)
                return written
            }
        }
    }

    /// The name of a validated field line (a colon ends it).
    @inline(__always)
    static func name(of line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var colon = 0
        while line[colon] != UInt8(ascii: ":") { colon += 1 }
        return UnsafeRawBufferPointer(rebasing: line[0..<colon])
    }
}
