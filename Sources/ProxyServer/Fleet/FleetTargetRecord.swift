/// The operator's wish for one target of a fleet, stored at `targets/GROUP/TARGET`: what every
/// instance converges to (a restarted one included). Each operation changes its own fields and
/// keeps the others.
public struct FleetTargetRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Out of rotation: no new requests.
        case drained
        /// In rotation.
        case active
    }

    /// The target's ID (`host:port`).
    public var target: String
    public var state: State?
    /// With `state: active`: serve at once, without waiting for health checks.
    public var attachNow: Bool?
    public var weight: Int?
    /// Added at run time (not in the configuration): the instances register it.
    public var registered: Bool?
    public var name: String?
    public var maxConnections: Int?
    /// Deregistered: the instances remove it.
    public var removed: Bool?

    public init(target: String) {
        self.target = target
    }

    enum CodingKeys: String, CodingKey {
        case target, state, weight, registered, name, removed
        case attachNow = "attach_now"
        case maxConnections = "max_connections"
    }
}

/// One operation given to the fleet (by an instance's admin API or the CLI).
public enum FleetTargetOperation: Sendable, Equatable {
    case drain
    case attach(immediately: Bool)
    case weight(Int)
    case register(name: String?, weight: Int?, maxConnections: Int?)
    case deregister

    /// The record after this operation.
    public func applied(to record: FleetTargetRecord?, target: String) -> FleetTargetRecord {
        var record = record ?? FleetTargetRecord(target: target)
        switch self {
        case .drain:
            record.state = .drained
        case .attach(let immediately):
            record.state = .active
            record.attachNow = immediately
        case .weight(let weight):
            record.weight = weight
        case .register(let name, let weight, let maxConnections):
            record = FleetTargetRecord(target: target)
            record.registered = true
            record.name = name
            record.weight = weight
            record.maxConnections = maxConnections
        case .deregister:
            record.removed = true
            record.state = nil
            record.attachNow = nil
        }
        return record
    }
}

/// What an instance does to bring one target in line with its record. Pure: given the record
/// and what the instance has now.
public enum FleetTargetAction: Sendable, Equatable {
    case register(name: String?, weight: Int?, maxConnections: Int?)
    case deregister
    case setWeight(Int)
    case drain
    case attach(immediately: Bool)

    /// What the instance's copy of the target looks like now; `nil` when it does not have it.
    public struct Current: Sendable, Equatable {
        public var weight: Int
        public var draining: Bool
        public var serving: Bool

        public init(weight: Int, draining: Bool, serving: Bool) {
            self.weight = weight
            self.draining = draining
            self.serving = serving
        }
    }

    /// The actions, in order; none when the instance already matches. A target the instance
    /// neither has nor is asked to register is left alone (its configuration does not name it).
    public static func plan(_ record: FleetTargetRecord, current: Current?) -> [FleetTargetAction] {
        if record.removed == true {
            return current == nil ? [] : [.deregister]
        }
        var actions: [FleetTargetAction] = []
        var current = current
        if current == nil {
            guard record.registered == true else { return [] }
            actions.append(.register(name: record.name, weight: record.weight, maxConnections: record.maxConnections))
            current = Current(weight: record.weight ?? 1, draining: false, serving: false)
        }
        guard let current else { return actions }
        if let weight = record.weight, weight != current.weight, !actions.contains(where: { if case .register = $0 { true } else { false } }) {
            actions.append(.setWeight(weight))
        }
        switch record.state {
        case .drained?:
            if !current.draining { actions.append(.drain) }
        case .active?:
            if current.draining || (record.attachNow == true && !current.serving) {
                actions.append(.attach(immediately: record.attachNow ?? false))
            }
        case nil:
            break
        }
        return actions
    }
}
