import Foundation
import ProxyCore

extension ProxyServer {
    /// `GET /fleet` and the target operations of an instance in a fleet: an operation is written
    /// to etcd (every instance applies it, this one included) rather than applied here alone.
    /// `nil` for the routes that stay local.
    func performInFleet(_ route: AdminRoute, body: [UInt8], member: FleetMember) async throws -> AdminResponse? {
        do {
            return try await self.performInFleetThrowing(route, body: body, member: member)
        } catch let error as EtcdError {
            return .problem(503, "the fleet's etcd cannot take the change, nothing changed: \(error)")
        } catch let error as FleetError {
            return .problem(409, error.description)
        }
    }

    private func performInFleetThrowing(_ route: AdminRoute, body: [UInt8], member: FleetMember) async throws -> AdminResponse? {
        let control = member.control
        switch route {
        case .fleet:
            let instances = try await control.instances()
            return try Self.encode(AdminModels.Fleet(fleet: control.keys.fleet, etcd: control.client.endpoint, instances: instances))
        case .register(let group):
            let request = try Self.decode(AdminModels.RegisterRequest.self, body)
            let target = try Self.target(from: request)
            let monitor = try self.monitor(group)
            if monitor.status().contains(where: { $0.target.id == target.id }) {
                throw TargetOperationError.alreadyRegistered(group: group, target: target.id)
            }
            let revision = try await control.change(
                group: group,
                target: target.id,
                .register(name: request.name, weight: request.weight, maxConnections: request.maxConnections)
            )
            await member.waitApplied(revision)
            return try Self.encode(await self.view(of: target.id, in: monitor), status: 201)
        case .deregister(let group, let reference):
            let (monitor, id) = try self.fleetTarget(group, reference)
            let revision = try await control.change(group: group, target: id, .deregister)
            await member.waitApplied(revision)
            _ = monitor
            return try Self.encode(AdminModels.Deregistered(deregistered: id))
        case .weight(let group, let reference):
            let request = try Self.decode(AdminModels.WeightRequest.self, body)
            guard (1...1000).contains(request.weight) else {
                throw TargetOperationError.invalid("weight must be an integer in 1...1000 (got \(request.weight))")
            }
            let (monitor, id) = try self.fleetTarget(group, reference)
            await member.waitApplied(try await control.change(group: group, target: id, .weight(request.weight)))
            return try Self.encode(await self.view(of: id, in: monitor))
        case .attach(let group, let reference):
            let request = body.isEmpty ? AdminModels.AttachRequest() : try Self.decode(AdminModels.AttachRequest.self, body)
            let (monitor, id) = try self.fleetTarget(group, reference)
            await member.waitApplied(try await control.change(group: group, target: id, .attach(immediately: request.immediately ?? false)))
            return try Self.encode(await self.view(of: id, in: monitor))
        case .drain(let group, let reference):
            let request = body.isEmpty ? AdminModels.DrainRequest() : try Self.decode(AdminModels.DrainRequest.self, body)
            let timeout = request.timeoutSeconds ?? 300
            guard timeout >= 0, timeout <= 86_400 else {
                throw AdminBadRequest(message: "timeout_seconds must be in 0...86400")
            }
            let (monitor, id) = try self.fleetTarget(group, reference)
            let started = ContinuousClock.now
            let revision = try await control.change(group: group, target: id, .drain)
            await member.waitApplied(revision)
            var outcome = "draining"
            var inFlight = 0
            var pending: [String: Int] = [:]
            if request.wait == true {
                let deadline = started + .milliseconds(Int64(timeout * 1000))
                switch try await control.waitDrained(group: group, target: id, revision: revision, deadline: deadline) {
                case .drained:
                    outcome = "drained"
                case .waiting(let left):
                    outcome = "timed_out"
                    pending = left
                    inFlight = left.values.reduce(0) { $0 + max(0, $1) }
                }
            } else {
                inFlight = await monitor.inFlight()[id] ?? 0
            }
            let waited = started.duration(to: .now)
            var result = AdminModels.DrainResult(
                target: await self.view(of: id, in: monitor),
                outcome: outcome,
                inFlight: inFlight,
                waitedSeconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18
            )
            result.instancesWaitedFor = pending.isEmpty ? nil : pending
            return try Self.encode(result)
        default:
            return nil
        }
    }

    /// The group's monitor and the ID of the target `reference` names there.
    private func fleetTarget(_ group: String, _ reference: String) throws -> (TargetGroupMonitor, String) {
        let monitor = try self.monitor(group)
        guard let status = monitor.status().first(where: { $0.target.id == reference || $0.target.name == reference }) else {
            throw TargetOperationError.unknownTarget(group: group, target: reference)
        }
        return (monitor, status.target.id)
    }
}
