import NIOCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A target's response fields as they were received, written to the client as they are, less
/// what the response rewriter removes, instead of being rebuilt field by field (decision 0012).
///
/// The parser validated every line, so each is `name ":" OWS value OWS CRLF` and can be copied
/// verbatim. Fields the parser did not mark special (``FieldHints``) are only checked against
/// the stripped names, by length first; special ones are checked by name as the rewriter does.
/// A head whose `Connection` names other fields has no hints and takes the rebuilding path.
struct RawResponseFields {
    /// The field lines, each ending in CRLF (no start line, no final empty line): a slice of
    /// the received buffer, written before the read returns.
    var block: ByteBuffer
    var hints: FieldHints
    /// A `Content-Length` came (the encoder frames by it; `Transfer-Encoding` never survives).
    var hasContentLength: Bool
    /// What to remove besides hop-by-hop fields, and what to add.
    var rewriter: ResponseHeaderRewriter

    /// Copies the surviving lines into `buffer`, consecutive ones in one copy.
    func write(into buffer: inout ByteBuffer) {
        self.block.withUnsafeReadableBytes { bytes in
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
                    // Lines were validated: a CR ends each, and a colon ends each name.
                    let cr = UnsafeRawPointer(memchr(base + lineStart, 0x0D, bytes.count - lineStart)!) - base
                    var colon = lineStart
                    while bytes[colon] != UInt8(ascii: ":") { colon += 1 }
                    let name = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon])
                    let kept: Bool
                    if self.hints.isSpecial(index) {
                        kept = self.rewriter.keepsField(named: name) && !(self.hints.removesClose && HeaderName.matches(name, "close"))
                    } else {
                        kept = !self.rewriter.strips(name)
                    }
                    if !kept {
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
}
