import Foundation
import ProxyConfig
import ProxyDefaults

/// A deploy straight through a fleet's state in etcd (`portcullis deploy --etcd URL --fleet
/// NAME`): drains and attaches are target records every instance applies; a drain is done when
/// every live instance reports nothing in flight; a target is healthy when every live instance
/// that knows it sees it healthy.
public struct FleetDeployTargets: DeployTargets {
    public let control: FleetControl

    public init(control: FleetControl) {
        self.control = control
    }

    /// The group's targets as the live instances know them (in the first one's order), serving
    /// when every instance serves it.
    public func list(group: String) async throws -> [DeployTarget] {
        let views = try await self.control.instances().sorted { $0.id < $1.id }
        guard !views.isEmpty else {
            throw FleetError.unknown("no live instance in fleet \(self.control.keys.fleet) (is any running with --etcd … --fleet \(self.control.keys.fleet)?)")
        }
        var order: [String] = []
        var serving: [String: Bool] = [:]
        for view in views {
            for target in view.targetGroups.first(where: { $0.name == group })?.targets ?? [] {
                if serving[target.id] == nil { order.append(target.id) }
                serving[target.id] = (serving[target.id] ?? true) && target.serving
            }
        }
        return order.compactMap { id in
            guard case .success(let address) = BindAddress.parseTarget(id) else { return nil }
            return DeployTarget(id: id, host: address.host, port: address.port, serving: serving[id] ?? false)
        }
    }

    public func drain(group: String, target: String, timeout: Duration) async throws -> DeployDrain {
        let started = ContinuousClock.now
        let revision = try await self.control.change(group: group, target: target, .drain)
        let progress = try await self.control.waitDrained(group: group, target: target, revision: revision, deadline: started + timeout)
        let elapsed = started.duration(to: .now)
        let waited = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        switch progress {
        case .drained: return DeployDrain(drained: true, inFlight: 0, waitedSeconds: waited)
        case .waiting(let pending): return DeployDrain(drained: false, inFlight: pending.values.filter { $0 > 0 }.reduce(0, +), waitedSeconds: waited)
        }
    }

    public func attach(group: String, target: String, immediately: Bool) async throws {
        _ = try await self.control.change(group: group, target: target, .attach(immediately: immediately))
    }

    /// There is no fleet-wide recheck: waits one health-check interval of the group (from the
    /// configuration in etcd) plus two view publications, so the views read next reflect
    /// probes made after the restart.
    public func recheck(group: String, target: String) async throws {
        var interval = HealthCheckConfiguration().interval
        if let stored = try await self.control.configuration(),
            let configuration = try? ProxyConfiguration.parse(yaml: stored.text, file: "etcd:\(self.control.keys.config)", baseDirectory: ".", checkFilesExist: false),
            let groupConfiguration = configuration.targetGroup(named: group)
        {
            interval = groupConfiguration.healthCheck.interval
        }
        try await Task.sleep(for: interval + Defaults.Fleet.publishInterval * 2)
    }

    public func health(group: String, target: String) async throws -> DeployHealth? {
        let seen = try await self.control.instances().compactMap { view in
            view.target(group: group, id: target).map { (view.id, $0.health) }
        }
        guard !seen.isEmpty else { return nil }
        let unhealthy = seen.filter { $0.1 != "healthy" }.sorted { $0.0 < $1.0 }
        return DeployHealth(
            healthy: unhealthy.isEmpty,
            detail: unhealthy.isEmpty ? "healthy on \(seen.count) instance(s)" : unhealthy.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
        )
    }
}
