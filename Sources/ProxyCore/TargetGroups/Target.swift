/// One upstream server inside a target group.
public struct Target: Hashable, Sendable, CustomStringConvertible {
    /// Stable identity: `host:port`. Used in logs; never sent to clients.
    public var id: String
    /// Short name (`t1`, or as configured). Used in stickiness cookies instead of the address.
    public var name: String
    public var host: String
    public var port: Int
    public var weight: Int
    /// Most requests in flight to this target per event loop; `nil` for no limit.
    public var maxConnections: Int?

    public init(host: String, port: Int, weight: Int = 1, name: String? = nil, maxConnections: Int? = nil) {
        self.host = host
        self.port = port
        self.weight = weight
        self.maxConnections = maxConnections
        self.id = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.name = name ?? self.id
    }

    public var description: String { self.id }
}
