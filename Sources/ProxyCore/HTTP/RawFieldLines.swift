import NIOCore
import NIOHTTP1

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
    /// copy, then the bytes of `suffix` (lines of our own) in the same reservation.
    /// - Parameter keeps: Given each line's index and the line without its line end.
    static func copy(
        _ block: ByteBuffer,
        appending suffix: ByteBuffer? = nil,
        into buffer: inout ByteBuffer,
        keeps: (_ index: Int, _ line: UnsafeRawBufferPointer) -> Bool
    ) {
        block.withUnsafeReadableBytes { bytes in
            let suffixCount = suffix?.readableBytes ?? 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count + suffixCount) { target in
                var written = 0
                if let base = bytes.baseAddress {
                    written = Self.copyLines(from: base, count: bytes.count, to: target, keeps: keeps)
                }
                if let suffix, suffixCount > 0 {
                    suffix.withUnsafeReadableBytes { (target.baseAddress! + written).copyMemory(from: $0.baseAddress!, byteCount: suffixCount) }
                    written += suffixCount
                }
                return written
            }
        }
    }

    /// The lines of `base[0..<count]` that `keeps` keeps, copied to `target`; returns how many
    /// bytes.
    @inline(__always)
    private static func copyLines(
        from base: UnsafeRawPointer,
        count: Int,
        to target: UnsafeMutableRawBufferPointer,
        keeps: (_ index: Int, _ line: UnsafeRawBufferPointer) -> Bool
    ) -> Int {
        let bytes = UnsafeRawBufferPointer(start: base, count: count)
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

    /// The name of a validated field line (a colon ends it).
    @inline(__always)
    static func name(of line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var colon = 0
        while line[colon] != UInt8(ascii: ":") { colon += 1 }
        return UnsafeRawBufferPointer(rebasing: line[0..<colon])
    }

    /// The value of a validated field line whose name is `nameCount` bytes: after the colon,
    /// without the whitespace around it.
    static func value(of line: UnsafeRawBufferPointer, nameCount: Int) -> UnsafeRawBufferPointer {
        var valueStart = nameCount + 1
        var valueEnd = line.count
        while valueStart < valueEnd && (line[valueStart] == UInt8(ascii: " ") || line[valueStart] == UInt8(ascii: "\t")) {
            valueStart += 1
        }
        while valueEnd > valueStart && (line[valueEnd - 1] == UInt8(ascii: " ") || line[valueEnd - 1] == UInt8(ascii: "\t")) {
            valueEnd -= 1
        }
        return UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
    }

    /// The fields of validated lines, as the parser makes them: the value without the
    /// whitespace around it.
    static func headers(of block: ByteBuffer) -> HTTPHeaders {
        var fields: [(String, String)] = []
        Self.forEachLine(of: block) { _, line in
            let name = Self.name(of: line)
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: Self.value(of: line, nameCount: name.count), as: UTF8.self)))
        }
        return HTTPHeaders(fields)
    }

    /// Each validated line of `block`, without its line end, with its index.
    static func forEachLine(of block: ByteBuffer, _ body: (Int, UnsafeRawBufferPointer) -> Void) {
        block.withUnsafeReadableBytes { bytes in
            var lineStart = 0
            var index = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while bytes[lineEnd] != UInt8(ascii: "\r") { lineEnd += 1 }
                body(index, UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd]))
                lineStart = lineEnd + 2
                index += 1
            }
        }
    }
}
