import Foundation
public import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyCore
import ProxyDefaults
public import ServiceLifecycle

/// One instance's membership in a fleet: applies each configuration revision and each target
/// operation from etcd, publishes its own view under a lease, and keeps going (serving its last
/// good configuration) while etcd is away. Runs as a `Service` beside the ``ProxyServer``.
public final class FleetMember: Service, Sendable {
    public struct Settings: Sendable {
        public var control: FleetControl
        public var instanceID: String
        /// The local copy of the last configuration applied.
        public var localCopy: String
        /// The revision of the configuration the server starts with (0: a local copy of unknown
        /// revision).
        public var initialRevision: Int64
        public var initialSource: String
        /// The text of the initial revision when it came from etcd: written to the local copy
        /// once the server has started with it (`nil`: the local copy is already it).
        public var initialYAML: String?
        /// How long the instance's view outlives it.
        public var leaseSeconds: Int = Defaults.Fleet.leaseSeconds
        public var publishInterval: Duration = Defaults.Fleet.publishInterval
        public var retryInterval: Duration = Defaults.Fleet.retryInterval
        /// The fleet secret that seals the shared session-ticket keys; `nil`: keys are not
        /// shared (each instance keeps its own).
        public var ticketSecret: [UInt8]?
        public var ticketRotation: Duration = Defaults.Fleet.ticketRotation
        public var ticketRetention: Int = Defaults.Fleet.ticketRetention
        public var ticketCheckInterval: Duration = Defaults.Fleet.ticketCheckInterval

        public init(control: FleetControl, instanceID: String, localCopy: String, initialRevision: Int64, initialSource: String) {
            self.control = control
            self.instanceID = instanceID
            self.localCopy = localCopy
            self.initialRevision = initialRevision
            self.initialSource = initialSource
        }
    }

    struct State {
        var config: FleetConfigState
        var configSource: String
        var targetsRevision: Int64 = 0
        var lease: Int64 = 0
        /// The shared ticket keys installed last (installed again after a reload).
        var ticketKeys: FleetTicketKeys?
        var ticketLeader = false
        /// The view last written under `lease` (written again only when it changes).
        var published: [UInt8]?
    }

    let settings: Settings
    let server: ProxyServer
    let logger: Logger
    let state: NIOLockedValueBox<State>

    public init(settings: Settings, server: ProxyServer, logger: Logger) {
        self.settings = settings
        self.server = server
        self.logger = logger
        self.state = NIOLockedValueBox(State(config: FleetConfigState(appliedRevision: settings.initialRevision), configSource: settings.initialSource))
        server.fleetLink.withLockedValue { $0 = self }
    }

    public var control: FleetControl { self.settings.control }
    var targetsRevision: Int64 { self.state.withLockedValue { $0.targetsRevision } }

    public func run() async throws {
        // The server binds first: the view names its addresses.
        while !self.server.isReady {
            try await Task.sleep(for: .milliseconds(20))
        }
        if let yaml = self.settings.initialYAML {
            self.saveLocalCopy(yaml: yaml, revision: self.settings.initialRevision)
        }
        if self.settings.ticketSecret == nil {
            self.logger.notice(
                "fleet: no --fleet-secret: session-ticket keys are not shared; a ticket resumes only on the instance that issued it"
            )
        }
        await cancelWhenGracefulShutdown {
            await self.session()
        }
        await self.leave()
    }

    /// Connects, catches up, then follows etcd until it goes away; then again, forever.
    private func session() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await self.follow()
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                // Once per outage, then quietly: the log is not for counting retries.
                if failures == 1 {
                    self.logger.warning("fleet: etcd unreachable; serving the last configuration, retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: self.settings.retryInterval)
                continue
            }
        }
    }

    private func follow() async throws {
        let control = self.settings.control
        let lease = try await control.client.grantLease(ttl: self.settings.leaseSeconds)
        self.state.withLockedValue {
            $0.lease = lease
            $0.published = nil
        }
        try await self.publish()
        let (configKey, configRevision) = try await control.client.get(control.keys.config)
        await self.consider(configKey)
        let targetsRevision = try await self.applyAllTargets()
        self.logger.notice(
            "fleet: following etcd",
            metadata: ["fleet": "\(control.keys.fleet)", "config_revision": "\(self.state.withLockedValue { $0.config.appliedRevision })"]
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await self.followConfiguration(from: configRevision + 1) }
            tasks.addTask { try await self.followTargets(from: targetsRevision + 1) }
            tasks.addTask { try await self.keepPublishing(lease: lease) }
            if let secret = self.settings.ticketSecret {
                tasks.addTask { try await self.followTicketKeys(secret: secret) }
                tasks.addTask { try await self.leadTicketRotation(secret: secret, lease: lease) }
            }
            // The first to end (etcd gone) ends the others: the session starts over.
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    private func followConfiguration(from revision: Int64) async throws {
        let key = self.settings.control.keys.config
        for try await update in self.settings.control.client.watch(prefix: key, from: revision) {
            switch update {
            case .created: continue
            case .cancelled(let reason): throw EtcdError.watchCancelled(reason)
            case .events(let events, _):
                for event in events where event.keyValue.key == key && event.kind == .put {
                    await self.consider(event.keyValue)
                }
            }
        }
        throw EtcdError.unreachable("the configuration watch ended")
    }

    private func followTargets(from revision: Int64) async throws {
        for try await update in self.settings.control.client.watch(prefix: self.settings.control.keys.targetsPrefix, from: revision) {
            switch update {
            case .created: continue
            case .cancelled(let reason): throw EtcdError.watchCancelled(reason)
            case .events(let events, _):
                for event in events where event.kind == .put {
                    await self.applyTarget(event.keyValue)
                }
                try? await self.publish()
            }
        }
        throw EtcdError.unreachable("the target watch ended")
    }

    /// Checks the view every `publishInterval` and writes it only when it changed (each write is
    /// a new etcd revision: an unchanged view written twice a second would fill etcd); keeps the
    /// lease alive every third of its TTL, timed on the clock, however long the writes take.
    private func keepPublishing(lease: Int64) async throws {
        let keepAliveEvery = Duration.seconds(max(1, self.settings.leaseSeconds / 3))
        var lastKeepAlive = ContinuousClock.now
        while !Task.isCancelled {
            try await Task.sleep(for: min(self.settings.publishInterval, keepAliveEvery))
            if lastKeepAlive.duration(to: .now) >= keepAliveEvery {
                lastKeepAlive = .now
                guard try await self.settings.control.client.keepAlive(lease: lease) else {
                    throw EtcdError.unreachable("the instance's lease expired")
                }
            }
            try await self.publish()
        }
    }

    // MARK: Configuration

    /// Applies a configuration revision exactly as a reload; a bad one changes nothing and is
    /// published in this instance's view.
    func consider(_ keyValue: EtcdKeyValue?) async {
        let decision = self.state.withLockedValue { $0.config.decide(keyValue) }
        guard case .apply(let yaml, let revision) = decision else { return }
        let control = self.settings.control
        do {
            let configuration: ProxyConfiguration
            do {
                configuration = try ProxyConfiguration.parse(
                    yaml: yaml,
                    file: "etcd:\(control.keys.config)@\(revision)",
                    baseDirectory: URL(fileURLWithPath: self.settings.localCopy).deletingLastPathComponent().path
                )
            } catch {
                throw ReloadError.invalid(error.description)
            }
            // The local copy is written before a reload (SIGHUP, POST /reload) can start, so the
            // reload applies this revision again, not the one before.
            try await self.server.apply(configuration) {
                self.state.withLockedValue {
                    $0.config.applied(revision)
                    $0.configSource = "etcd"
                }
                self.saveLocalCopy(yaml: yaml, revision: revision)
            }
            self.logger.notice("fleet: configuration revision applied", metadata: ["revision": "\(revision)"])
            // A listener the revision added starts with keys of its own: give it the fleet's.
            self.installTicketKeys()
            // A new target group may have target operations waiting for it.
            _ = try? await self.applyAllTargets()
        } catch {
            let message = (error as? ReloadError)?.description ?? "\(error)"
            self.state.withLockedValue { $0.config.failed(revision, error: message) }
            self.logger.error("fleet: configuration revision refused; the running configuration is unchanged", metadata: ["revision": "\(revision)"])
        }
        try? await self.publish()
    }

    private func saveLocalCopy(yaml: String, revision: Int64) {
        do {
            try FleetLocalCopy.render(yaml: yaml, revision: revision).write(toFile: self.settings.localCopy, atomically: true, encoding: .utf8)
        } catch {
            self.logger.error("fleet: cannot write the local copy", metadata: ["path": "\(self.settings.localCopy)", "error": "\(error)"])
        }
    }

    // MARK: Targets

    /// Brings every target in line with its record; the revision read at.
    private func applyAllTargets() async throws -> Int64 {
        let (records, revision) = try await self.settings.control.targetRecords()
        for record in records {
            await self.applyTarget(record)
        }
        self.state.withLockedValue { $0.targetsRevision = max($0.targetsRevision, revision) }
        return revision
    }

    private func applyTarget(_ keyValue: EtcdKeyValue) async {
        let prefix = self.settings.control.keys.targetsPrefix
        guard keyValue.key.hasPrefix(prefix),
            let record = try? JSONDecoder().decode(FleetTargetRecord.self, from: Data(keyValue.value))
        else {
            self.logger.warning("fleet: ignoring a malformed target record", metadata: ["key": "\(keyValue.key)"])
            return
        }
        let group = String(keyValue.key.dropFirst(prefix.count).prefix { $0 != "/" })
        await self.server.operations.withExclusive {
            guard let monitor = self.server.monitors.first(where: { $0.group.name == group }) else { return }
            let current = monitor.status().first { $0.target.id == record.target }.map {
                FleetTargetAction.Current(weight: $0.target.weight, draining: $0.health == .draining, serving: $0.isServing)
            }
            for action in FleetTargetAction.plan(record, current: current) {
                do {
                    switch action {
                    case .register(let name, let weight, let maxConnections):
                        guard case .success(let address) = BindAddress.parseTarget(record.target) else { continue }
                        _ = try await monitor.register(
                            Target(host: address.host, port: address.port, weight: weight ?? 1, name: name, maxConnections: maxConnections)
                        )
                    case .deregister: _ = try await monitor.deregister(record.target)
                    case .setWeight(let weight): _ = try await monitor.setWeight(record.target, weight: weight)
                    case .drain: _ = try await monitor.drain(record.target)
                    case .attach(let immediately): _ = try await monitor.attach(record.target, immediately: immediately)
                    }
                } catch {
                    self.logger.warning("fleet: cannot apply a target operation", metadata: ["target": "\(record.target)", "error": "\(error)"])
                }
            }
        }
        self.state.withLockedValue { $0.targetsRevision = max($0.targetsRevision, keyValue.modRevision) }
    }

    /// Waits (up to `timeout`) until this instance has applied the target operations up to
    /// `revision`.
    func waitApplied(_ revision: Int64, timeout: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + timeout
        while self.targetsRevision < revision && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: View

    func view() async -> FleetInstanceView {
        let state = self.state.withLockedValue { $0 }
        var groups: [FleetInstanceView.GroupView] = []
        for monitor in self.server.monitors {
            let inFlight = await monitor.inFlight()
            groups.append(
                FleetInstanceView.GroupView(
                    name: monitor.group.name,
                    targets: monitor.status().map {
                        FleetInstanceView.TargetView(
                            id: $0.target.id, name: $0.target.name, state: $0.health.rawValue, health: $0.checkHealth.rawValue, serving: $0.isServing,
                            inFlight: inFlight[$0.target.id] ?? 0, weight: $0.target.weight
                        )
                    }
                )
            )
        }
        return FleetInstanceView(
            id: self.settings.instanceID,
            listeners: self.server.boundListeners.map { ProxyServer.describe($0.address, fallbackHost: "0.0.0.0") },
            admin: self.server.adminAddress.map { ProxyServer.describe($0, fallbackHost: "127.0.0.1") },
            pid: Int(ProcessInfo.processInfo.processIdentifier),
            ready: self.server.isReady,
            configRevision: state.config.appliedRevision,
            configSource: state.configSource,
            configErrorRevision: state.config.failedRevision,
            configError: state.config.error,
            targetsRevision: state.targetsRevision,
            targetGroups: groups,
            ticketKeysRotatedAt: state.ticketKeys?.rotatedAt,
            ticketLeader: self.settings.ticketSecret == nil ? nil : state.ticketLeader
        )
    }

    /// Writes the view if it differs from the one last written under the current lease.
    private func publish() async throws {
        let lease = self.state.withLockedValue { $0.lease }
        guard lease != 0 else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let value = Array(try encoder.encode(await self.view()))
        guard Self.needsPublishing(value, lease: lease, state: self.state) else { return }
        do {
            try await self.settings.control.client.put(self.settings.control.keys.instance(self.settings.instanceID), value, lease: lease)
        } catch {
            // Not known to be written: the next check writes it again.
            self.state.withLockedValue { if $0.lease == lease { $0.published = nil } }
            throw error
        }
    }

    /// Whether `value` must be written under `lease`; records it as written if so.
    static func needsPublishing(_ value: [UInt8], lease: Int64, state: NIOLockedValueBox<State>) -> Bool {
        state.withLockedValue {
            guard $0.lease == lease, $0.published != value else { return false }
            $0.published = value
            return true
        }
    }

    /// On shutdown: the view goes at once (not when the lease runs out).
    private func leave() async {
        let lease = self.state.withLockedValue { $0.lease }
        guard lease != 0 else { return }
        try? await self.settings.control.client.revoke(lease: lease)
    }
}
