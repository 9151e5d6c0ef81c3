import NIOCore

/// A one-shot timer that is cheap to arm, move and cancel, for timeouts that are reset on every
/// request (header, idle, response).
///
/// It lives in its event loop's ``LoopTimers`` heap: arming or moving it is an O(log n) sift
/// with no allocation and no timer syscall, and the loop keeps one NIO task for all of its
/// timers. The owner must ``disarm()`` it when it goes away (handlers do in `handlerRemoved`);
/// until then the heap keeps it, so its callback should hold the owner weakly.
///
/// > Important: Event-loop bound, like the handler that owns it.
final class LazyTimer {
    private let timers: LoopTimers
    private let onFire: () -> Void
    /// Set by ``LoopTimers``: when it fires, and where it sits in the heap (`nil`: not armed).
    var deadline = NIODeadline.distantFuture
    var heapIndex: Int?

    /// - Parameter onFire: Called on the event loop when an armed deadline passes.
    init(timers: LoopTimers, onFire: @escaping () -> Void) {
        self.timers = timers
        self.onFire = onFire
    }

    var isArmed: Bool { self.heapIndex != nil }

    /// Fires `onFire` after `delay`, replacing any earlier arming.
    func arm(in delay: TimeAmount) {
        self.timers.set(self, deadline: self.timers.eventLoop.now + delay)
    }

    /// Forgets the deadline (also what the owner does when it goes away).
    func disarm() {
        self.timers.remove(self)
    }

    /// Called by ``LoopTimers`` once the deadline has passed (already out of the heap).
    func fire() {
        self.onFire()
    }
}
