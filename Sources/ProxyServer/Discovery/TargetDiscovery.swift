import Foundation
import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyCore
import ProxyDefaults

/// Keeps one target group's DNS targets in step with DNS: one task per group (not per event
/// loop) resolves each `dns:`/`srv:` entry when it is due (``RefreshSchedule``), and carries out
/// what ``TargetDiscoveryState`` makes of the answer through the group's monitor (register,
/// drain, attach, weight, deregister), through the server's operation gate, like an operator's
/// change (decision 0032).
///
/// Survives reloads: the server hands it the group's new entries and resolvers
/// (``update(sources:resolver:)``), and the targets it found are carried into a replaced
/// monitor (``carriedTargets(excluding:)``).
final class TargetDiscovery: Sendable {
    /// The last resolution of one entry, for the admin API.
    struct Report: Sendable {
        var source: String
        /// Wall-clock time of the last try.
        var at: Date
        /// Of the last try; `nil` when it succeeded.
        var error: String?
        /// The last good answer (kept through failures).
        var answer: [String]
        var ttl: UInt32?
        var lastSuccess: Date?
        /// Targets the last good answer named beyond the entry's `max_targets`.
        var cut = 0
    }

    /// The hooks into the server, as values.
    struct Context: Sendable {
        var operations: AsyncGate
        /// The group's monitor now (reloads replace it).
        var monitor: @Sendable () -> TargetGroupMonitor?
        var metrics: ServerMetrics
        var logger: Logger
    }

    private struct Shared {
        var sources: [TargetDiscoveryConfiguration]
        var resolver: DNSResolver
        var state = TargetDiscoveryState()
        var due: [ContinuousClock.Instant]
        var reports: [Report?]
        var firstRoundDone = false
        var task: Task<Void, Never>?
    }

    let groupName: String
    private let context: Context
    private let shared: NIOLockedValueBox<Shared>
    /// Longest sleep of the loop, so a reload's new entries are asked for soon.
    private static let tick = Duration.milliseconds(250)

    init(group: String, sources: [TargetDiscoveryConfiguration], resolver: DNSResolver, context: Context) {
        self.groupName = group
        self.context = context
        self.shared = NIOLockedValueBox(
            Shared(
                sources: sources,
                resolver: resolver,
                due: Array(repeating: .now, count: sources.count),
                reports: Array(repeating: nil, count: sources.count)
            )
        )
    }

    /// Starts the loop (its first round resolves every entry).
    func start() {
        let task = Task { await self.run() }
        self.shared.withLockedValue { $0.task = task }
    }

    func stop() {
        self.shared.withLockedValue { $0.task?.cancel() }
    }

    /// Waits until every entry has been resolved once (answer or failure), or `deadline`.
    func waitForFirstRound(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline, !self.shared.withLockedValue({ $0.firstRoundDone }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A reload's entries and resolvers. Entries that stay keep their last answer (renumbered);
    /// every entry is asked again now. Targets now written in the file (`staticIDs`) are the
    /// file's from now on. Call inside the operation gate, once the reload cannot fail.
    func update(sources: [TargetDiscoveryConfiguration], resolver: DNSResolver, staticIDs: Set<String>) {
        self.shared.withLockedValue { shared in
            for id in staticIDs where shared.state.entries[id] != nil {
                shared.state.registrationFailed(id: id)
            }
            var mapping: [Int: Int] = [:]
            for (old, source) in shared.sources.enumerated() {
                if let new = sources.firstIndex(of: source) { mapping[old] = new }
            }
            var reports: [Report?] = Array(repeating: nil, count: sources.count)
            for (old, new) in mapping { reports[new] = shared.reports[old] }
            shared.state.renumber(mapping)
            shared.sources = sources
            shared.resolver = resolver
            shared.reports = reports
            shared.due = Array(repeating: .now, count: sources.count)
        }
    }

    /// The targets the group has from DNS, to put into a monitor that replaces the group's
    /// (a reload), but those now written in the file (`staticIDs`) and those an operator
    /// removed (not in `present`, the ids of the replaced monitor's targets). Call inside the
    /// operation gate.
    func carriedTargets(excluding staticIDs: Set<String>, present: Set<String>?) -> [DiscoveredTarget] {
        let (carried, withdrawn) = self.shared.withLockedValue { shared in
            let withdrawn = present.map { shared.state.withdrawMissing(present: $0) } ?? []
            let carried = shared.state.entries.values.map(\.target).filter { !staticIDs.contains($0.id) }.sorted { $0.id < $1.id }
            return (carried, withdrawn)
        }
        self.logWithdrawn(withdrawn)
        return carried
    }

    private func logWithdrawn(_ ids: [String]) {
        for id in ids {
            self.context.logger.notice(
                "DNS discovery: target removed by an operator; not registered again while DNS names it",
                metadata: ["target_group": "\(self.groupName)", "target": "\(id)"]
            )
        }
    }

    /// Target ids found by DNS, with the entry (`dns:name:port`, `srv:name`) that names them
    /// (the first), and the last resolution of every entry.
    func snapshot() -> (origins: [String: String], reports: [Report]) {
        self.shared.withLockedValue { shared in
            var origins: [String: String] = [:]
            for id in shared.state.entries.keys {
                origins[id] = "dns"
            }
            for (index, source) in shared.sources.enumerated().reversed() {
                for target in shared.state.answers[index] ?? [] { origins[target.id] = source.description }
            }
            let reports = shared.sources.enumerated().map { index, source in
                shared.reports[index] ?? Report(source: source.description, at: Date(timeIntervalSince1970: 0), error: "not resolved yet", answer: [], ttl: nil, lastSuccess: nil)
            }
            return (origins, reports)
        }
    }

    // MARK: The loop

    private func run() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let due = self.shared.withLockedValue { shared in
                shared.due.indices.filter { shared.due[$0] <= now }.map { ($0, shared.sources[$0], shared.resolver) }
            }
            await withTaskGroup(of: Void.self) { group in
                for (index, source, resolver) in due {
                    group.addTask { await self.resolve(index, source: source, resolver: resolver) }
                }
            }
            self.shared.withLockedValue { $0.firstRoundDone = true }
            if self.shared.withLockedValue({ $0.state.isDraining }) {
                await self.finishDrains()
            }
            let next = self.shared.withLockedValue { $0.due.min() } ?? (ContinuousClock.now + Self.tick)
            let sleep = min(max(next - ContinuousClock.now, .milliseconds(1)), Self.tick)
            try? await Task.sleep(for: sleep)
        }
    }

    private func resolve(_ index: Int, source: TargetDiscoveryConfiguration, resolver: DNSResolver) async {
        let started = ContinuousClock.now
        let result: Result<(targets: [DiscoveredTarget], ttl: UInt32?, cut: Int), any Error>
        do {
            result = .success(try await resolver.targets(of: source))
        } catch {
            result = .failure(error)
        }
        let elapsed = ContinuousClock.now - started
        let schedule = RefreshSchedule(refresh: source.refresh)
        self.context.metrics.dnsResolution(group: self.groupName, result: Self.resultLabel(result))
        await self.context.operations.withExclusive {
            var cutBefore = 0
            var withdrawn: [String] = []
            // What an operator removed since (the monitor's targets are current inside the gate).
            let present = self.context.monitor().map { Set($0.status().map(\.target.id)) }
            let actions: [TargetDiscoveryState.Action] = self.shared.withLockedValue { shared in
                if let present { withdrawn = shared.state.withdrawMissing(present: present) }
                // A reload may have renumbered or removed the entry meanwhile.
                guard shared.sources.indices.contains(index), shared.sources[index] == source else { return [] }
                var report = shared.reports[index] ?? Report(source: source.description, at: Date(), error: nil, answer: [], ttl: nil, lastSuccess: nil)
                report.at = Date()
                switch result {
                case .success(let answer):
                    shared.due[index] = ContinuousClock.now + schedule.delay(afterAnswerWithTTL: answer.ttl)
                    cutBefore = report.cut
                    report.cut = answer.cut
                    report.error = nil
                    report.answer = answer.targets.map(\.id)
                    report.ttl = answer.ttl
                    report.lastSuccess = report.at
                    shared.reports[index] = report
                    return shared.state.record(answer.targets, source: index, now: Self.uptime())
                case .failure(let error):
                    shared.due[index] = ContinuousClock.now + schedule.delayAfterFailure
                    report.error = "\(error)"
                    shared.reports[index] = report
                    return []
                }
            }
            self.logWithdrawn(withdrawn)
            if case .failure(let error) = result {
                self.context.logger.warning(
                    "DNS resolution failed; keeping the last answer",
                    metadata: ["target_group": "\(self.groupName)", "source": "\(source)", "error": "\(error)"]
                )
            } else if case .success(let answer) = result, answer.cut != cutBefore, answer.cut > 0 {
                // Once per change of the cut, not at every refresh.
                self.context.logger.warning(
                    "DNS answer names more targets than max_targets; the rest are not used",
                    metadata: [
                        "target_group": "\(self.groupName)", "source": "\(source)",
                        "max_targets": "\(source.maxTargets)", "cut": "\(answer.cut)",
                    ]
                )
            } else {
                self.context.logger.debug(
                    "DNS resolution",
                    metadata: [
                        "target_group": "\(self.groupName)", "source": "\(source)",
                        "milliseconds": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
                    ]
                )
            }
            await self.apply(actions)
        }
    }

    private func finishDrains() async {
        guard let monitor = self.context.monitor() else { return }
        let inFlight = await monitor.inFlight()
        await self.context.operations.withExclusive {
            let actions = self.shared.withLockedValue {
                $0.state.finishDrains(inFlight: inFlight, now: Self.uptime(), limit: Defaults.Discovery.drainLimit)
            }
            await self.apply(actions)
        }
    }

    /// Carries out actions on the group's monitor. Runs inside the operation gate.
    private func apply(_ actions: [TargetDiscoveryState.Action]) async {
        guard !actions.isEmpty, let monitor = self.context.monitor() else { return }
        let logger = self.context.logger
        for action in actions {
            do {
                switch action {
                case .register(let target):
                    _ = try await monitor.register(
                        Target(host: target.host, port: target.port, weight: target.weight, name: target.name, maxConnections: target.maxConnections)
                    )
                case .setWeight(let id, let weight):
                    _ = try await monitor.setWeight(id, weight: weight)
                case .drain(let id):
                    _ = try await monitor.drain(id)
                case .attach(let id):
                    _ = try await monitor.attach(id, immediately: false)
                case .deregister(let id):
                    _ = try await monitor.deregister(id)
                }
                logger.notice("DNS discovery", metadata: ["target_group": "\(self.groupName)", "change": "\(action)"])
            } catch {
                // Already a target of the group (written in the file, or registered by an
                // operator), or removed by an operator: DNS leaves it alone from now on.
                if case .register(let target) = action {
                    self.shared.withLockedValue { $0.state.registrationFailed(id: target.id) }
                } else if case .unknownTarget = error as? TargetOperationError {
                    self.shared.withLockedValue { $0.state.withdraw(Self.id(of: action)) }
                }
                logger.notice(
                    "DNS discovery: change not applied",
                    metadata: ["target_group": "\(self.groupName)", "change": "\(action)", "error": "\(error)"]
                )
            }
        }
    }

    private static func id(of action: TargetDiscoveryState.Action) -> String {
        switch action {
        case .register(let target): target.id
        case .setWeight(let id, _), .drain(let id), .attach(let id), .deregister(let id): id
        }
    }

    private static func resultLabel(_ result: Result<(targets: [DiscoveredTarget], ttl: UInt32?, cut: Int), any Error>) -> String {
        switch result {
        case .success(let answer): answer.cut > 0 ? "capped" : answer.targets.isEmpty ? "empty" : "success"
        case .failure(let error as DNSResolverError):
            switch error {
            case .timeout: "timeout"
            case .responseCode: "error_response"
            case .malformed: "malformed"
            case .noResolver: "error"
            }
        case .failure: "error"
        }
    }

    private static func uptime() -> Duration {
        let now = ContinuousClock.now
        return now - Self.origin
    }

    private static let origin = ContinuousClock.now
}
