import NIOHTTP1
import Testing

@testable import ProxyCore

struct RoutingTests {
    private let web = TargetGroup(name: "web", targets: [Target(host: "127.0.0.1", port: 1)])
    private let api = TargetGroup(name: "api", targets: [Target(host: "127.0.0.1", port: 2)])
    private let shop = TargetGroup(name: "shop", targets: [Target(host: "127.0.0.1", port: 3)])

    @Test func firstMatchingRouteWins() {
        let router = Router(routes: [
            Route(name: "api", pathPrefix: "/api", targetGroup: self.api),
            Route(name: "shop", host: "*.shop.example", targetGroup: self.shop),
            Route(name: "default", targetGroup: self.web),
        ])
        #expect(router.route(host: "x.example", uri: "/api/v1?q=1")?.name == "api")
        #expect(router.route(host: "Eu.Shop.Example:443", uri: "/")?.name == "shop")
        #expect(router.route(host: "a.b.shop.example", uri: "/")?.name == "default")  // one label only
        #expect(router.route(host: "shop.example", uri: "/")?.name == "default")
        #expect(router.route(host: nil, uri: "/x")?.name == "default")
    }

    /// A route without conditions takes every request that reaches it: the routes after it are
    /// never chosen, and it is chosen without being matched (also when it comes first).
    @Test func aRouteWithoutConditionsEndsTheSearch() {
        var router = Router(routes: [
            Route(name: "api", pathPrefix: "/api", targetGroup: self.api),
            Route(name: "all", targetGroup: self.web),
            Route(name: "after", pathPrefix: "/shop", targetGroup: self.shop),
        ])
        #expect(router.route(host: "a", uri: "/api/x")?.name == "api")
        #expect(router.route(host: "a", uri: "/shop")?.name == "all")
        #expect(router.route(host: nil, uri: "/")?.name == "all")
        router.routes.removeFirst()
        #expect(router.route(host: "a", uri: "/api/x")?.name == "all")
        router.routes.removeFirst()
        #expect(router.route(host: "a", uri: "/shop")?.name == "after")
        #expect(router.route(host: "a", uri: "/")?.name == nil)
    }

    /// Host and path are worked out by bytes; the results are those of the plain `Character`
    /// definitions, kept here as the reference.
    @Test func hostAndPathAreNormalizedAsByTheirDefinitions() {
        func referenceHost(_ host: String) -> String {
            var name = Substring(host)
            if name.hasPrefix("[") {
                if let close = name.firstIndex(of: "]") { name = name[...close] }
            } else if let colon = name.lastIndex(of: ":") {
                name = name[..<colon]
            }
            if name.hasSuffix(".") { name = name.dropLast() }
            return name.lowercased()
        }
        let hosts = [
            "Example.COM:443", "example.com", "a.example.", "A.Example.:8080", "[::1]:8443", "[::1]", "[::1", "[FE80::1]",
            "", ":", ".", ":80", "x:", "Ünïcode.Example:1", "plain", "UPPER", "a..", "[]:1",
        ]
        for host in hosts {
            #expect(Router.normalizedHost(host) == referenceHost(host), "\(host)")
        }
        for uri in ["/", "/a?b", "?", "/a/b?c?d", "/caf\u{E9}?x", "*", ""] {
            let reference = uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
            #expect(Router.path(of: uri) == reference, "\(uri)")
        }
    }

    @Test func noMatchingRouteIsNil() {
        let router = Router(routes: [Route(name: "only", host: "a.example", targetGroup: self.web)])
        #expect(router.route(host: "b.example", uri: "/") == nil)
    }
}

struct RouteConditionTests {
    private let web = TargetGroup(name: "web", targets: [Target(host: "127.0.0.1", port: 1)])

    private func head(_ method: HTTPMethod, _ uri: String, _ headers: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders([("Host", "shop.example")] + headers))
    }

    @Test func methodsHeadersAndExactPathsMustAllMatch() {
        let router = Router(routes: [
            Route(name: "writes", pathPrefix: "/api", methods: [.POST, .PUT], action: .forward(self.web)),
            Route(name: "canary", headers: [HeaderMatch(name: "X-Canary", value: "1")], action: .forward(self.web)),
            Route(name: "authed", headers: [HeaderMatch(name: "Authorization")], action: .forward(self.web)),
            Route(name: "login", path: "/login", action: .fixedResponse(status: .ok, body: "ok", contentType: "text/plain")),
        ])
        #expect(router.route(for: self.head(.POST, "/api/orders"))?.name == "writes")
        #expect(router.route(for: self.head(.GET, "/api/orders")) == nil)
        #expect(router.route(for: self.head(.GET, "/", [("x-canary", "1")]))?.name == "canary")
        #expect(router.route(for: self.head(.GET, "/", [("X-Canary", "2")])) == nil)
        #expect(router.route(for: self.head(.GET, "/", [("Authorization", "Bearer x")]))?.name == "authed")
        #expect(router.route(for: self.head(.GET, "/login?next=/"))?.name == "login")
        #expect(router.route(for: self.head(.GET, "/login/again")) == nil)
    }

    @Test func redirectKeepsWhatItDoesNotReplace() {
        let toHTTPS = RedirectRule(scheme: "https", status: .movedPermanently)
        #expect(toHTTPS.location(requestScheme: "http", requestHost: "shop.example:80", uri: "/a?b=1") == "https://shop.example/a?b=1")
        let moved = RedirectRule(host: "new.example", path: "/new", status: .temporaryRedirect)
        #expect(moved.location(requestScheme: "https", requestHost: "old.example", uri: "/old?q=2") == "https://new.example/new?q=2")
        let port = RedirectRule(port: 8443)
        #expect(port.location(requestScheme: "https", requestHost: "a.example", uri: "/") == "https://a.example:8443/")
    }
}
