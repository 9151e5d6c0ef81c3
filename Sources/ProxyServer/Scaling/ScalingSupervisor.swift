public import Logging
public import ProxyConfig
public import ProxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Evaluates the `scaling` rules of every target group on a timer and runs the hooks of the
/// rules that fire.
///
/// Every ``interval`` it asks `sample` for one ``ScalingSample`` per target group, turns each
/// group's sample and the one before it into ``ScalingMetricValues``, feeds each rule's metric to
/// that rule's ``ScalingRuleStateMachine``, and hands every firing to the hook runner, which runs
/// the hooks in the background. A group missing from the samples is skipped for that tick.
///
/// Rule state (pending since, fired at, last firing for the cooldown) lives in this object only.
/// On a configuration reload the owner cancels the running ``run()`` and starts a new supervisor
/// for the new configuration: every rule starts again from armed, with no cooldown, and the
/// first tick only records a baseline for the rate and latency metrics. A crossing that lasts
/// through a reload may therefore fire once more.
public actor ScalingSupervisor {
    /// Returns the current sample of each target group, by name.
    public typealias Sampler = @Sendable () async -> [String: ScalingSample]

    private struct Watch {
        var targetGroup: String
        var configuration: ScalingRuleConfiguration
        var machine: ScalingRuleStateMachine
    }

    /// Time between two evaluations.
    public nonisolated let interval: Duration
    /// Whether any target group has a rule. Without one ``run()`` returns at once.
    public nonisolated let hasRules: Bool

    private var watches: [Watch]
    private var previous: [String: (sample: ScalingSample, at: Duration)] = [:]
    private let sample: Sampler
    private let hooks: any ScalingHookRunner
    private let logger: Logger
    private let wallClock: @Sendable () -> Int64

    /// - Parameters:
    ///   - targetGroups: The groups whose `scaling` rules to evaluate; groups without rules are ignored.
    ///   - sample: Takes a snapshot of every group's traffic. Called once per tick.
    ///   - interval: Time between two evaluations. Also the window of the rate and latency metrics.
    ///   - hooks: Runs the hooks of a firing. `nil` for ``SystemScalingHookRunner``, logging to `logger`.
    ///   - logger: Receives a notice for each firing.
    ///   - wallClock: Seconds since 1970 in UTC, for the payload's `fired_at`. `nil` for the system clock.
    public init(
        targetGroups: [TargetGroupConfiguration],
        sample: @escaping Sampler,
        interval: Duration = .seconds(1),
        hooks: (any ScalingHookRunner)? = nil,
        logger: Logger,
        wallClock: (@Sendable () -> Int64)? = nil
    ) {
        precondition(interval > .zero, "the evaluation interval must be positive")
        self.watches = targetGroups.flatMap { group in
            group.scaling.map { rule in
                Watch(
                    targetGroup: group.name,
                    configuration: rule,
                    machine: ScalingRuleStateMachine(rule: ScalingRule(rule))
                )
            }
        }
        self.hasRules = !self.watches.isEmpty
        self.sample = sample
        self.interval = interval
        self.hooks = hooks ?? SystemScalingHookRunner(logger: logger)
        self.logger = logger
        self.wallClock = wallClock ?? { Int64(time(nil)) }
    }

    /// Ticks every ``interval`` until the calling task is cancelled.
    ///
    /// The first tick happens at once. Hooks that are still running when the task is cancelled
    /// run to completion.
    public func run() async {
        guard self.hasRules else { return }
        let clock = ContinuousClock()
        let start = clock.now
        while !Task.isCancelled {
            await self.tick(now: start.duration(to: clock.now))
            do {
                try await Task.sleep(for: self.interval)
            } catch {
                return
            }
        }
    }

    /// Samples every group once, evaluates every rule, and starts the hooks of those that fire.
    ///
    /// - Parameter now: Monotonic time of this evaluation; must not go backwards between calls.
    ///   The rate metric's window is the time since the previous tick.
    /// - Returns: The firings, in rule order (also handed to the hook runner).
    @discardableResult
    public func tick(now: Duration) async -> [ScalingFiring] {
        let samples = await self.sample()
        var values: [String: (ScalingMetricValues, ScalingSample)] = [:]
        var firings: [ScalingFiring] = []
        for index in self.watches.indices {
            let group = self.watches[index].targetGroup
            if values[group] == nil, let current = samples[group] {
                let previous = self.previous[group]
                let window = previous.map { now - $0.at } ?? .zero
                let metrics = ScalingMetricValues(previous: previous?.sample, current: current, elapsed: window)
                values[group] = (metrics, current)
                self.previous[group] = (current, now)
            }
            guard let (metrics, current) = values[group] else { continue }
            let rule = self.watches[index].machine.rule
            guard case .fire(let value) = self.watches[index].machine.evaluate(value: metrics[rule.metric], now: now)
            else { continue }
            let configuration = self.watches[index].configuration
            let firing = ScalingFiring(
                targetGroup: group,
                rule: rule.name,
                condition: configuration.summary,
                metric: configuration.condition.metric.rawValue,
                value: value,
                threshold: rule.threshold,
                targets: current.targets,
                healthyTargets: current.healthyTargets,
                firedAt: self.wallClock(),
                exec: configuration.exec,
                webhook: configuration.webhook
            )
            self.logger.notice(
                "scaling rule fired",
                metadata: [
                    "target_group": "\(group)",
                    "rule": "\(rule.name)",
                    "condition": "\(configuration.summary)",
                    "value": "\(ScalingFiring.format(value))",
                ]
            )
            self.hooks.start(firing)
            firings.append(firing)
        }
        return firings
    }
}
