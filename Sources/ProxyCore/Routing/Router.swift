public import NIOHTTP1

/// Picks the route for a request: the first route, in evaluation order, whose conditions all
/// match. The configuration stores routes already sorted (priority, then file order).
///
/// A pure function of the request head, so it is tested without any channel.
public struct Router: Sendable {
    /// Everything, in one reference: the session reads the router once per request, and a copy
    /// of a struct with two arrays retained both and destroyed them through their metadata
    /// (decision 0035).
    private final class Storage: Sendable {
        let routes: [Route]
        /// Whether any route looks at the host or the path: when none does (a single catch-all
        /// route, the common case), they are not worked out for every request.
        let needsHost: Bool
        let needsPath: Bool
        /// The first route that matches every request (no condition at all): routes after it
        /// are never looked at, and it is taken without matching (a copy of a `Route` per
        /// request).
        let catchAll: Int?
        let facts: [RouteFacts]

        init(routes: [Route]) {
            self.routes = routes
            self.needsHost = routes.contains { $0.host != nil }
            self.needsPath = routes.contains { $0.pathPrefix != nil || $0.path != nil }
            self.catchAll = routes.firstIndex { route in
                route.host == nil && route.pathPrefix == nil && route.path == nil && route.methods.isEmpty && route.headers.isEmpty
            }
            self.facts = routes.map(RouteFacts.init(route:))
        }
    }

    private var storage: Storage

    public var routes: [Route] {
        get { self.storage.routes }
        set { self.storage = Storage(routes: newValue) }
    }
    /// What the request path reads of each route, by index, in one reference per route: read
    /// per request without copying the route (a large value).
    public var facts: [RouteFacts] { self.storage.facts }

    /// Each route's response compression, by index.
    public var compressions: [CompressionPolicy?] { self.facts.map(\.compression) }

    public init(routes: [Route]) {
        self.storage = Storage(routes: routes)
    }

    /// For a request no route takes: the methods of the routes that would take it with another
    /// method (for `405` and its `Allow`), or `nil` when none would.
    public func allowedMethods(for head: HTTPRequestHead) -> [HTTPMethod]? {
        let host = head.headers.first(name: "host").map(Self.normalizedHost(_:))
        let path = Self.path(of: head.uri)
        var methods: [HTTPMethod] = []
        for route in self.routes where !route.methods.isEmpty {
            var anyMethod = route
            anyMethod.methods = []
            guard anyMethod.matches(host: host, path: path, method: head.method, headers: head.headers) else { continue }
            for method in route.methods where !methods.contains(method) {
                methods.append(method)
            }
        }
        return methods.isEmpty ? nil : methods
    }

    /// Returns the first matching route, or `nil` when none matches (the caller answers `404`).
    public func route(for head: HTTPRequestHead) -> Route? {
        self.routeIndex(for: head).map { self.routes[$0] }
    }

    /// The index in ``routes`` of the first matching route: the request path reads the few
    /// fields it needs in place instead of copying the route and its target group.
    public func routeIndex(for head: HTTPRequestHead) -> Int? {
        let storage = self.storage
        if storage.catchAll == 0 {
            return 0
        }
        let host = storage.needsHost ? head.headers.first(name: "host").map(Self.normalizedHost(_:)) : nil
        let path = storage.needsPath ? Self.path(of: head.uri) : ""
        let candidates = storage.routes[..<(storage.catchAll ?? storage.routes.count)]
        return candidates.firstIndex { $0.matches(host: host, path: path, method: head.method, headers: head.headers) } ?? storage.catchAll
    }

    /// Convenience for tests: a GET with this host and URI.
    public func route(host: String?, uri: String) -> Route? {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        if let host { head.headers.add(name: "Host", value: host) }
        return self.route(for: head)
    }

    static func path(of uri: String) -> String {
        // By bytes: finding a `Character` segments graphemes, several times the work.
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return uri }
        return String(uri[..<mark])
    }

    /// `Example.COM:443` → `example.com`; `[::1]:8443` → `[::1]`.
    static func normalizedHost(_ host: String) -> String {
        // By bytes (every character looked for is ASCII, so byte positions are character
        // boundaries); no new string for a name that is already plain lower case.
        let bytes = host.utf8
        var end = bytes.endIndex
        if bytes.first == UInt8(ascii: "[") {
            if let close = bytes.firstIndex(of: UInt8(ascii: "]")) {
                end = bytes.index(after: close)
            }
        } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        if end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: ".") {
            end = bytes.index(before: end)
        }
        let name = host[..<end]
        if end == bytes.endIndex, !name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) {
            return host
        }
        return name.lowercased()
    }
}

/// The facts of a route that the request path reads per request (``Router/facts``).
public final class RouteFacts: Sendable {
    public let name: String
    public let targetGroupName: String?
    /// The route's edge policy (`nil`: none of its own).
    public let policy: EdgePolicy?
    public let compression: CompressionPolicy?
    /// The route's HTTP cache (`nil`: none).
    public let cache: ResponseCache?
    /// A static route's site (`nil` for the others): asking a route's `action` per request
    /// copied the enum, and with it a forwarding route's whole target group.
    public let staticRoute: StaticRoute?

    init(route: Route) {
        self.name = route.name
        self.targetGroupName = route.targetGroupName
        self.policy = route.policy
        self.compression = route.compression
        self.cache = route.cache
        if case .staticFiles(let site) = route.action {
            self.staticRoute = StaticRoute(site: site)
        } else {
            self.staticRoute = nil
        }
    }
}

/// A static route's site, by reference (``RouteFacts/staticRoute``): a request keeps it without
/// copying the site's fields.
public final class StaticRoute: Sendable {
    public let site: StaticSite

    init(site: StaticSite) {
        self.site = site
    }
}
