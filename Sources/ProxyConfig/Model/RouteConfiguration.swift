/// One rule of a listener: which requests go to which target group.
///
/// A route matches when every condition it has matches; a route without conditions matches every
/// request. The listener tries its routes in file order and uses the first that matches.
///
/// Configuration keys:
/// - `name` (string, default `route-<index>`): used in logs; unique within the listener.
/// - `match` (mapping, optional): `host` (exact `example.com` or wildcard `*.example.com`,
///   compared case-insensitively, port ignored) and `path_prefix` (starts with `/`, compared as
///   a plain, case-sensitive string prefix).
/// - `forward` (string, required): the name of a target group.
public struct RouteConfiguration: Sendable, Equatable {
    public var name: String
    /// Lowercased. `*.example.com` matches any name ending in `.example.com`, not `example.com` itself.
    public var host: String?
    public var pathPrefix: String?
    /// The name of the target group that receives the matching requests.
    public var targetGroup: String
    /// The line of the route in the configuration file, for logs.
    public var line: Int

    public init(name: String, host: String? = nil, pathPrefix: String? = nil, targetGroup: String, line: Int = 0) {
        self.name = name
        self.host = host
        self.pathPrefix = pathPrefix
        self.targetGroup = targetGroup
        self.line = line
    }

    /// Whether this route has no conditions and so matches every request.
    public var isCatchAll: Bool { self.host == nil && self.pathPrefix == nil }
}
