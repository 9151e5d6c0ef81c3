/// One upstream server of a target group.
///
/// Written either as a string `"host:port"` or as a mapping
/// `{address: "host:port", weight: 2, name: app-1, max_connections: 100}`:
/// - `weight` (integer 1...1000, default 1): relative share of requests.
/// - `name` (name, default `t<position>`: `t1`, `t2`, … in list order): unique in the group; used
///   in logs and as the value of the stickiness cookie, so the address is not revealed to clients.
/// - `max_connections` (integer ≥ 1, or null; default null): at most this many requests in flight
///   to the target at once. `nil` means unlimited.
public struct TargetConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, an IPv6 address without brackets, or a host name.
    public var host: String
    public var port: Int
    public var weight: Int
    /// Unique within the target group. Parsing (and `--to`) always sets it; a target created in
    /// code with an empty name gets `t<position>` when it is passed to
    /// ``TargetGroupConfiguration/init(name:policy:targets:healthCheck:upstream:stickiness:slowStart:allUnhealthy:retries:outlierDetection:)``.
    public var name: String
    /// The most requests in flight to this target at once; `nil` means unlimited.
    public var maxConnections: Int?

    public init(host: String, port: Int, weight: Int = 1, name: String = "", maxConnections: Int? = nil) {
        self.host = host
        self.port = port
        self.weight = weight
        self.name = name
        self.maxConnections = maxConnections
    }

    /// The name of an unnamed target at `position` (1-based) in its group's list: `t1`, `t2`, ….
    public static func defaultName(position: Int) -> String {
        "t\(position)"
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { BindAddress(host: self.host, port: self.port).description }
}
