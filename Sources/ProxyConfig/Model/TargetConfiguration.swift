/// One upstream server of a target group.
///
/// Written either as a string `"host:port"` (weight 1) or as a mapping
/// `{address: "host:port", weight: 2}`. `weight` is an integer in 1...1000.
public struct TargetConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, an IPv6 address without brackets, or a host name.
    public var host: String
    public var port: Int
    public var weight: Int

    public init(host: String, port: Int, weight: Int = 1) {
        self.host = host
        self.port = port
        self.weight = weight
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { BindAddress(host: self.host, port: self.port).description }
}
