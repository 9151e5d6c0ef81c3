import Foundation
import ProxyConfig

/// `portcullis targets … --etcd URL --fleet NAME`: the operations written straight to etcd
/// (no instance needed), with the same messages as through an admin API.
extension FleetControl {
    /// Whether `seconds` is a drain timeout `drain --wait` accepts (finite, 0...86400).
    public static func isValidDrainTimeout(_ seconds: Double) -> Bool {
        seconds.isFinite && (0...86_400).contains(seconds)
    }

    public func drain(group: String, target reference: String, wait: Bool, timeoutSeconds: Double) async throws -> String {
        guard Self.isValidDrainTimeout(timeoutSeconds) else {
            throw FleetError.unknown("timeout must be a number of seconds in 0...86400 (got \(timeoutSeconds))")
        }
        let started = ContinuousClock.now
        let id = try await self.resolve(group: group, reference: reference)
        let revision = try await self.change(group: group, target: id, .drain)
        guard wait else { return "\(id): draining on every instance (revision \(revision))" }
        let deadline = started + .milliseconds(Int64(timeoutSeconds * 1000))
        let waited = {
            let elapsed = started.duration(to: .now)
            return AdminClient.seconds(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        switch try await self.waitDrained(group: group, target: id, revision: revision, deadline: deadline) {
        case .drained(let count):
            return "\(id): drained on \(count) instance(s) (in-flight 0 after \(waited()))"
        case .waiting(let pending):
            throw FleetError.unknown("\(id): not drained after \(waited()): \(FleetDrainProgress.describe(pending))")
        }
    }

    public func attach(group: String, target reference: String, immediately: Bool) async throws -> String {
        let id = try await self.resolve(group: group, reference: reference)
        let revision = try await self.change(group: group, target: id, .attach(immediately: immediately))
        return immediately
            ? "\(id): attached on every instance, serving (revision \(revision))"
            : "\(id): attached on every instance; each serves it once it passes its health checks (revision \(revision))"
    }

    public func register(group: String, address: String, weight: Int?, name: String?) async throws -> String {
        guard case .success(let parsed) = BindAddress.parseTarget(address) else {
            throw FleetError.unknown("address: \"\(address)\" is not host:port")
        }
        if let weight, !(1...1000).contains(weight) {
            throw FleetError.unknown("weight must be an integer in 1...1000 (got \(weight))")
        }
        let id = parsed.description
        if (try? await self.resolve(group: group, reference: id)) != nil {
            throw FleetError.unknown("\(id) is already a target of \(group)")
        }
        let revision = try await self.change(group: group, target: id, .register(name: name, weight: weight, maxConnections: nil))
        return "\(id): registered in \(group) on every instance (revision \(revision))"
    }

    public func deregister(group: String, target reference: String) async throws -> String {
        let id = try await self.resolve(group: group, reference: reference)
        let revision = try await self.change(group: group, target: id, .deregister)
        return "\(id): deregistered from \(group) on every instance (revision \(revision))"
    }

    public func setWeight(group: String, target reference: String, weight: Int) async throws -> String {
        guard (1...1000).contains(weight) else {
            throw FleetError.unknown("weight must be an integer in 1...1000 (got \(weight))")
        }
        let id = try await self.resolve(group: group, reference: reference)
        let revision = try await self.change(group: group, target: id, .weight(weight))
        return "\(id): weight \(weight) on every instance (revision \(revision))"
    }
}
