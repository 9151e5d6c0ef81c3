/// What a ``RollingDeploy`` does to the targets it rolls, wherever they are steered from: one
/// instance's admin API (``AdminDeployTargets``; in a fleet it forwards to every instance) or
/// a fleet's state in etcd (``FleetDeployTargets``).
public protocol DeployTargets: Sendable {
    /// The group's targets, in order.
    func list(group: String) async throws -> [DeployTarget]
    /// Drains the target and waits (up to `timeout`) until nothing is in flight to it.
    func drain(group: String, target: String, timeout: Duration) async throws -> DeployDrain
    func attach(group: String, target: String, immediately: Bool) async throws
    /// Asks for fresh health checks of a restarted target, so ``health(group:target:)`` does not
    /// answer from before the restart.
    func recheck(group: String, target: String) async throws
    /// The target's health, `nil` when it is no longer in the group.
    func health(group: String, target: String) async throws -> DeployHealth?
}

public struct DeployTarget: Sendable, Equatable {
    /// `host:port`.
    public var id: String
    public var host: String
    public var port: Int
    public var serving: Bool

    public init(id: String, host: String, port: Int, serving: Bool) {
        self.id = id
        self.host = host
        self.port = port
        self.serving = serving
    }
}

public struct DeployDrain: Sendable, Equatable {
    /// Nothing in flight any more (everywhere).
    public var drained: Bool
    /// What was still in flight when the wait ran out.
    public var inFlight: Int
    public var waitedSeconds: Double

    public init(drained: Bool, inFlight: Int, waitedSeconds: Double) {
        self.drained = drained
        self.inFlight = inFlight
        self.waitedSeconds = waitedSeconds
    }
}

public struct DeployHealth: Sendable, Equatable {
    public var healthy: Bool
    /// The last probe, or the health, for messages.
    public var detail: String

    public init(healthy: Bool, detail: String) {
        self.healthy = healthy
        self.detail = detail
    }
}

/// A deploy through one instance's admin API.
public struct AdminDeployTargets: DeployTargets {
    public let admin: AdminClient

    public init(admin: AdminClient) {
        self.admin = admin
    }

    public func list(group: String) async throws -> [DeployTarget] {
        try self.admin.decode([AdminModels.Target].self, try await self.admin.call("GET", AdminClient.path(group))).map {
            DeployTarget(id: $0.id, host: $0.host, port: $0.port, serving: $0.serving)
        }
    }

    public func drain(group: String, target: String, timeout: Duration) async throws -> DeployDrain {
        let body = "{\"wait\": true, \"timeout_seconds\": \(timeout.components.seconds)}"
        let result = try self.admin.decode(
            AdminModels.DrainResult.self,
            try await self.admin.call("POST", AdminClient.path(group, target, "drain"), json: body, timeout: timeout + .seconds(10))
        )
        return DeployDrain(drained: result.outcome == "drained", inFlight: result.inFlight, waitedSeconds: result.waitedSeconds)
    }

    public func attach(group: String, target: String, immediately: Bool) async throws {
        _ = try await self.admin.call("POST", AdminClient.path(group, target, "attach"), json: "{\"immediately\": \(immediately)}")
    }

    public func recheck(group: String, target: String) async throws {
        _ = try await self.admin.call("POST", AdminClient.path(group, target, "recheck"))
    }

    public func health(group: String, target: String) async throws -> DeployHealth? {
        let targets = try self.admin.decode([AdminModels.Target].self, try await self.admin.call("GET", AdminClient.path(group)))
        return targets.first { $0.id == target }.map { DeployHealth(healthy: $0.health == "healthy", detail: $0.lastProbe ?? $0.health) }
    }
}
