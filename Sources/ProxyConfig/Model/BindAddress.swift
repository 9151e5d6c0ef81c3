/// A host and port to listen on or connect to.
///
/// ``host`` is an IPv4 address, an IPv6 address without brackets (such as `::1`), or a host name.
/// A bind written as `*:443` or `:443` is stored with host `0.0.0.0` (all IPv4 interfaces).
public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// 1...65535.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether ``host`` is an IPv6 address literal.
    public var isIPv6: Bool { self.host.contains(":") }

    /// `host:port`, with brackets around an IPv6 host: `[::1]:8443`.
    public var description: String {
        self.isIPv6 ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}
