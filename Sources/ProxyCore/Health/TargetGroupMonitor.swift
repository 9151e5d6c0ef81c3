public import Logging
import NIOConcurrencyHelpers
public import NIOCore

/// Keeps the health of one target group's targets: runs the active health checks, applies
/// passive outlier ejection, logs every transition, and publishes the result to each event
/// loop's ``TargetGroupLoopState``.
///
/// Runs on one "home" event loop. The event loops serving requests never wait for it: they read
/// the last published statuses, which it pushes to them with `execute` on every change, so the
/// request path takes no lock.
///
/// > Important: Create every loop state with ``makeLoopState(on:)`` before ``start()``.
public final class TargetGroupMonitor: @unchecked Sendable {
    // Mutable state is confined to `home` (checked in debug builds); setup (before `start`) is
    // single-threaded. That is why the type can be @unchecked Sendable.
    public let group: TargetGroup
    private let home: any EventLoop
    private let prober: (any HealthProber)?
    private let logger: Logger
    private var loopStates: [TargetGroupLoopState] = []
    private var machines: [String: HealthStateMachine] = [:]
    private var statuses: [String: TargetStatus] = [:]
    private var outliers: OutlierDetector
    private var probeTask: RepeatedTask?
    private var ejectionTimer: Scheduled<Void>?
    private var probing: Set<String> = []
    /// Set once by ``stop()``; read from any loop so nothing is scheduled on loops that are
    /// shutting down.
    private let stopped = NIOLockedValueBox(false)
    private let published: NIOLockedValueBox<[TargetStatus]>

    public init(group: TargetGroup, home: any EventLoop, prober: (any HealthProber)?, logger: Logger) {
        self.group = group
        self.home = home
        self.prober = group.healthCheck == nil ? nil : prober
        self.logger = logger
        self.outliers = OutlierDetector(settings: group.outlierDetection)
        var initial: [TargetStatus] = []
        for target in group.targets {
            let status: TargetStatus
            if let check = group.healthCheck, self.prober != nil {
                self.machines[target.id] = HealthStateMachine(
                    healthyThreshold: check.healthyThreshold,
                    unhealthyThreshold: check.unhealthyThreshold,
                    atStartup: true
                )
                status = TargetStatus(target: target, health: .unknown)
            } else {
                status = TargetStatus(target: target, health: .healthy)
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

    /// Every target's status, in group order. Safe from any thread.
    public func status() -> [TargetStatus] {
        self.published.withLockedValue { $0 }
    }

    /// Probes every target at once, then every `interval`.
    public func start() {
        guard let check = self.group.healthCheck, self.prober != nil else { return }
        self.home.execute {
            self.probeAll()
            self.probeTask = self.home.scheduleRepeatedTask(initialDelay: check.interval, delay: check.interval) { _ in
                self.probeAll()
            }
        }
    }

    public func stop() {
        self.stopped.withLockedValue { $0 = true }
        self.home.execute {
            self.probeTask?.cancel()
            self.ejectionTimer?.cancel()
        }
    }

    // MARK: Active health checks

    private func probeAll() {
        guard !self.isStopped, let check = self.group.healthCheck, let prober = self.prober else { return }
        for target in self.group.targets where !self.probing.contains(target.id) {
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
        guard status.health != .draining else {
            self.statuses[target.id] = status
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
        self.logTransition(target, from: old, to: status.health, reason: "\(result)")
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
                groupSize: self.group.targets.count
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

    private func orderedStatuses() -> [TargetStatus] {
        self.group.targets.compactMap { self.statuses[$0.id] }
    }

    /// Counters and last probe changed, serving set did not: only the status view needs it.
    private func publishStatusOnly() {
        let ordered = self.orderedStatuses()
        self.published.withLockedValue { $0 = ordered }
    }

    private var isStopped: Bool { self.stopped.withLockedValue { $0 } }

    private func publish() {
        let ordered = self.orderedStatuses()
        self.published.withLockedValue { $0 = ordered }
        guard !self.isStopped else { return }
        for state in self.loopStates {
            state.eventLoop.execute { state.update(ordered) }
        }
    }

    private func logTransition(_ target: Target, from old: TargetHealth, to new: TargetHealth, reason: String) {
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
