/// Where a scaling rule posts its JSON payload: a plain `http://host:port/path` URL.
///
/// HTTPS is not supported; put a local relay in front of a TLS endpoint.
public struct WebhookURL: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, an IPv6 address without brackets, or a host name.
    public var host: String
    /// 1...65535.
    public var port: Int
    /// Starts with `/`; may carry a query string, such as `/scale?group=web`.
    public var path: String

    public init(host: String, port: Int, path: String = "/") {
        self.host = host
        self.port = port
        self.path = path
    }

    /// `http://host:port/path`, with brackets around an IPv6 host.
    public var description: String {
        "http://\(BindAddress(host: self.host, port: self.port))\(self.path)"
    }
}
