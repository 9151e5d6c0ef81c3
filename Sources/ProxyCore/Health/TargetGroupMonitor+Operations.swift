import Logging
import NIOCore
import ProxyDefaults

/// Operator changes, as the admin API and rolling deploys make them. Each runs on the monitor's
/// home event loop and publishes the result to every event loop before it returns.
extension TargetGroupMonitor {
    /// Adds a target. With health checks it starts unhealthy and serves once it has passed
    /// `healthy_threshold` probes (probed every second until then); without, it serves at once.
    public func register(_ target: Target) async throws -> TargetStatus {
        guard Self.isValidName(target.name) || target.name == target.id else {
            throw TargetOperationError.invalid(
                "name must be 1...64 letters, digits, '-', '_' or '.' (got \"\(target.name)\")"
            )
        }
        return try await self.onHome {
            var target = target
            if self.find(target.id) != nil || self.find(target.name) != nil {
                throw TargetOperationError.alreadyRegistered(group: self.group.name, target: target.id)
            }
            if target.name == target.id {
                // Like targets from the file: a short name, so stickiness cookies never carry
                // an address.
                var index = self.targets.count + 1
                while self.find("t\(index)") != nil { index += 1 }
                target = target.named("t\(index)")
            }
            var status = TargetStatus(target: target, health: .healthy)
            // Serving at once: its share ramps up over `slow_start` like a target that became
            // healthy (with health checks, that happens when it passes).
            status.healthySince = .now()
            if let check = self.group.healthCheck, self.prober != nil {
                let machine = HealthStateMachine(
                    healthyThreshold: check.healthyThreshold,
                    unhealthyThreshold: check.unhealthyThreshold,
                    atStartup: false
                )
                self.machines[target.id] = machine
                status = TargetStatus(target: target, health: machine.health)
                self.rechecking.insert(target.id)
            }
            self.targets.append(target)
            self.statuses[target.id] = status
            self.logger.notice(
                "target registered",
                metadata: ["target_group": "\(self.group.name)", "target": "\(target.id)", "health": "\(status.health.rawValue)"]
            )
            self.publish()
            self.probe([target])
            return status
        }
    }

    /// Removes a target: no new requests go to it; requests in flight finish.
    public func deregister(_ reference: String) async throws -> Target {
        try await self.onHome {
            let target = try self.resolve(reference)
            self.targets.removeAll { $0.id == target.id }
            self.statuses[target.id] = nil
            self.machines[target.id] = nil
            self.rechecking.remove(target.id)
            _ = self.outliers.clear(target.id)
            self.logger.notice("target deregistered", metadata: ["target_group": "\(self.group.name)", "target": "\(target.id)"])
            self.publish()
            return target
        }
    }

    /// Changes a target's weight (1...1000).
    public func setWeight(_ reference: String, weight: Int) async throws -> TargetStatus {
        guard (1...1000).contains(weight) else {
            throw TargetOperationError.invalid("weight must be an integer in 1...1000 (got \(weight))")
        }
        return try await self.onHome {
            let target = try self.resolve(reference)
            return self.update(target) { status in
                status.target = status.target.weighted(weight)
                if let index = self.targets.firstIndex(where: { $0.id == target.id }) {
                    self.targets[index] = self.targets[index].weighted(weight)
                }
                self.logger.notice(
                    "target weight changed",
                    metadata: ["target_group": "\(self.group.name)", "target": "\(target.id)", "weight": "\(weight)"]
                )
            }
        }
    }

    /// Takes a target out of rotation: no new requests; requests in flight finish. Health checks
    /// go on, so ``TargetStatus/checkHealth`` stays current.
    public func drain(_ reference: String) async throws -> TargetStatus {
        try await self.onHome {
            let target = try self.resolve(reference)
            return self.update(target) { status in
                guard status.health != .draining else { return }
                self.logTransition(target, from: status.health, to: .draining, reason: "operator")
                status.health = .draining
                status.healthySince = nil
            }
        }
    }

    /// Waits until no request is in flight to the target on any event loop, or `deadline`.
    public func waitUntilIdle(_ reference: String, deadline: ContinuousClock.Instant) async throws -> DrainOutcome {
        let target = try await self.onHome { try self.resolve(reference) }
        while true {
            let count = await self.inFlight()[target.id] ?? 0
            if count == 0 { return .drained }
            if ContinuousClock.now >= deadline { return .timedOut(inFlight: count) }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Puts a target back into rotation. `immediately`: at once, as healthy. Otherwise (with
    /// health checks) once it has passed `healthy_threshold` fresh probes, sent every second.
    public func attach(_ reference: String, immediately: Bool) async throws -> TargetStatus {
        try await self.onHome {
            let target = try self.resolve(reference)
            if !immediately, let current = self.statuses[target.id], current.health != .draining, current.isServing {
                return current  // Already in rotation: nothing to attach.
            }
            let status = self.update(target) { status in
                let old = status.health
                if immediately || self.machines[target.id] == nil {
                    self.machines[target.id]?.markHealthy()
                    self.rechecking.remove(target.id)
                    status.health = .healthy
                    status.checkHealth = .healthy
                } else {
                    self.machines[target.id]?.requireFreshPasses()
                    self.rechecking.insert(target.id)
                    status.health = .unhealthy
                    status.checkHealth = .unhealthy
                    status.consecutivePasses = 0
                    status.consecutiveFailures = 0
                }
                status.healthySince = .now()
                if case .unejected = self.outliers.clear(target.id) {
                    status.ejectedUntil = nil
                }
                self.logTransition(target, from: old, to: status.health, reason: immediately ? "operator: attach now" : "operator: attach")
            }
            if !immediately { self.probe([target]) }
            return status
        }
    }

    /// Forgets a target's passing record: its health check verdict is `unhealthy` until it passes
    /// `healthy_threshold` fresh probes, sent every second. A draining target stays draining; a
    /// serving one leaves rotation until it passes. Rolling deploys call this after a restart.
    public func recheck(_ reference: String) async throws -> TargetStatus {
        try await self.onHome {
            let target = try self.resolve(reference)
            let status = self.update(target) { status in
                guard self.machines[target.id] != nil else { return }
                self.machines[target.id]?.requireFreshPasses()
                self.rechecking.insert(target.id)
                status.checkHealth = .unhealthy
                status.consecutivePasses = 0
                status.consecutiveFailures = 0
                if status.health != .draining {
                    status.health = .unhealthy
                    status.healthySince = nil
                }
            }
            self.probe([target])
            return status
        }
    }

    /// Requests in flight per target id, summed over every event loop (and over the monitor
    /// this one replaced, while requests it counted are still running).
    public func inFlight() async -> [String: Int] {
        let (states, predecessor) = (try? await self.home.submit { (self.loopStates, self.predecessor) }.get()) ?? ([], nil)
        var total: [String: Int] = [:]
        if let predecessor {
            let earlier = await predecessor.inFlight()
            if earlier.isEmpty {
                self.home.execute { if self.predecessor === predecessor { self.predecessor = nil } }
            }
            total = earlier
        }
        for state in states {
            let counts = try? await state.eventLoop.submit { state.inFlightCounts }.get()
            for (id, count) in counts ?? [:] {
                total[id, default: 0] += count
            }
        }
        return total
    }

    /// Names go into stickiness cookies: keep them to a safe alphabet.
    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    // MARK: Helpers (on home)

    /// The target whose `host:port` or name is `reference`.
    func resolve(_ reference: String) throws -> Target {
        guard let target = self.find(reference) else {
            throw TargetOperationError.unknownTarget(group: self.group.name, target: reference)
        }
        return target
    }

    /// The target whose id (`host:port`) or name is `reference`; `:port` stands for
    /// ``Defaults/Target/localHost`` on that port, as everywhere a target is written.
    func find(_ reference: String) -> Target? {
        let id = reference.hasPrefix(":") ? Defaults.Target.localHost + reference : reference
        return self.targets.first { $0.id == id || $0.name == reference }
    }

    private func update(_ target: Target, _ change: (inout TargetStatus) -> Void) -> TargetStatus {
        guard var status = self.statuses[target.id] else { return TargetStatus(target: target, health: .unknown) }
        change(&status)
        self.statuses[target.id] = status
        self.publish()
        return status
    }

    private func onHome<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await self.home.submit(body).get()
    }
}
