public import NIOCore

/// One event loop's view of a target group: the published target statuses, this loop's
/// balancing policy instance, in-flight counts and retry budget.
///
/// Everything here is touched only on ``eventLoop``, so picking a target takes no lock.
/// In-flight counts and `max_connections` are per event loop (like nginx workers without a
/// shared zone); with one loop per core that is per core.
public final class TargetGroupLoopState: @unchecked Sendable {
    // Confined to `eventLoop` after setup; see the type comment.
    public let group: TargetGroup
    public let eventLoop: any EventLoop
    private weak var monitor: TargetGroupMonitor?
    private(set) var statuses: [TargetStatus]
    private var picker: any TargetPicker
    /// Requests in flight by target key (``TargetKeys``), and the ids of the keys counted.
    private var inFlight: [Int] = []
    private var inFlightIDs: [String?] = []
    private var failureStreak: [String: Int] = [:]
    private var retryBudget: RetryBudget

    init(monitor: TargetGroupMonitor, eventLoop: any EventLoop, statuses: [TargetStatus]) {
        self.group = monitor.group
        self.monitor = monitor
        self.eventLoop = eventLoop
        self.statuses = statuses
        self.picker = monitor.group.policy.makePicker()
        self.retryBudget = RetryBudget(percent: monitor.group.retries.budgetPercent)
    }

    /// Replaces the statuses with a newer publication from the monitor.
    func update(_ statuses: [TargetStatus]) {
        self.statuses = statuses
    }

    /// Requests in flight from this loop, by target id (targets with none are left out).
    public var inFlightCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for (key, count) in self.inFlight.enumerated() where count > 0 {
            if let id = self.inFlightIDs[key] { counts[id] = count }
        }
        return counts
    }

    /// Requests in flight to `target` from this loop.
    public func inFlight(to target: Target) -> Int {
        target.key < self.inFlight.count ? self.inFlight[target.key] : 0
    }

    /// One array per group and loop, refilled by every ``pick(for:excluding:)``.
    private var candidateScratch: [BalancingCandidate] = []

    /// Picks the target for a request.
    ///
    /// Candidates are serving targets (healthy or not yet probed, not ejected) below their
    /// `max_connections`, minus `excluded` (targets already tried for this request). When none
    /// is serving, `all_unhealthy: fail_open` falls back to every target; `reject` gives `nil`.

    func pick(for request: RequestKey, excluding excluded: [String] = []) -> Target? {
        let now = NIODeadline.now()
        var candidates = self.candidateScratch  // taken, so the picker borrows it while we own it
        self.candidateScratch = []
        defer {
            candidates.removeAllKeepingCapacity()
            self.candidateScratch = candidates
        }
        candidates.reserveCapacity(self.statuses.count)
        for status in self.statuses where status.isServing && !excluded.contains(status.target.id) {
            if let candidate = self.candidate(status, now: now) {
                candidates.append(candidate)
            }
        }
        if candidates.isEmpty && self.group.allUnhealthy == .failOpen
            && !self.statuses.contains(where: { $0.isServing })
        {
            for status in self.statuses where status.health != .draining && !excluded.contains(status.target.id) {
                if let candidate = self.candidate(status, now: now) {
                    candidates.append(candidate)
                }
            }
        }
        return self.picker.pick(from: candidates, for: request)
    }

    private func candidate(_ status: TargetStatus, now: NIODeadline) -> BalancingCandidate? {
        let load = self.inFlight(to: status.target)
        if let limit = status.target.maxConnections, load >= limit {
            return nil
        }
        let since = status.healthySince.map { Duration.nanoseconds(Int64((now - $0).nanoseconds)) }
        let weight = self.group.slowStart.effectiveWeight(status.target.weight, sinceHealthy: since)
        return BalancingCandidate(target: status.target, weight: weight, inFlight: load)
    }

    /// The serving target whose name is `name`, for stickiness.
    func servingTarget(named name: String) -> Target? {
        guard let status = self.statuses.first(where: { $0.target.name == name }), status.isServing else { return nil }
        if let limit = status.target.maxConnections, self.inFlight(to: status.target) >= limit {
            return nil
        }
        return status.target
    }

    /// Whether another target than those in `excluded` could take a retry.
    func hasAlternative(excluding excluded: [String]) -> Bool {
        self.statuses.contains { !excluded.contains($0.target.id) && $0.health != .draining }
    }

    func recordRequest() {
        self.retryBudget.recordRequest()
    }

    func tryConsumeRetry() -> Bool {
        self.retryBudget.tryConsumeRetry()
    }

    /// A request to `target` started.
    func begin(_ target: Target) {
        self.inFlight.grow(toInclude: target.key, with: 0)
        self.inFlightIDs.grow(toInclude: target.key, with: nil)
        self.inFlight[target.key] += 1
        if self.inFlightIDs[target.key] == nil {
            self.inFlightIDs[target.key] = target.id
        }
    }

    /// A request to `target` ended. `success` is `nil` when the outcome says nothing about the
    /// target (the client went away), else whether the target answered without a 5xx.
    func end(_ target: Target, success: Bool?) {
        if target.key < self.inFlight.count && self.inFlight[target.key] > 0 {
            self.inFlight[target.key] -= 1
        }
        guard let success else { return }
        self.recordOutcome(of: target, success: success)
    }

    /// A connect to `target` failed (no request was in flight there).
    func connectFailed(_ target: Target) {
        self.recordOutcome(of: target, success: false)
    }

    private func recordOutcome(of target: Target, success: Bool) {
        if success {
            // Usually no target is on a failure streak: no lookup then.
            if !self.failureStreak.isEmpty, self.failureStreak.removeValue(forKey: target.id) != nil {
                self.monitor?.reportOutcome(of: target, success: true)
            }
        } else {
            self.failureStreak[target.id, default: 0] += 1
            self.monitor?.reportOutcome(of: target, success: false)
        }
    }
}
