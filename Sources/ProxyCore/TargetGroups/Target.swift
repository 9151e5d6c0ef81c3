/// One upstream server inside a target group.
public struct Target: Hashable, Sendable, CustomStringConvertible {
    /// Stable identity: `host:port`. Used in logs; never sent to clients.
    public let id: String
    /// The id's number (``TargetKeys``): what per-request tables index by.
    let key: Int
    /// Short name (`t1`, or as configured). Used in stickiness cookies instead of the address.
    public var name: String
    public let host: String
    public let port: Int
    public var weight: Int
    /// Most requests in flight to this target per event loop; `nil` for no limit.
    public var maxConnections: Int?

    public init(host: String, port: Int, weight: Int = 1, name: String? = nil, maxConnections: Int? = nil) {
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
}
