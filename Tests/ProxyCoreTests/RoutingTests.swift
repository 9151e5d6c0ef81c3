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

    @Test func noMatchingRouteIsNil() {
        let router = Router(routes: [Route(name: "only", host: "a.example", targetGroup: self.web)])
        #expect(router.route(host: "b.example", uri: "/") == nil)
    }
}
