/// One upstream server inside a target group.
///
/// Immutable, and a class: a request passes its target through the picker, the state machine
/// and the pool, and a copy is one reference count instead of one per string (decision 0012's
/// measurements). Equality is by value, as for the struct it was.
public final class Target: Hashable, Sendable, CustomStringConvertible {
    /// Stable identity: `host:port`. Used in logs; never sent to clients.
    public let id: String
    /// The id's number (``TargetKeys``): what per-request tables index by.
    let key: Int
    /// Short name (`t1`, or as configured). Used in stickiness cookies instead of the address.
    public let name: String
    public let host: String
    public let port: Int
    public let weight: Int
    /// Most requests in flight to this target per event loop; `nil` for no limit.
    public let maxConnections: Int?

    public convenience init(host: String, port: Int, weight: Int = 1, name: String? = nil, maxConnections: Int? = nil) {
        let id = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.init(id: id, host: host, port: port, weight: weight, name: name, maxConnections: maxConnections)
    }

    /// With an id of the caller's choosing (tests that name their targets).
    init(id: String, host: String, port: Int, weight: Int = 1, name: String? = nil, maxConnections: Int? = nil) {
        self.host = host
        self.port = port
        self.weight = weight
        self.maxConnections = maxConnections
        self.id = id
        self.name = name ?? id
        self.key = TargetKeys.key(for: id)
    }

    public var description: String { self.id }

    /// This target under another name.
    public func named(_ name: String) -> Target {
        Target(id: self.id, host: self.host, port: self.port, weight: self.weight, name: name, maxConnections: self.maxConnections)
    }

    /// This target with another weight.
    public func weighted(_ weight: Int) -> Target {
        Target(id: self.id, host: self.host, port: self.port, weight: weight, name: self.name, maxConnections: self.maxConnections)
    }

    public static func == (lhs: Target, rhs: Target) -> Bool {
        lhs === rhs
            || (lhs.id == rhs.id && lhs.key == rhs.key && lhs.name == rhs.name && lhs.host == rhs.host && lhs.port == rhs.port
                && lhs.weight == rhs.weight && lhs.maxConnections == rhs.maxConnections)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.id)
        hasher.combine(self.name)
        hasher.combine(self.weight)
        hasher.combine(self.maxConnections)
    }
}
