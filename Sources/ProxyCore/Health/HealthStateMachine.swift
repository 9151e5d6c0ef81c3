/// Turns the probe results of one target into health changes, with hysteresis.
///
/// A target becomes healthy after `healthyThreshold` consecutive passing probes and unhealthy
/// after `unhealthyThreshold` consecutive failing ones, so a target whose probes alternate
/// between pass and fail keeps its state (with thresholds above 1).
///
/// Targets configured at startup begin ``TargetHealth/unknown``: they receive requests until
/// their first probe, and that first result decides at once, so a proxy that restarts does not
/// hold back traffic for `healthy_threshold` intervals, nor send it to a target that is down
/// for longer than one. Targets added while running begin ``TargetHealth/unhealthy`` and must
/// pass `healthyThreshold` probes first.
///
/// The type is pure: no I/O, no clock. The health checker that owns it sends probes on a timer,
/// feeds in each result and carries out the returned ``Action``.
public struct HealthStateMachine: Sendable {
    /// What the owner should do after a probe result.
    public enum Action: Equatable, Sendable {
        case none
        /// The target has just become ``TargetHealth/healthy``; put it (back) into rotation.
        case becameHealthy
        /// The target has just become ``TargetHealth/unhealthy``; take it out of rotation.
        case becameUnhealthy
    }

    public private(set) var health: TargetHealth
    /// Passing probes in a row, up to and including the latest; 0 after a failure.
    public private(set) var consecutivePasses = 0
    /// Failing probes in a row, up to and including the latest; 0 after a pass.
    public private(set) var consecutiveFailures = 0
    /// The latest probe result, or `nil` before the first.
    public private(set) var lastResult: ProbeResult?

    private let healthyThreshold: Int
    private let unhealthyThreshold: Int

    /// - Parameters:
    ///   - healthyThreshold: Consecutive passes that make an unhealthy target healthy. At least 1.
    ///   - unhealthyThreshold: Consecutive failures that make a healthy target unhealthy. At least 1.
    ///   - atStartup: `true` for a target from the configuration the proxy started with: it begins
    ///     ``TargetHealth/unknown`` (serving) and its first probe decides. `false` for a target
    ///     added while running: it begins ``TargetHealth/unhealthy``.
    public init(healthyThreshold: Int, unhealthyThreshold: Int, atStartup: Bool) {
        precondition(healthyThreshold > 0 && unhealthyThreshold > 0, "thresholds are validated by ProxyConfig")
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.health = atStartup ? .unknown : .unhealthy
    }

    /// Whether the target may receive requests: ``TargetHealth/unknown`` or ``TargetHealth/healthy``.
    public var isServing: Bool {
        switch self.health {
        case .unknown, .healthy: true
        case .unhealthy, .draining: false
        }
    }

    /// Records one probe result and says whether the target's health changed.
    ///
    /// From ``TargetHealth/unknown`` the result decides at once: a pass returns
    /// ``Action/becameHealthy`` (the target was already serving; the action is for the log), a
    /// failure ``Action/becameUnhealthy``.
    ///
    /// - Parameter result: The outcome of the latest probe.
    /// - Returns: The change to carry out, or ``Action/none``.
    public mutating func record(_ result: ProbeResult) -> Action {
        self.lastResult = result
        let passed = result.isPass
        if passed {
            self.consecutivePasses += 1
            self.consecutiveFailures = 0
        } else {
            self.consecutiveFailures += 1
            self.consecutivePasses = 0
        }
        switch self.health {
        case .unknown:
            self.health = passed ? .healthy : .unhealthy
            return passed ? .becameHealthy : .becameUnhealthy
        case .unhealthy where self.consecutivePasses >= self.healthyThreshold:
            self.health = .healthy
            return .becameHealthy
        case .healthy where self.consecutiveFailures >= self.unhealthyThreshold:
            self.health = .unhealthy
            return .becameUnhealthy
        case .unhealthy, .healthy, .draining:
            return .none
        }
    }

    /// Forgets the passes so far: the target is ``TargetHealth/unhealthy`` until it passes
    /// `healthyThreshold` probes in a row again. Used when a target is attached or rechecked after
    /// a restart, so its old record does not vouch for the new process.
    public mutating func requireFreshPasses() {
        self.health = .unhealthy
        self.consecutivePasses = 0
        self.consecutiveFailures = 0
    }

    /// Declares the target healthy without waiting for probes (an operator's "attach now").
    public mutating func markHealthy() {
        self.health = .healthy
        self.consecutiveFailures = 0
    }
}
