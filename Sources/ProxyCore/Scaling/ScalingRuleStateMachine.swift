/// Decides when one scaling rule fires, so that one crossing of the threshold fires once.
///
/// States:
/// - ``State/armed``: the condition does not hold. When an evaluation finds that it does, the
///   rule becomes ``State/pending(since:)``.
/// - ``State/pending(since:)``: the condition has held at every evaluation since `since`. A
///   value that does not meet it goes back to ``State/armed`` (a blip shorter than `for` never
///   fires). Once the condition has held for the rule's `holdFor` *and* `cooldown` has passed
///   since the last firing, the rule fires and becomes ``State/fired(at:)``. If the cooldown has
///   not passed yet, it stays pending and fires as soon as it has, if the condition still holds.
/// - ``State/fired(at:)``: the rule has fired for this crossing and stays quiet however long the
///   crossing lasts. It re-arms only when the value is back past the threshold by the hysteresis
///   band (``ScalingRule/isClear(of:)``), so a value oscillating around the threshold fires once.
///
/// A `nil` value (the metric is unknown for this window, such as a latency with no requests)
/// changes nothing.
///
/// The type is pure: no I/O, no clock. The owner samples on a timer, passes the monotonic time
/// of each evaluation, and carries out the returned ``Action``.
public struct ScalingRuleStateMachine: Sendable {
    public enum State: Equatable, Sendable {
        case armed
        case pending(since: Duration)
        case fired(at: Duration)
    }

    /// What the owner should do after an evaluation.
    public enum Action: Equatable, Sendable {
        case none
        /// Run the rule's hooks. `value` is the metric that made it fire.
        case fire(value: Double)
    }

    public let rule: ScalingRule
    public private(set) var state: State = .armed
    /// When the rule last fired, for the cooldown. Kept across re-arming.
    public private(set) var lastFiring: Duration?

    public init(rule: ScalingRule) {
        self.rule = rule
    }

    /// Feeds in the metric's value at one evaluation.
    ///
    /// - Parameters:
    ///   - value: The metric over the latest window, or `nil` when it is unknown.
    ///   - now: The monotonic time of this evaluation. Must not go backwards.
    /// - Returns: ``Action/fire(value:)`` when the rule fires now, otherwise ``Action/none``.
    public mutating func evaluate(value: Double?, now: Duration) -> Action {
        guard let value else { return .none }
        switch self.state {
        case .armed:
            guard self.rule.holds(for: value) else { return .none }
            self.state = .pending(since: now)
            return self.fireIfDue(value: value, since: now, now: now)
        case .pending(let since):
            guard self.rule.holds(for: value) else {
                self.state = .armed
                return .none
            }
            return self.fireIfDue(value: value, since: since, now: now)
        case .fired:
            if self.rule.isClear(of: value) {
                self.state = .armed
            }
            return .none
        }
    }

    private mutating func fireIfDue(value: Double, since: Duration, now: Duration) -> Action {
        guard now - since >= self.rule.holdFor else { return .none }
        if let lastFiring, now - lastFiring < self.rule.cooldown {
            return .none
        }
        self.state = .fired(at: now)
        self.lastFiring = now
        return .fire(value: value)
    }
}
