/// One inbound flow-control window (a stream's, or the connection's) and when to open it again:
/// the WINDOW_UPDATE increments swift-nio-http2's stream channels computed, now that streams are
/// driven without them (decision 0034).
///
/// swift-nio-http2 reports each window's size after every DATA frame
/// (`NIOHTTP2WindowUpdatedEvent.inboundWindowSize`); the bytes a stream holds back because its
/// target takes nothing yet (``held(_:)``) count as not yet consumed, so a paused stream's window
/// runs out and its client stops sending on it. A window is topped up to `target` once it is
/// below half of it (as swift-nio-http2's `InboundWindowManager`), so a client sending steadily
/// gets one WINDOW_UPDATE per half window, not one per frame. Once the client ended its side of
/// a stream (``remoteEnded()``), that stream's window is never opened again: swift-nio-http2
/// refuses a WINDOW_UPDATE on a half-closed (remote) stream, as its own stream channels never
/// send one (`windowManager.closed`). Pure.
struct HTTP2InboundWindow: Equatable {
    /// The window kept open ahead of what was consumed.
    let target: Int
    /// The size swift-nio-http2 last reported (`nil`: none yet).
    private var lastSize: Int?
    /// Bytes received but held back, not yet consumed.
    private(set) var heldBytes = 0
    /// The client ended its side (a frame with END_STREAM came): no more increments.
    private(set) var isClosed = false

    init(target: Int) {
        self.target = max(0, min(target, Int(Int32.max)))
    }

    /// The window's size is now `size` (a DATA frame came, or a WINDOW_UPDATE went): the
    /// increment to send, if any.
    mutating func sizeChanged(to size: Int) -> Int? {
        self.lastSize = size
        return self.increment(window: size + self.heldBytes)
    }

    /// The initial window changed by `delta` (our SETTINGS were acknowledged): it applies to the
    /// current window too.
    mutating func initialSizeChanged(by delta: Int) -> Int? {
        guard let last = self.lastSize else { return nil }
        return self.sizeChanged(to: last + delta)
    }

    /// The client ended its side of the stream: nothing more comes, no update is sent.
    mutating func remoteEnded() {
        self.isClosed = true
    }

    /// `count` bytes arrived but are held back.
    mutating func held(_ count: Int) {
        self.heldBytes += count
    }

    /// `count` held bytes were consumed at last: the increment to send, if any.
    mutating func released(_ count: Int) -> Int? {
        self.heldBytes = max(0, self.heldBytes - count)
        guard let last = self.lastSize else { return nil }
        return self.increment(window: last + self.heldBytes)
    }

    /// Nothing below half the target: no update; otherwise the distance to the target (bounded
    /// to what a WINDOW_UPDATE can carry when the window went below zero).
    private func increment(window: Int) -> Int? {
        if self.isClosed { return nil }
        if window >= self.target { return nil }
        if window >= 0 {
            let increment = self.target - window
            return increment >= window ? increment : nil
        }
        return min(-window + self.target, Int(Int32.max))
    }
}
