import NIOCore

/// A one-shot timer that is cheap to move, for timeouts that are reset on every request.
///
/// Arming only records a deadline. At most one task is scheduled on the event loop; when it
/// wakes and the deadline has moved later, it goes back to sleep until the new deadline, so a
/// keep-alive connection re-arming its timer on every request costs no scheduling (and no
/// timer syscalls) on the hot path. Disarming just forgets the deadline.
///
/// > Important: Event-loop bound, like the handler that owns it.
final class LazyTimer {
    private let eventLoop: any EventLoop
    private let onFire: () -> Void
    private var deadline: NIODeadline?
    private var scheduledFor: NIODeadline?
    private var task: Scheduled<Void>?

    /// - Parameter onFire: Called on the event loop when an armed deadline passes.
    init(eventLoop: any EventLoop, onFire: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onFire = onFire
    }

    var isArmed: Bool { self.deadline != nil }

    /// Fires `onFire` after `delay`, replacing any earlier arming.
    func arm(in delay: TimeAmount) {
        let deadline = self.eventLoop.now + delay
        self.deadline = deadline
        if let scheduled = self.scheduledFor, scheduled <= deadline {
            return  // the sleeping task wakes first and re-arms for the rest
        }
        self.schedule(at: deadline)
    }

    /// Forgets the deadline; a sleeping task wakes and finds nothing to do.
    func disarm() {
        self.deadline = nil
    }

    /// Forgets the deadline and cancels the sleeping task (when the owner goes away).
    func cancel() {
        self.deadline = nil
        self.scheduledFor = nil
        self.task?.cancel()
        self.task = nil
    }

    private func schedule(at deadline: NIODeadline) {
        self.task?.cancel()
        self.scheduledFor = deadline
        self.task = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.wake()
        }
    }

    private func wake() {
        self.scheduledFor = nil
        self.task = nil
        guard let deadline = self.deadline else { return }
        if self.eventLoop.now < deadline {
            self.schedule(at: deadline)
        } else {
            self.deadline = nil
            self.onFire()
        }
    }
}
