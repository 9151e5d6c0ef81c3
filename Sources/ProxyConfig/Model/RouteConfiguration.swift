import ProxyDefaults

/// One rule of a listener: which requests it matches, and what to do with them.
///
/// A route matches when every condition it has matches; a route without conditions matches every
/// request. The listener evaluates its routes by ``priority`` (lowest first; routes without one
/// after all that have one), ties in file order, and uses the first that matches. A request that
/// matches no route gets 404.
///
/// Configuration keys:
/// - `name` (string, default `route-<index>`): used in logs; unique within the listener.
/// - `priority` (integer 1...50000, optional): unique within the listener.
/// - `match` (mapping, optional):
///   - `host`: exact `example.com` or wildcard `*.example.com`, compared case-insensitively, port
///     ignored.
///   - `path_prefix`: starts with `/`, compared as a plain, case-sensitive string prefix.
///   - `path`: starts with `/`, the whole path must equal it (the query is ignored). Not together
///     with `path_prefix`.
///   - `methods`: a method or a list of methods, uppercased.
///   - `headers`: a mapping from header name to the exact value, or to `true` or `"*"` for "present".
/// - `upgrades` (list of protocol tokens, default `[websocket]`): the `Upgrade` protocols a
///   forwarding route passes on to its target, lowercased; `[]` passes none. `h2c` is refused:
///   it is never forwarded.
/// - `auth` (mapping, forwarding routes only): see ``AuthConfiguration``.
/// - `rewrite` (mapping, forwarding routes only): see ``PathRewriteConfiguration``.
/// - `compression` (mapping, `true` or `false`; forwarding routes; on by default): see
///   ``CompressionConfiguration``.
/// - `cache` (mapping or `true`; forwarding routes; off by default): see ``CacheConfiguration``.
/// - `allow`, `deny`, `rate_limits`, `request_headers`, `response_headers`: the route's edge
///   policy, after its listener's; see ``PolicyConfiguration``.
/// - exactly one action: `forward` (the name of a target group), `redirect` (see
///   ``RedirectConfiguration``) or `fixed_response` (see ``FixedResponseConfiguration``).
public struct RouteConfiguration: Sendable, Hashable {
    /// The range of ``priority``.
    public static let priorityRange = 1...50000
    /// The `upgrades` of a route that names none.
    public static let defaultUpgrades = Defaults.Route.upgrades

    public var name: String
    /// Lowercased. `*.example.com` matches any name ending in `.example.com`, not `example.com` itself.
    public var host: String?
    public var pathPrefix: String?
    /// The exact path to match, without query. Never set together with ``pathPrefix``.
    public var path: String?
    /// Uppercased method tokens in file order; empty matches every method.
    public var methods: [String]
    /// Every condition must hold; empty matches every request.
    public var headers: [HeaderCondition]
    /// Lower is evaluated first; `nil` after every route with a priority.
    public var priority: Int?
    /// The `Upgrade` protocol tokens passed on to the target, lowercased, without repeats; never
    /// `h2c`. Empty: no upgrade is passed on.
    public var upgrades: [String]
    public var action: RouteAction
    public var rewrite: PathRewriteConfiguration?
    public var policy: PolicyConfiguration
    /// `auth`: see ``AuthConfiguration``.
    public var auth: AuthConfiguration?
    /// `compression`: see ``CompressionConfiguration`` (on by default).
    public var compression = CompressionConfiguration()
    /// `cache`: see ``CacheConfiguration`` (`nil`: no cache).
    public var cache: CacheConfiguration?
    /// The line of the route in the configuration file, for logs.
    public var line: Int

    public init(
        name: String,
        host: String? = nil,
        pathPrefix: String? = nil,
        path: String? = nil,
        methods: [String] = [],
        headers: [HeaderCondition] = [],
        priority: Int? = nil,
        upgrades: [String] = RouteConfiguration.defaultUpgrades,
        action: RouteAction,
        rewrite: PathRewriteConfiguration? = nil,
        policy: PolicyConfiguration = PolicyConfiguration(),
        line: Int = 0
    ) {
        self.name = name
        self.host = host
        self.pathPrefix = pathPrefix
        self.path = path
        self.methods = methods
        self.headers = headers
        self.priority = priority
        self.upgrades = upgrades
        self.action = action
        self.rewrite = rewrite
        self.policy = policy
        self.line = line
    }

    /// A route that forwards to `targetGroup`.
    public init(name: String, host: String? = nil, pathPrefix: String? = nil, targetGroup: String, line: Int = 0) {
        self.init(
            name: name,
            host: host,
            pathPrefix: pathPrefix,
            action: .forward(targetGroup: targetGroup),
            line: line
        )
    }

    /// The name of the target group that receives the matching requests, or `nil` when the route
    /// redirects or answers itself.
    public var targetGroup: String? {
        if case .forward(let targetGroup) = self.action { targetGroup } else { nil }
    }

    /// Whether the route's path `rewrite` and `auth` apply: it forwards, or serves files.
    public var takesRequestPolicy: Bool {
        switch self.action {
        case .forward, .staticFiles: true
        case .redirect, .fixedResponse: false
        }
    }

    /// Whether this route has no conditions and so matches every request.
    public var isCatchAll: Bool {
        self.host == nil && self.pathPrefix == nil && self.path == nil && self.methods.isEmpty
            && self.headers.isEmpty
    }
}
