/// One upstream server inside a target group.
public struct Target: Hashable, Sendable, CustomStringConvertible {
    /// Stable name used in logs and cookies; never sent to clients.
    public var id: String
    public var host: String
    public var port: Int
    public var weight: Int

    public init(host: String, port: Int, weight: Int = 1, id: String? = nil) {
        self.host = host
        self.port = port
        self.weight = weight
        self.id = id ?? (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    public var description: String { self.id }
}
