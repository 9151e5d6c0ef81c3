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
/// send one (`windowManager.closed`).
///
/// One update is in flight at a time: swift-nio-http2 parks a WINDOW_UPDATE in its control-frame
/// buffer while the socket is not writable, and its count of the window changes only when it is
/// forwarded, so each report until then would grant the same bytes again. Nothing is computed
/// from the moment an increment is returned until ``updateWritten()``. Pure.
struct HTTP2InboundWindow: Equatable {
    /// The window kept open ahead of what was consumed.
    let target: Int
    /// The size swift-nio-http2 last reported (`nil`: none yet).
    private var lastSize: Int?
    /// Bytes received but held back, not yet consumed.
    private(set) var heldBytes = 0
    /// The client ended its side (a frame with END_STREAM came): no more increments.
    private(set) var isClosed = false
    /// An increment was returned and its WINDOW_UPDATE is not written yet.
    private(set) var updateInFlight = false

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

    /// The WINDOW_UPDATE of the last increment was written (or failed): the increment to send
    /// next, if any.
    mutating func updateWritten() -> Int? {
        self.updateInFlight = false
        guard let last = self.lastSize else { return nil }
        return self.increment(window: last + self.heldBytes)
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
    /// The window counts as opened by it from now (swift-nio-http2's report then says so too),
    /// so a recomputation before that report grants nothing twice.
    private mutating func increment(window: Int) -> Int? {
        if self.isClosed || self.updateInFlight { return nil }
        let increment: Int
        if window >= self.target { return nil }
        if window >= 0 {
            increment = self.target - window
            guard increment >= window else { return nil }
        } else {
            increment = min(-window + self.target, Int(Int32.max))
        }
        self.updateInFlight = true
        self.lastSize = window - self.heldBytes + increment
        return increment
    }
}
