/// The response bytes one stream has written that have not yet left the connection (they wait
/// for the client's window, or for the socket), and whether the stream is writable: what a
/// swift-nio-http2 stream channel told its handler through `isWritable`, now that streams are
/// driven without them (decision 0034).
///
/// Past `highWatermark` bytes the stream is not writable (the session stops reading its
/// target) until fewer than `lowWatermark` remain. Only the writes that may change that need
/// to hear when they have gone: a write that reaches the high watermark, and every write while
/// not writable, asks for a completion (``wrote(_:)`` returns its mark); the completion of such
/// a write confirms every byte up to its mark (a stream's frames leave in order). A small
/// response never reaches the watermark and costs no completion. Pure.
struct HTTP2OutboundBacklog: Equatable {
    /// swift-nio-http2's defaults for a stream channel's outbound buffer.
    static let highWatermark = 8196
    static let lowWatermark = 4092

    /// DATA bytes written on the stream so far.
    private(set) var written = 0
    /// Bytes known to have left.
    private(set) var confirmed = 0
    private(set) var isWritable = true

    var pending: Int { self.written - self.confirmed }

    /// `count` DATA bytes are written: the mark to confirm when the write completes, when it
    /// needs a completion (`nil`: it does not).
    mutating func wrote(_ count: Int) -> Int? {
        self.written += count
        if self.isWritable && self.pending < Self.highWatermark { return nil }
        self.isWritable = false
        return self.written
    }

    /// A write whose mark was `mark` completed (sent, or dropped with its stream): whether the
    /// stream became writable.
    mutating func completed(through mark: Int) -> Bool {
        self.confirmed = max(self.confirmed, min(mark, self.written))
        guard !self.isWritable, self.pending < Self.lowWatermark else { return false }
        self.isWritable = true
        return true
    }
}
