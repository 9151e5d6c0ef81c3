/// What one instance publishes about itself at `instances/ID`, under its lease (so the key goes
/// when the instance does): `GET /fleet` and `drain --wait` read these.
public struct FleetInstanceView: Codable, Sendable, Equatable {
    public struct TargetView: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        public var state: String
        public var health: String
        public var serving: Bool
        public var inFlight: Int
        public var weight: Int

        public init(id: String, name: String? = nil, state: String, health: String, serving: Bool, inFlight: Int, weight: Int) {
            self.id = id
            self.name = name
            self.state = state
            self.health = health
            self.serving = serving
            self.inFlight = inFlight
            self.weight = weight
        }

        enum CodingKeys: String, CodingKey {
            case id, name, state, health, serving, weight
            case inFlight = "in_flight"
        }
    }

    public struct GroupView: Codable, Sendable, Equatable {
        public var name: String
        public var targets: [TargetView]

        public init(name: String, targets: [TargetView]) {
            self.name = name
            self.targets = targets
        }
    }

    public var id: String
    /// The listeners' addresses.
    public var listeners: [String]
    public var admin: String?
    public var pid: Int
    public var ready: Bool
    /// The etcd revision of the configuration in effect (0: started from the local copy of an
    /// unknown revision).
    public var configRevision: Int64
    /// Where the configuration in effect came from: `etcd` or `local copy`.
    public var configSource: String
    /// The last revision that could not be applied, and why (every problem, as `portcullis
    /// check` prints them); `nil` once a later revision applies.
    public var configErrorRevision: Int64?
    public var configError: String?
    /// The highest revision of the target operations this instance has applied.
    public var targetsRevision: Int64
    public var targetGroups: [GroupView]
    /// When the shared session-ticket keys this instance has installed were rotated (seconds
    /// since 1970); `nil` when it shares none (no fleet secret, or none received yet).
    public var ticketKeysRotatedAt: Double?
    /// Whether this instance holds the ticket lease (rotates the shared keys).
    public var ticketLeader: Bool?

    public init(
        id: String, listeners: [String], admin: String?, pid: Int, ready: Bool, configRevision: Int64, configSource: String,
        configErrorRevision: Int64?, configError: String?, targetsRevision: Int64, targetGroups: [GroupView],
        ticketKeysRotatedAt: Double? = nil, ticketLeader: Bool? = nil
    ) {
        self.id = id
        self.listeners = listeners
        self.admin = admin
        self.pid = pid
        self.ready = ready
        self.configRevision = configRevision
        self.configSource = configSource
        self.configErrorRevision = configErrorRevision
        self.configError = configError
        self.targetsRevision = targetsRevision
        self.targetGroups = targetGroups
        self.ticketKeysRotatedAt = ticketKeysRotatedAt
        self.ticketLeader = ticketLeader
    }

    enum CodingKeys: String, CodingKey {
        case id, listeners, admin, pid, ready
        case configRevision = "config_revision"
        case configSource = "config_source"
        case configErrorRevision = "config_error_revision"
        case configError = "config_error"
        case targetsRevision = "targets_revision"
        case targetGroups = "target_groups"
        case ticketKeysRotatedAt = "ticket_keys_rotated_at"
        case ticketLeader = "ticket_leader"
    }

    public func target(group: String, id: String) -> TargetView? {
        self.targetGroups.first { $0.name == group }?.targets.first { $0.id == id }
    }
}

/// Whether a fleet-wide drain is done: every instance live when the wait started is still live,
/// has applied the drain (its `targets_revision` has reached the drain's revision) and has
/// nothing in flight to the target. No live instance at all is not "drained": nothing is known.
public enum FleetDrainProgress: Sendable, Equatable {
    /// Drained on this many instances (at least one).
    case drained(instances: Int)
    /// The instances still waited for, with what each still has in flight, or one of
    /// ``notApplied``, ``unreadable``, ``gone``. Empty: no live instance has a view.
    case waiting([String: Int])

    /// The instance has not applied the drain yet.
    public static let notApplied = -1
    /// The instance's view cannot be decoded (another version?): it is not known to be done.
    public static let unreadable = -2
    /// The instance's view disappeared during the wait (it stopped, or its lease expired): it is
    /// not known to be done.
    public static let gone = -3

    /// - Parameters:
    ///   - views: every key under `instances/`, by instance ID; `nil`: the value does not decode.
    ///   - expected: the instance IDs live when the wait started.
    public static func evaluate(
        _ views: [String: FleetInstanceView?], expected: Set<String>, group: String, target: String, revision: Int64
    ) -> FleetDrainProgress {
        var pending: [String: Int] = [:]
        for id in expected where views[id] == nil {
            pending[id] = Self.gone
        }
        for (id, view) in views {
            guard let view else {
                pending[id] = Self.unreadable
                continue
            }
            if view.targetsRevision < revision {
                pending[id] = Self.notApplied
                continue
            }
            // An instance whose configuration lacks the target sends it nothing.
            guard let target = view.target(group: group, id: target) else { continue }
            if target.state != "draining" {
                pending[id] = Self.notApplied
            } else if target.inFlight > 0 {
                pending[id] = target.inFlight
            }
        }
        return pending.isEmpty && !views.isEmpty ? .drained(instances: views.count) : .waiting(pending)
    }

    /// What is still waited for, for a person: `a: 2 in flight, b: drain not applied`.
    public static func describe(_ pending: [String: Int]) -> String {
        guard !pending.isEmpty else {
            return "no live instance has published a view (is any instance of the fleet running and connected to etcd?)"
        }
        return pending.sorted { $0.key < $1.key }.map { id, value in
            switch value {
            case Self.notApplied: "\(id): drain not applied"
            case Self.unreadable: "\(id): view unreadable"
            case Self.gone: "\(id): gone during the wait (stopped, or lost etcd)"
            default: "\(id): \(value) in flight"
            }
        }.joined(separator: ", ")
    }
}
