import NIOCore

/// A target's response fields as they were received, written to the client as they are, less
/// what the response rewriter removes, instead of being rebuilt field by field (decision 0012).
///
/// The parser validated every line, so each can be copied verbatim (``RawFieldLines``). Fields
/// the parser did not mark special (``FieldHints``) are only checked against the stripped names,
/// by length first; special ones are checked by name as the rewriter does. A head whose
/// `Connection` names other fields, or that repeats its `Content-Length` (which the client must
/// get once), has no hints and takes the rebuilding path.
struct RawResponseFields {
    /// The field lines, each ending in CRLF (no start line, no final empty line): a slice of
    /// the received buffer, written before the read returns.
    var block: ByteBuffer
    var hints: FieldHints
    /// A `Content-Length` came (the encoder frames by it; `Transfer-Encoding` never survives).
    var hasContentLength: Bool
    /// What to remove besides hop-by-hop fields, and the `Server` line to add.
    var rewriter: ResponseHeaderRewriter

    /// Copies the surviving lines into `buffer`, consecutive ones in one copy, then the
    /// rewriter's `Server` line.
    func write(into buffer: inout ByteBuffer) {
        RawFieldLines.copy(self.block, appending: self.rewriter.serverLine, into: &buffer) { index, line in
            let name = RawFieldLines.name(of: line)
            if self.hints.isSpecial(index) {
                return self.rewriter.keepsField(named: name) && !(self.hints.removesClose && HeaderName.matches(name, "close"))
            }
            return !self.rewriter.strips(name)
        }
    }

    /// Each surviving field, as `write(into:)` keeps them (without our `Server` line): its name
    /// and its value without the whitespace around it, as views of the block.
    func forEachKeptField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        RawFieldLines.forEachLine(of: self.block) { index, line in
            let name = RawFieldLines.name(of: line)
            let keeps: Bool
            if self.hints.isSpecial(index) {
                keeps = self.rewriter.keepsField(named: name) && !(self.hints.removesClose && HeaderName.matches(name, "close"))
            } else {
                keeps = !self.rewriter.strips(name)
            }
            if keeps {
                body(name, RawFieldLines.value(of: line, nameCount: name.count))
            }
        }
    }
}
