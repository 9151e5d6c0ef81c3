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

    @Test func weightedRoundRobinIsExactAndSmooth() {
        var picker = RoundRobinPicker()
        let targets = [Target(host: "a", port: 1, weight: 5), Target(host: "b", port: 1, weight: 1), Target(host: "c", port: 1, weight: 1)]
        let picks = (0..<7).compactMap { _ in picker.pick(from: targets)?.host }
        #expect(picks.filter { $0 == "a" }.count == 5)
        #expect(picks.filter { $0 == "b" }.count == 1)
        #expect(picks == ["a", "a", "b", "a", "c", "a", "a"])
    }
}
