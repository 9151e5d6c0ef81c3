/// Which target the request in flight goes to, and its in-flight accounting: the session's
/// target-lease part. It picks with the group's balancing policy (a valid stickiness cookie's
/// target first), never a target this request already tried, and keeps the request counted in
/// its target's in-flight requests from the first pick until ``finish(success:)``.
///
/// The connection itself comes from the loop's ``UpstreamPool``; whether a failed try may be
/// retried is ``ForwardingStateMachine``'s decision, with ``retryAllowed()`` as its input.
struct TargetLease {
    enum Pick {
        case target(Target)
        /// Nothing to pick: why, for the `503`.
        case none(String)
    }

    /// The loop's view of the request's target group; `nil` when the route forwards to none here.
    private(set) var group: TargetGroupLoopState?
    /// The target of the current try.
    private(set) var target: Target?
    /// A stickiness cookie must go with the response (the target was picked, not the cookie's).
    private(set) var setsStickyCookie = false
    private var inFlight = false
    /// Ids of the targets this request tried, in order. A handful at most (`max_tries`), so an
    /// array: no hashing per request.
    private var tried: [String] = []
    private var stickyTarget: String?
    private var key = RequestKey(clientAddress: "-")

    /// A new request for `group`. The previous one must have finished.
    mutating func begin(group: TargetGroupLoopState?, key: RequestKey, stickyTarget: String?) {
        self.group = group
        self.target = nil
        self.setsStickyCookie = false
        self.tried.removeAllKeepingCapacity()
        self.stickyTarget = stickyTarget
        self.key = key
    }

    /// A request answered without a target.
    mutating func beginLocal() {
        self.begin(group: nil, key: self.key, stickyTarget: nil)
    }

    /// The target of the next try: `same` (a fresh connection to it after a stale one), the
    /// cookie's target while it serves and was not tried, else the policy's pick among the
    /// untried. Counts the request in flight on its first pick.
    mutating func pick(same: Target? = nil) -> Pick {
        guard let group = self.group else { return .none("no target group on this event loop") }
        let target: Target
        if let same {
            target = same
        } else if let sticky = self.stickyTarget, !self.tried.contains(sticky),
            let stickyTarget = group.servingTarget(named: sticky), !self.tried.contains(stickyTarget.id)
        {
            target = stickyTarget
        } else if let picked = group.pick(for: self.key, excluding: self.tried) {
            target = picked
            self.setsStickyCookie = group.group.stickiness != nil
        } else {
            return .none("target group \(group.group.name) has no available target")
        }
        if self.inFlight, let current = self.target, current != target {
            group.end(current, success: nil)  // the try moves on without an outcome for it
            self.inFlight = false
        }
        if !self.inFlight {
            group.begin(target)
            self.inFlight = true
        }
        self.target = target
        if !self.tried.contains(target.id) {
            self.tried.append(target.id)
        }
        return .target(target)
    }

    /// Whether another try may go to another target: one exists that was not tried, and the
    /// group's retry budget grants it (which takes from the budget).
    func retryAllowed() -> Bool {
        guard let group = self.group else { return false }
        return group.hasAlternative(excluding: self.tried) && group.tryConsumeRetry()
    }

    /// Ends the current try's in-flight accounting, once. `success` feeds passive health; `nil`
    /// when the outcome says nothing about the target.
    mutating func finish(success: Bool?) {
        guard self.inFlight, let target = self.target else { return }
        self.inFlight = false
        self.group?.end(target, success: success)
    }
}
