/// Picks the route for a request: the first route, in order, whose conditions all match.
///
/// A pure function of the request's host and path, so it is tested without any channel.
public struct Router: Sendable {
    public var routes: [Route]

    public init(routes: [Route]) {
        self.routes = routes
    }

    /// Returns the first matching route, or `nil` when none matches (answered with `404`... by the caller).
    ///
    /// - Parameters:
    ///   - host: The `Host` header as sent; the port and letter case are ignored.
    ///   - uri: The request target; the query string is ignored.
    public func route(host: String?, uri: String) -> Route? {
        let hostName = host.map(Self.normalizedHost(_:))
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        return self.routes.first { $0.matches(host: hostName, path: path) }
    }

    /// `Example.COM:443` → `example.com`; `[::1]:8443` → `[::1]`.
    static func normalizedHost(_ host: String) -> String {
        var name = Substring(host)
        if name.hasPrefix("[") {
            if let close = name.firstIndex(of: "]") {
                name = name[...close]
            }
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        if name.hasSuffix(".") {
            name = name.dropLast()
        }
        return name.lowercased()
    }
}
