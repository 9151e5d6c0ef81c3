import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Retries, stickiness and route actions through the whole client pipeline on EmbeddedChannels.
struct LoadBalancingHandlerTests {
    static let three = [
        Target(host: "10.0.0.1", port: 8001, name: "t1"),
        Target(host: "10.0.0.2", port: 8002, name: "t2"),
        Target(host: "10.0.0.3", port: 8003, name: "t3"),
    ]

    @Test func postWithConnectRefusedIsRetriedOnceOnAnotherTarget() throws {
        let harness = try ProxyHarness(targets: Self.three, retries: RetrySettings(maxTries: 2))
        harness.connector.refusedPorts = [8001]
        try harness.send("POST /orders HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        #expect(harness.connector.attemptedTargets.map(\.port) == [8001, 8002])
        let request = try harness.upstreamReceived()
        #expect(request.hasPrefix("POST /orders HTTP/1.1"))
        #expect(request.hasSuffix("\r\n\r\nabc"))
        try harness.respond("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 201 Created"))
    }

    @Test func connectRefusedEverywhereStopsAtMaxTries() throws {
        let harness = try ProxyHarness(targets: Self.three, retries: RetrySettings(maxTries: 2))
        harness.connector.refusedPorts = [8001, 8002, 8003]
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(harness.connector.attempts == 2)
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 502 Bad Gateway"))
    }

    @Test func postWhoseTargetResetAfterReceivingItIsNotRetried() throws {
        let harness = try ProxyHarness(targets: Self.three, retries: RetrySettings(maxTries: 3))
        try harness.send("POST /pay HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try harness.upstreamReceived().hasSuffix("abc"))
        try harness.upstream?.close().wait()
        harness.loop.run()
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 502 Bad Gateway"))
        #expect(harness.connector.attempts == 1)  // a POST is never sent twice
    }

    @Test func getWhoseTargetResetIsRetriedOnAnotherTarget() throws {
        let harness = try ProxyHarness(targets: Self.three, retries: RetrySettings(maxTries: 2))
        try harness.send("GET /page HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        let first = harness.connector.channelTargets[0]
        try harness.upstream?.close().wait()
        harness.loop.run()
        #expect(harness.connector.attempts == 2)
        #expect(harness.connector.channelTargets[1] != first)
        #expect(try harness.upstreamReceived(1).hasPrefix("GET /page"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", index: 1)
        #expect(try harness.clientReceived().hasSuffix("ok"))
    }

    @Test func postWithIdempotencyKeyIsRetriedAfterReset() throws {
        let harness = try ProxyHarness(targets: Self.three, retries: RetrySettings(maxTries: 2))
        try harness.send("POST /pay HTTP/1.1\r\nHost: a\r\nIdempotency-Key: k-1\r\nContent-Length: 3\r\n\r\nabc")
        _ = try harness.upstreamReceived()
        try harness.upstream?.close().wait()
        harness.loop.run()
        #expect(harness.connector.attempts == 2)
        #expect(try harness.upstreamReceived(1).hasSuffix("\r\n\r\nabc"))
    }

    @Test func stickinessCookieKeepsAClientOnItsTarget() throws {
        let harness = try ProxyHarness(targets: Self.three, stickiness: StickinessSettings(cookieName: "pc", ttl: .seconds(60)))
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        let response = try harness.clientReceived()
        let setCookie = try #require(response.split(separator: "\r\n").first { $0.hasPrefix("Set-Cookie: pc=") })
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("Secure") && setCookie.contains("Max-Age=60"))
        #expect(!setCookie.contains("10.0.0."))  // names the target, not its address
        let value = setCookie.dropFirst("Set-Cookie: ".count).split(separator: ";")[0]
        let stuck = harness.connector.channelTargets[0]

        for _ in 0..<4 {
            try harness.send("GET / HTTP/1.1\r\nHost: a\r\nCookie: other=1; \(value)\r\n\r\n")
            _ = try harness.upstreamReceived()
            try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            #expect(!(try harness.clientReceived().contains("Set-Cookie")))
        }
        #expect(Set(harness.connector.channelTargets) == [stuck])

        // A forged cookie is ignored.
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\nCookie: pc=t3.0000\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(try harness.clientReceived().contains("Set-Cookie: pc="))
    }

    @Test func rejectWhenAllUnhealthyAnswers503() throws {
        let loop = EmbeddedEventLoop()
        let group = TargetGroup(
            name: "web",
            targets: Self.three,
            healthCheck: HealthCheckSettings(kind: .tcp, interval: .seconds(10), timeout: .seconds(1)),
            allUnhealthy: .reject
        )
        let prober = FakeProber(loop: loop)
        prober.failing = Set(Self.three.map(\.id))
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: prober, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let state = monitor.makeLoopState(on: loop)
        monitor.start()
        loop.run()
        #expect(monitor.status().allSatisfy { $0.health == .unhealthy })
        #expect(state.pick(for: RequestKey(clientAddress: "1.2.3.4")) == nil)
    }
}

/// Probe results chosen by the test.
final class FakeProber: HealthProber, @unchecked Sendable {
    // Only touched on the test's single embedded loop.
    let loop: EmbeddedEventLoop
    var failing: Set<String> = []
    var probes: [String] = []

    init(loop: EmbeddedEventLoop) {
        self.loop = loop
    }

    func probe(_ target: Target, settings: HealthCheckSettings, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        self.probes.append(target.id)
        let result: ProbeResult = self.failing.contains(target.id) ? .failed(reason: .refused) : .passed(status: 200)
        return eventLoop.makeSucceededFuture(result)
    }
}

struct LocalResponseTests {
    @Test func fixedResponseAndRedirectAndNoRouteAreAnsweredWithoutATarget() throws {
        // No catch-all route: a request that matches nothing gets 404.
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let pool = UpstreamPool(eventLoop: loop, connector: EmbeddedConnector(loop: loop))
        let proxyLoop = ProxyLoop(eventLoop: loop, pool: pool)
        let settings = ListenerSettings(
            name: "t",
            scheme: "http",
            router: Router(routes: [
                Route(name: "ok", path: "/healthz", action: .fixedResponse(status: .ok, body: "ok\n", contentType: "text/plain")),
                Route(name: "https", pathPrefix: "/secure", action: .redirect(RedirectRule(scheme: "https"))),
            ])
        )
        try channel.pipeline.syncOperations.addHandler(
            HTTP1ServerConnection(
                limits: RequestLimits(),
                serverHeader: nil,
                timers: proxyLoop.timers,
                session: ForwardingSession(settings: settings, loop: proxyLoop, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            )
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
        var response = try drainOutbound(channel)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n") && response.hasSuffix("\r\n\r\nok\n"))
        try channel.writeInbound(ByteBuffer(string: "GET /secure/x?y=1 HTTP/1.1\r\nHost: a.example\r\n\r\n"))
        response = try drainOutbound(channel)
        #expect(response.hasPrefix("HTTP/1.1 301 Moved Permanently\r\n"))
        #expect(response.contains("Location: https://a.example/secure/x?y=1\r\n"))
        try channel.writeInbound(ByteBuffer(string: "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"))
        response = try drainOutbound(channel)
        #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(channel.isActive)  // answered locally, keep-alive intact
    }

    /// Fixed responses and the 404 are prepared once per listener and follow its settings.
    @Test func preparedResponsesFollowTheServerHeaderAndRoutes() {
        var settings = ListenerSettings(
            name: "t",
            scheme: "http",
            router: Router(routes: [
                Route(name: "go", path: "/go", action: .redirect(RedirectRule(scheme: "https"))),
                Route(name: "ok", path: "/ok", action: .fixedResponse(status: .accepted, body: "fine\n", contentType: "text/x")),
            ])
        )
        var ok = settings.localResponses.fixedResponse(route: 1)
        #expect(settings.localResponses.fixedResponse(route: 0) == nil)
        #expect(ok?.status == .accepted && ok?.body == ByteBuffer(string: "fine\n"))
        #expect(ok?.headers["Server"] == ["portcullis"])
        #expect(ok?.headers["Content-Type"] == ["text/x"] && ok?.headers["Content-Length"] == ["5"])
        #expect(settings.localResponses.notFound.status == .notFound)
        #expect(settings.localResponses.notFound.headers["Content-Length"] == ["14"])
        settings.serverHeader = nil
        ok = settings.localResponses.fixedResponse(route: 1)
        #expect(ok?.headers["Server"] == [] && settings.localResponses.notFound.headers["Server"] == [])
        settings.router = Router(routes: [Route(name: "other", path: "/", action: .fixedResponse(status: .ok, body: "", contentType: "text/plain"))])
        #expect(settings.localResponses.fixedResponse(route: 0)?.headers["Content-Length"] == ["0"])
        #expect(settings.localResponses.fixedResponse(route: 1) == nil)
    }
}
