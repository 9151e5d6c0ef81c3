public import Logging
import NIOConcurrencyHelpers
public import NIOCore

/// Keeps the health of one target group's targets: runs the active health checks, applies
/// passive outlier ejection, carries out operator changes (register, deregister, weight, drain,
/// attach), logs every transition, and publishes the result to each event loop's
/// ``TargetGroupLoopState``.
///
/// Runs on one "home" event loop. The event loops serving requests never wait for it: they read
/// the last published statuses, which it pushes to them with `execute` on every change, so the
/// request path takes no lock.
///
/// > Important: Create every loop state with ``makeLoopState(on:)`` before ``start()``.
public final class TargetGroupMonitor: @unchecked Sendable {
    // Mutable state is confined to `home` (checked in debug builds); setup (before `start`) is
    // single-threaded. That is why the type can be @unchecked Sendable.
    /// The group's settings. Its `targets` are those it started with; the live list is
    /// ``status()``.
    public let group: TargetGroup
    let home: any EventLoop
    let prober: (any HealthProber)?
    let logger: Logger
    var targets: [Target]
    var loopStates: [TargetGroupLoopState] = []
    var machines: [String: HealthStateMachine] = [:]
    var statuses: [String: TargetStatus] = [:]
    var outliers: OutlierDetector
    private var probeTask: RepeatedTask?
    private var recheckTask: RepeatedTask?
    var ejectionTimer: Scheduled<Void>?
    private var probing: Set<String> = []
    /// Targets probed every second until they pass: attached or rechecked after a restart.
    var rechecking: Set<String> = []
    /// The monitor this one replaced (a reload), until the requests it counted have finished:
    /// its loop states still count them, and a drain must wait for them too.
    var predecessor: TargetGroupMonitor?
    /// Set once by ``stop()``; read from any loop so nothing is scheduled on loops that are
    /// shutting down.
    private let stopped = NIOLockedValueBox(false)
    private let published: NIOLockedValueBox<[TargetStatus]>

    /// - Parameter previous: Statuses from the monitor this one replaces (a configuration
    ///   reload); targets that remain keep their health and draining state.
    public init(
        group: TargetGroup,
        home: any EventLoop,
        prober: (any HealthProber)?,
        logger: Logger,
        carryingOver previous: [TargetStatus] = [],
        predecessor: TargetGroupMonitor? = nil
    ) {
        self.predecessor = predecessor
        // One generation back is kept, not a chain growing with every reload.
        if let predecessor {
            predecessor.home.execute { predecessor.predecessor = nil }
        }
        self.group = group
        self.home = home
        self.prober = group.healthCheck == nil ? nil : prober
        self.logger = logger
        self.targets = group.targets
        self.outliers = OutlierDetector(settings: group.outlierDetection)
        let previousByID = Dictionary(previous.map { ($0.target.id, $0) }, uniquingKeysWith: { first, _ in first })
        var initial: [TargetStatus] = []
        for target in group.targets {
            var status: TargetStatus
            if let check = group.healthCheck, self.prober != nil {
                var machine = HealthStateMachine(
                    healthyThreshold: check.healthyThreshold,
                    unhealthyThreshold: check.unhealthyThreshold,
                    atStartup: true
                )
                status = TargetStatus(target: target, health: .unknown)
                if let old = previousByID[target.id] {
                    switch old.checkHealth {
                    case .healthy: machine.markHealthy()
                    case .unhealthy: machine.requireFreshPasses()
                    case .unknown, .draining: break
                    }
                    status.checkHealth = machine.health
                    status.health = old.health == .draining ? .draining : machine.health
                    status.lastProbe = old.lastProbe
                }
                self.machines[target.id] = machine
            } else {
                status = TargetStatus(target: target, health: .healthy)
                if previousByID[target.id]?.health == .draining {
                    status.health = .draining
                }
            }
            self.statuses[target.id] = status
            initial.append(status)
        }
        self.published = NIOLockedValueBox(initial)
    }

    /// The state one event loop uses to pick targets. Call during setup, once per loop.
    public func makeLoopState(on eventLoop: any EventLoop) -> TargetGroupLoopState {
        let state = TargetGroupLoopState(monitor: self, eventLoop: eventLoop, statuses: self.orderedStatuses())
        self.loopStates.append(state)
        return state
    }

    /// The loop state made for `eventLoop` by ``makeLoopState(on:)``.
    public func loopState(on eventLoop: any EventLoop) -> TargetGroupLoopState? {
        self.loopStates.first { $0.eventLoop === eventLoop }
    }

    /// Every target's status, in group order. Safe from any thread.
    public func status() -> [TargetStatus] {
        self.published.withLockedValue { $0 }
    }

    /// Probes every target at once, then every `interval`.
    public func start() {
        guard let check = self.group.healthCheck, self.prober != nil else { return }
        let recheckInterval = min(check.interval, .seconds(1))
        self.home.execute {
            self.probeAll()
            self.probeTask = self.home.scheduleRepeatedTask(initialDelay: check.interval, delay: check.interval) { _ in
                self.probeAll()
            }
            self.recheckTask = self.home.scheduleRepeatedTask(initialDelay: recheckInterval, delay: recheckInterval) { _ in
                self.probe(self.targets.filter { self.rechecking.contains($0.id) })
            }
        }
    }

    public func stop() {
        self.stopped.withLockedValue { $0 = true }
        self.home.execute {
            self.probeTask?.cancel()
            self.recheckTask?.cancel()
            self.ejectionTimer?.cancel()
        }
    }

    var isStopped: Bool { self.stopped.withLockedValue { $0 } }

    // MARK: Active health checks

    private func probeAll() {
        self.probe(self.targets)
    }

    func probe(_ targets: [Target]) {
        guard !self.isStopped, let check = self.group.healthCheck, let prober = self.prober else { return }
        for target in targets where !self.probing.contains(target.id) {
            self.probing.insert(target.id)
            prober.probe(target, settings: check, on: self.home).assumeIsolated().whenComplete { result in
                self.probing.remove(target.id)
                switch result {
                case .success(let probe): self.record(probe, for: target)
                case .failure(let error): self.record(.failed(reason: .error("\(error)")), for: target)
                }
            }
        }
    }

    private func record(_ result: ProbeResult, for target: Target) {
        guard var machine = self.machines[target.id], var status = self.statuses[target.id] else { return }
        let old = machine.health
        let action = machine.record(result)
        self.machines[target.id] = machine
        status.lastProbe = result
        status.consecutivePasses = machine.consecutivePasses
        status.consecutiveFailures = machine.consecutiveFailures
        status.checkHealth = machine.health
        if machine.health == .healthy {
            self.rechecking.remove(target.id)
        }
        guard status.health != .draining else {
            self.statuses[target.id] = status
            if action == .none {
                self.publishStatusOnly()
            } else {
                self.logTransition(target, from: old, to: machine.health, reason: "\(result.description) (draining)")
                self.publishStatusOnly()
            }
            return
        }
        status.health = machine.health
        switch action {
        case .none:
            self.statuses[target.id] = status
            self.publishStatusOnly()
            return
        case .becameHealthy:
            // A target that was serving optimistically from startup needs no ramp.
            status.healthySince = old == .unknown ? nil : .now()
            // Passing active checks outweighs the passive ejection of its dead past.
            if case .unejected = self.outliers.clear(target.id) {
                status.ejectedUntil = nil
            }
        case .becameUnhealthy:
            status.healthySince = nil
        }
        self.statuses[target.id] = status
        self.logTransition(target, from: old, to: status.health, reason: result.description)
        self.publish()
    }

    // MARK: Passive health (outlier ejection)

    /// Called (on any loop) when a request to `target` succeeded or failed. Loops report
    /// failures, and successes only right after failures, so this is not a per-request hop.
    func reportOutcome(of target: Target, success: Bool) {
        guard self.group.outlierDetection.enabled, !self.isStopped else { return }
        self.home.execute {
            let now = Duration.nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds))
            let action = self.outliers.record(
                targetID: target.id,
                success: success,
                now: now,
                groupSize: self.targets.count
            )
            guard case .eject(let id, let until, let count) = action, var status = self.statuses[id] else { return }
            let deadline = NIODeadline.uptimeNanoseconds(UInt64(max(0, until.components.seconds * 1_000_000_000 + until.components.attoseconds / 1_000_000_000)))
            status.ejectedUntil = deadline
            self.statuses[id] = status
            self.logger.notice(
                "target ejected",
                metadata: [
                    "target_group": "\(self.group.name)", "target": "\(id)", "ejections": "\(count)",
                    "for_ms": "\((deadline - .now()).nanoseconds / 1_000_000)",
                    "reason": "consecutive failures",
                ]
            )
            self.publish()
            self.scheduleEjectionExpiry()
        }
    }

    private func scheduleEjectionExpiry() {
        let next = self.statuses.values.compactMap(\.ejectedUntil).min()
        self.ejectionTimer?.cancel()
        guard let next else { return }
        self.ejectionTimer = self.home.scheduleTask(deadline: next) {
            let now = Duration.nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds))
            for action in self.outliers.expire(now: now) {
                guard case .unejected(let id) = action, var status = self.statuses[id] else { continue }
                status.ejectedUntil = nil
                self.statuses[id] = status
                self.logger.notice(
                    "target returned from ejection",
                    metadata: ["target_group": "\(self.group.name)", "target": "\(id)"]
                )
            }
            self.publish()
            self.scheduleEjectionExpiry()
        }
    }

    // MARK: Publishing

    func orderedStatuses() -> [TargetStatus] {
        self.targets.compactMap { self.statuses[$0.id] }
    }

    /// Counters and last probe changed, serving set did not: only the status view needs it.
    func publishStatusOnly() {
        let ordered = self.orderedStatuses()
        self.published.withLockedValue { $0 = ordered }
    }

    func publish() {
        let ordered = self.orderedStatuses()
        self.published.withLockedValue { $0 = ordered }
        guard !self.isStopped else { return }
        for state in self.loopStates {
            state.eventLoop.execute { state.update(ordered) }
        }
    }

    func logTransition(_ target: Target, from old: TargetHealth, to new: TargetHealth, reason: String) {
        let level: Logger.Level = new == .unhealthy ? .warning : .notice
        self.logger.log(
            level: level,
            "target health changed",
            metadata: [
                "target_group": "\(self.group.name)", "target": "\(target.id)",
                "transition": "\(old.rawValue) -> \(new.rawValue)", "reason": "\(reason)",
            ]
        )
    }
}
