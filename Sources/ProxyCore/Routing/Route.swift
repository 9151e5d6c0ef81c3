public import NIOHTTP1
import ProxyDefaults

/// What a route does with the requests it matches.
public enum RouteAction: Sendable {
    /// Forward to a target of the group.
    case forward(TargetGroup)
    /// Answer with this response; nothing is forwarded.
    case fixedResponse(status: HTTPResponseStatus, body: String, contentType: String)
    /// Answer with a redirect; absent parts are kept from the request.
    case redirect(RedirectRule)
    /// Serve files from a directory (GET and HEAD).
    case staticFiles(StaticSite)
}

extension RouteAction {
    var targetGroupName: String? {
        if case .forward(let group) = self { return group.name }
        return nil
    }
}

/// Where a redirect route sends clients.
public struct RedirectRule: Sendable, Hashable {
    public var scheme: String?
    public var host: String?
    public var port: Int?
    public var path: String?
    public var status: HTTPResponseStatus

    public init(scheme: String? = nil, host: String? = nil, port: Int? = nil, path: String? = nil, status: HTTPResponseStatus = .movedPermanently) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.status = status
    }

    /// The `Location` for a request to `requestHost` (as sent, maybe with a port) and `uri`.
    func location(requestScheme: String, requestHost: String?, uri: String) -> String {
        let scheme = self.scheme ?? requestScheme
        let (hostName, hostPort) = Self.split(requestHost ?? "")
        let host = self.host ?? hostName
        let port = self.port ?? (self.scheme == nil && self.host == nil ? hostPort : nil)
        let defaultPort = scheme == "https" ? 443 : 80
        let authority = port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        let (requestPath, query) = Self.splitQuery(uri)
        let path = self.path ?? requestPath
        return "\(scheme)://\(authority)\(path)\(query.map { "?\($0)" } ?? "")"
    }

    private static func split(_ host: String) -> (String, Int?) {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let name = String(host[...close])
            let rest = host[host.index(after: close)...]
            return (name, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = host.lastIndex(of: ":") {
            return (String(host[..<colon]), Int(host[host.index(after: colon)...]))
        }
        return (host, nil)
    }

    private static func splitQuery(_ uri: String) -> (String, String?) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}

/// A header condition of a route: the header is present (`value == nil`) or has exactly `value`.
public struct HeaderMatch: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// A rule of a listener: requests that match all its conditions get its action.
public struct Route: Sendable {
    public var name: String
    /// Exact host (`example.com`) or one-label wildcard (`*.example.com`); `nil` matches any host.
    public var host: String?
    /// Path prefix such as `/api` (a plain string prefix); `nil` matches any path.
    public var pathPrefix: String?
    /// Exact path (query ignored).
    public var path: String?
    /// Allowed methods; empty matches any.
    public var methods: [HTTPMethod]
    public var headers: [HeaderMatch]
    /// The `Upgrade` protocol tokens this route forwards (lower case; `routes[].upgrades`,
    /// default `[websocket]`); empty: no upgrade is forwarded. `h2c` is never forwarded.
    public var upgrades: [String]
    public var action: RouteAction {
        didSet { self.targetGroupName = self.action.targetGroupName }
    }
    /// The name of the target group a forwarding route sends to (read per request without
    /// copying the whole group).
    public private(set) var targetGroupName: String?
    /// The route's edge policy (access list, rate limits, rewrite, header rules), with its
    /// listener's header rules under its own; `nil` for none.
    public var policy: EdgePolicy?
    /// The route's response compression (`routes[].compression`); `nil`: none (`false`, or a
    /// route that answers itself).
    public var compression: CompressionPolicy?
    /// The route's HTTP cache (`routes[].cache`, decision 0029); `nil`: none. Shared by every
    /// event loop.
    public var cache: ResponseCache?

    public init(
        name: String,
        host: String? = nil,
        pathPrefix: String? = nil,
        path: String? = nil,
        methods: [HTTPMethod] = [],
        headers: [HeaderMatch] = [],
        upgrades: [String] = Route.defaultUpgrades,
        action: RouteAction,
        policy: EdgePolicy? = nil,
        compression: CompressionPolicy? = nil,
        cache: ResponseCache? = nil
    ) {
        self.name = name
        self.upgrades = upgrades.map { $0.lowercased() }.filter { $0 != "h2c" }
        self.host = host?.lowercased()
        self.pathPrefix = pathPrefix
        self.path = path
        self.methods = methods
        self.headers = headers
        self.action = action
        self.targetGroupName = action.targetGroupName
        self.policy = policy
        self.compression = compression
        self.cache = cache
    }

    public init(name: String, host: String? = nil, pathPrefix: String? = nil, targetGroup: TargetGroup) {
        self.init(name: name, host: host, pathPrefix: pathPrefix, action: .forward(targetGroup))
    }

    /// The upgrades a route forwards when its configuration names none (``Defaults/Route``,
    /// shared with the configuration; decision 0015).
    public static let defaultUpgrades = Defaults.Route.upgrades

    /// The target group of a forwarding route.
    public var targetGroup: TargetGroup? {
        if case .forward(let group) = self.action { return group }
        return nil
    }

    /// Whether this route takes a request for `host` (lowercased, without port), `path`
    /// (without query), `method` and `headers`.
    func matches(host requestHost: String?, path: String, method: HTTPMethod, headers: HTTPHeaders) -> Bool {
        if let pattern = self.host {
            guard let requestHost, Self.host(requestHost, matches: pattern) else { return false }
        }
        if let prefix = self.pathPrefix, !path.hasPrefix(prefix) {
            return false
        }
        if let exact = self.path, path != exact {
            return false
        }
        if !self.methods.isEmpty && !self.methods.contains(method) {
            return false
        }
        for condition in self.headers {
            let values = headers[condition.name]
            if values.isEmpty { return false }
            if let expected = condition.value, !values.contains(expected) { return false }
        }
        return true
    }

    static func host(_ host: String, matches pattern: String) -> Bool {
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)  // ".example.com"
            guard host.hasSuffix(suffix) else { return false }
            let label = host.dropLast(suffix.count)
            return !label.isEmpty && !label.contains(".")
        }
        return host == pattern
    }
}
