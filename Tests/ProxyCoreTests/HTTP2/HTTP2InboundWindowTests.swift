import Testing

@testable import ProxyCore

struct HTTP2InboundWindowTests {
    @Test func nothingIsSentUntilTheWindowIsBelowHalfItsTarget() {
        var window = HTTP2InboundWindow(target: 65_535)
        #expect(window.sizeChanged(to: 65_535 - 16_384) == nil)
        #expect(window.sizeChanged(to: 32_768) == nil)
        #expect(window.sizeChanged(to: 32_767) == 32_768)  // back to the target
    }

    @Test func heldBytesAreNotConsumedUntilReleased() {
        var window = HTTP2InboundWindow(target: 65_535)
        window.held(40_000)
        #expect(window.sizeChanged(to: 25_535) == nil)  // 40,000 held: the client may not send more
        #expect(window.released(10_000) == nil)  // 35,535 counted: still above half
        #expect(window.released(30_000) == 40_000)  // all consumed: open to the target again
        #expect(window.heldBytes == 0)
    }

    @Test func aStreamTheClientEndedIsNeverOpenedAgain() {
        var window = HTTP2InboundWindow(target: 65_535)
        window.held(40_000)
        #expect(window.sizeChanged(to: 25_535) == nil)
        window.remoteEnded()
        #expect(window.released(40_000) == nil)  // would be 40,000 on a stream still open
        #expect(window.sizeChanged(to: 10_000) == nil)
        #expect(window.initialSizeChanged(by: -20_000) == nil)
    }

    @Test func oneUpdateIsInFlightAtATime() {
        var window = HTTP2InboundWindow(target: 65_535)
        #expect(window.sizeChanged(to: 30_000) == 35_535)
        // Parked (the socket is not writable): swift-nio-http2's reports do not count it yet.
        #expect(window.sizeChanged(to: 20_000) == nil)
        #expect(window.sizeChanged(to: 10_000) == nil)
        #expect(window.released(0) == nil)
        // Forwarded (its report counts it), then written: nothing more is due.
        #expect(window.sizeChanged(to: 45_535) == nil)
        #expect(window.updateWritten() == nil)
        #expect(window.sizeChanged(to: 30_000) == 35_535)  // the next one
        #expect(window.updateWritten() == nil)  // written before any report: counted as sent
    }

    @Test func aWindowBelowZeroIsBroughtBackToTheTarget() {
        var window = HTTP2InboundWindow(target: 16_384)
        #expect(window.sizeChanged(to: -1_000) == 17_384)
    }

    @Test func aTargetBelowTheDefaultWindowWaitsUntilTheWindowIsBelowHalfOfIt() {
        // The RFC's 64 KiB initial window, a 16 KiB target (decision 0017): no update while the
        // client uses its first 64 KiB, then updates keep it at 16 KiB.
        var window = HTTP2InboundWindow(target: 16_384)
        #expect(window.sizeChanged(to: 65_535 - 16_384) == nil)
        #expect(window.sizeChanged(to: 16_384) == nil)
        #expect(window.sizeChanged(to: 8_000) == 8_384)
    }

    @Test func aChangedInitialWindowAppliesToTheCurrentOne() {
        var window = HTTP2InboundWindow(target: 1_048_576)
        #expect(window.initialSizeChanged(by: 100) == nil)  // no size reported yet
        #expect(window.sizeChanged(to: 1_048_576) == nil)
        #expect(window.initialSizeChanged(by: -600_000) == 600_000)
    }
}

struct HTTP2OutboundBacklogTests {
    @Test func smallWritesNeedNoCompletion() {
        var backlog = HTTP2OutboundBacklog()
        #expect(backlog.wrote(64) == nil)
        #expect(backlog.wrote(4_000) == nil)
        #expect(backlog.isWritable)
    }

    @Test func pastTheHighWatermarkItIsNotWritableUntilBelowTheLowOne() {
        var backlog = HTTP2OutboundBacklog()
        #expect(backlog.wrote(8_000) == nil)
        #expect(backlog.wrote(1_000) == 9_000)  // past 8,196: this write's completion is wanted
        #expect(!backlog.isWritable)
        #expect(backlog.wrote(100) == 9_100)  // every write while not writable
        #expect(backlog.completed(through: 9_000) == true)  // 100 left, below 4,092
        #expect(backlog.isWritable)
        #expect(backlog.completed(through: 9_100) == false)  // already writable
        #expect(backlog.pending == 0)
    }

    @Test func aCompletionThatLeavesTooMuchKeepsItNotWritable() {
        var backlog = HTTP2OutboundBacklog()
        #expect(backlog.wrote(10_000) == 10_000)
        #expect(backlog.wrote(10_000) == 20_000)
        #expect(backlog.completed(through: 10_000) == false)  // 10,000 still pending
        #expect(!backlog.isWritable)
        #expect(backlog.completed(through: 20_000) == true)
    }
}
