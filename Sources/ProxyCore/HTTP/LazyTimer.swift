import NIOCore

/// A one-shot timer that is cheap to arm, move and cancel, for timeouts that are reset on every
/// request (header, idle, response).
///
/// It lives in its event loop's ``LoopTimers`` heap, lazily: pushing it later or disarming it
/// only records the new wish (no heap operation, no allocation, no timer syscall); the heap
/// catches up when the old deadline comes due. The owner must ``cancel()`` it when it goes away
/// (handlers do in `handlerRemoved`); until then the heap keeps it. Cancelling also drops the
/// callback, so a callback may hold its owner strongly: the cycle owner → timer → callback →
/// owner ends at the cancel, and a missed cancel leaks rather than calling a freed owner.
///
/// > Important: Event-loop bound, like the handler that owns it.
final class LazyTimer {
    private let timers: LoopTimers
    private var onFire: (() -> Void)?
    /// Set by ``LoopTimers``: its place in the heap (`heapIndex` `nil`: not in the heap). The
    /// place is never later than `wanted`.
    var deadline = NIODeadline.distantFuture
    var heapIndex: Int?
    /// When it should fire; `nil`: disarmed.
    var wanted: NIODeadline?

    /// - Parameter onFire: Called on the event loop when an armed deadline passes.
    init(timers: LoopTimers, onFire: @escaping () -> Void) {
        self.timers = timers
        self.onFire = onFire
    }

    var isArmed: Bool { self.wanted != nil }

    /// Fires `onFire` after `delay`, replacing any earlier arming.
    func arm(in delay: TimeAmount) {
        self.timers.arm(self, at: self.timers.eventLoop.now + delay)
    }

    /// Forgets the deadline; the heap drops the timer when its old place comes due.
    func disarm() {
        self.wanted = nil
    }

    /// Disarms and leaves the heap now: what the owner does when it goes away.
    func cancel() {
        self.wanted = nil
        self.onFire = nil
        self.timers.remove(self)
    }

    /// Called by ``LoopTimers`` once the wanted deadline has passed (already out of the heap).
    func fire() {
        self.onFire?()
    }
}

extension LazyTimer? {
    /// Arms the timer in `delay`, making it first, with the callback `onFire` gives, when there
    /// is none yet: a timer most connections never need (a send or body timeout) is made on
    /// first use, and `onFire` is not called (nor its callback allocated) after that.
    mutating func arm(in delay: TimeAmount, timers: LoopTimers, onFire: () -> () -> Void) {
        if self == nil {
            self = LazyTimer(timers: timers, onFire: onFire())
        }
        self!.arm(in: delay)
    }
}
