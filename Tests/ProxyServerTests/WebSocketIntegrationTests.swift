import Foundation
import ProxyTLS
import Testing

/// WebSocket (`Connection: upgrade`, `Upgrade: websocket`) through the proxy, end to end over
/// loopback, with peers independent of our code: Python's `websockets` package on both sides
/// (`Peers/ws_echo_server.py` as the target, `Peers/ws_client_check.py` as the client; `make test`
/// installs the package). The target's `101` turns the connection into a byte tunnel; a route's
/// `upgrades` says which upgrades it forwards (`[websocket]` by default, `[]` none);
/// `limits.tunnel_idle_timeout` closes a silent tunnel.
@Suite(.serialized)
struct WebSocketIntegrationTests {
    /// A plain-HTTP listener: `/ws…` to the echo server (group `ws`), the rest to backend `b0`.
    /// `routes` go before the `/ws` route; `limits` is the listener's `limits:` line.
    static func yaml(echoPort: Int, limits: String = "", routes: String = "", extraRoute: String = "") -> String {
        """
        global:
          event_loops: 1
          shutdown_grace: 2s
          access_log: false
        admin:
          bind: "127.0.0.1:0"
        listeners:
          - name: plain
            bind: "127.0.0.1:0"
            protocol: http
        \(limits)
            routes:
        \(extraRoute)
        \(routes)
              - name: ws
                match: { path_prefix: /ws }
                forward: ws
              - name: site
                forward: web
        target_groups:
          web:
            targets: ["127.0.0.1:{B0}"]
            health_check:
              enabled: false
          other:
            targets: ["127.0.0.1:{B1}"]
            health_check:
              enabled: false
          ws:
            targets: ["127.0.0.1:\(echoPort)"]
            health_check:
              enabled: false
        """
    }

    // MARK: - Messages through the tunnel

    @Test func textBinaryPingOrderIdleAndClientCloseOverTLS() async throws {
        try await EchoServer.with { echo in
            let fixture = try await ProxyFixture.start(targetPort: echo.port)
            do {
                let result = try await WebSocketPeers.check(
                    "wss://localhost:\(fixture.port)/chat",
                    ["text", "binary", "ping", "order", "idle", "close-client", "--cafile", fixture.certificates.caCertificate]
                )
                expectPassed(result, ["text", "binary", "ping", "order", "idle", "close-client"])
                #expect(echo.events().contains("open /chat"))
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }

    @Test func theTargetClosingTheTunnelReachesTheClientOverTLS() async throws {
        try await EchoServer.with(["--close-after", "3"]) { echo in
            let fixture = try await ProxyFixture.start(targetPort: echo.port)
            do {
                let result = try await WebSocketPeers.check(
                    "wss://localhost:\(fixture.port)/",
                    ["close-server", "--close-after", "3", "--cafile", fixture.certificates.caCertificate]
                )
                expectPassed(result, ["close-server"])
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }

    @Test func textBinaryPingOrderAndBothClosesOverPlainHTTP() async throws {
        try await EchoServer.with { echo in
            try await EchoServer.with(["--close-after", "3"]) { closing in
                let yaml = Self.yaml(
                    echoPort: echo.port,
                    routes: """
                              - name: closing
                                match: { path_prefix: /closing }
                                forward: closing
                        """
                ) + """

                      closing:
                        targets: ["127.0.0.1:\(closing.port)"]
                        health_check:
                          enabled: false
                    """
                try await AdminFixture.with(yaml: yaml) { fixture in
                    let url = "ws://127.0.0.1:\(fixture.port)"
                    let result = try await WebSocketPeers.check(url + "/ws", ["text", "binary", "ping", "order", "close-client"])
                    expectPassed(result, ["text", "binary", "ping", "order", "close-client"])
                    let closed = try await WebSocketPeers.check(url + "/closing", ["close-server", "--close-after", "3"])
                    expectPassed(closed, ["close-server"])
                    // Ordinary requests on the same listener still work.
                    let curl = try require(which("curl"), "curl")
                    #expect(try await run(curl, ["-s", fixture.url + "/whoami"]).stdout == "b0")
                }
            }
        }
    }

    /// The client half-closes its side of the tunnel: the target's side is half-closed too, and
    /// what the target sends after that still reaches the client (raw sockets on both ends).
    @Test func aHalfCloseIsPassedOnThroughTheTunnel() async throws {
        let peer = try PeerProcess(try require(which("python3"), "python3"), [WebSocketPeers.directory + "/raw_half_close.py"])
        let portLine = try await peer.line()
        guard let targetPort = portLine.flatMap({ Int($0) }) else {
            Issue.record("the target did not say its port: \(portLine ?? "nothing")")
            return
        }
        try await AdminFixture.with(yaml: Self.yaml(echoPort: targetPort)) { fixture in
            #expect(peer.send("\(fixture.port)"))
            let result = try await peer.line(where: { $0.hasPrefix("ok") || $0.hasPrefix("FAIL") }, timeout: .seconds(20))
            #expect(result == "ok half-close")
        }
        _ = try await peer.waitForExit(timeout: .seconds(5))
    }

    // MARK: - No tunnel

    @Test func aRefusedUpgradeIsForwardedAndTheConnectionStaysHTTP() async throws {
        try await EchoServer.with(["--refuse", "403"]) { echo in
            try await AdminFixture.with(yaml: Self.yaml(echoPort: echo.port)) { fixture in
                let refused = try await WebSocketPeers.check(
                    "ws://127.0.0.1:\(fixture.port)/ws",
                    ["--expect-status", "403", "--expect-body", "upgrade refused by target"]
                )
                expectPassed(refused, ["refused"])

                // The same over one raw connection: the target's answer comes through, and the
                // connection is still HTTP/1.1 afterwards, ready for the next request.
                let client = try await RawHTTPConnection(port: fixture.port)
                defer { client.close() }
                try await client.send(WebSocketPeers.upgradeRequest(path: "/ws/refused"))
                let answer = try await client.read(until: { $0.contains("upgrade refused by target") })
                #expect(answer.hasPrefix("HTTP/1.1 403"), "\(answer)")
                #expect(answer.hasSuffix("upgrade refused by target\n"), "\(answer)")
                #expect(!answer.contains("HTTP/1.1 101"))
                try await client.send("GET /whoami HTTP/1.1\r\nHost: a\r\n\r\n")
                let next = try await client.read(until: { $0.hasSuffix("b0") })
                #expect(next.hasPrefix("HTTP/1.1 200"), "\(next)")
                #expect(next.hasSuffix("b0"))
                #expect(echo.events().contains("refused /ws/refused"))
            }
        }
    }

    @Test func aRouteWithoutUpgradesForwardsAPlainRequest() async throws {
        try await EchoServer.with { echo in
            let noUpgrades = """
                      - name: no-upgrades
                        match: { path_prefix: /plain-only }
                        upgrades: []
                        forward: ws
                """
            try await AdminFixture.with(yaml: Self.yaml(echoPort: echo.port, routes: noUpgrades)) { fixture in
                // The target sees a request without Upgrade and answers 426 (not 101).
                let refused = try await WebSocketPeers.check(
                    "ws://127.0.0.1:\(fixture.port)/plain-only",
                    ["--expect-status", "426", "--expect-body", "no upgrade requested"]
                )
                expectPassed(refused, ["refused"])
                #expect(echo.events().contains("plain /plain-only"), "\(echo.events())")
                #expect(!echo.events().contains("open /plain-only"))

                // Over a raw connection: no 101, no Upgrade header reached the target, and the
                // connection goes on as HTTP.
                let client = try await RawHTTPConnection(port: fixture.port)
                defer { client.close() }
                try await client.send(WebSocketPeers.upgradeRequest(path: "/plain-only/raw"))
                let answer = try await client.read(until: { $0.contains("no upgrade requested") })
                #expect(answer.hasPrefix("HTTP/1.1 426"), "\(answer)")
                try await client.send("GET /whoami HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try await client.read(until: { $0.hasSuffix("b0") }).hasSuffix("b0"))

                // The route next to it, with the default `upgrades`, tunnels.
                let tunneled = try await WebSocketPeers.check("ws://127.0.0.1:\(fixture.port)/ws", ["text"])
                expectPassed(tunneled, ["text"])
            }
        }
    }

    // MARK: - Timeouts, drain, reload

    @Test func aSilentTunnelIsClosedAfterTheTunnelIdleTimeout() async throws {
        try await EchoServer.with { echo in
            let yaml = Self.yaml(echoPort: echo.port, limits: "    limits: { tunnel_idle_timeout: 1s }")
            try await AdminFixture.with(yaml: yaml) { fixture in
                let url = "ws://127.0.0.1:\(fixture.port)/ws"
                // Pauses shorter than the timeout keep it open.
                let busy = try await WebSocketPeers.check(url, ["idle", "--idle", "0.4"])
                expectPassed(busy, ["idle"])
                // Silence longer than the timeout closes it, and not much later.
                let silent = try await WebSocketPeers.check(url, ["idle-closed", "--within", "6"])
                expectPassed(silent, ["idle-closed"])
                // "ok idle-closed: closed by the other side after 1.0s idle (code 1006)"
                let seconds = silent.stdout.components(separatedBy: "after ").dropFirst().first
                    .flatMap { Double($0.prefix(while: { $0.isNumber || $0 == "." })) }
                #expect(seconds.map { $0 >= 0.8 && $0 < 4 } == true, "\(silent.stdout)")
            }
        }
    }

    /// A tunnel counts as a request in flight to its target: `drain` with `wait` waits for it,
    /// and when the wait's timeout passes the proxy closes it.
    @Test func drainingATargetWaitsForItsTunnelsAndClosesThemAfterTheTimeout() async throws {
        try await EchoServer.with { echo in
            try await AdminFixture.with(yaml: Self.yaml(echoPort: echo.port)) { fixture in
                let target = "127.0.0.1:\(echo.port)"
                let url = "ws://127.0.0.1:\(fixture.port)/ws"
                let drainPath = "/target-groups/ws/targets/\(target)/drain"

                // A tunnel that ends while the drain waits: the drain returns `drained` then.
                let first = try await WebSocketPeers.hold(url)
                defer { Task { await first.stop() } }
                try await expectEcho(first, "one")
                #expect(try await inFlight(fixture, target) == 1, "an open tunnel counts as in flight")
                let started = ContinuousClock.now
                let drain = Task { try await fixture.adminCall("POST", drainPath, json: "{\"wait\": true, \"timeout_seconds\": 20}") }
                try await Task.sleep(for: .milliseconds(600))
                first.send("close")
                let firstClosed = try await first.line(where: { $0.hasPrefix("closed") })
                #expect(firstClosed == "closed 1000")
                let drained = try await drain.value
                let waited = started.duration(to: .now)
                #expect(drained.status == 200)
                let document = try jsonObject(drained.body)
                #expect(document["outcome"] as? String == "drained", "\(drained.body)")
                #expect(document["in_flight"] as? Int == 0, "\(drained.body)")
                #expect(waited > .milliseconds(500), "the drain did not wait for the tunnel")
                #expect(waited < .seconds(10))
                // Drained: no target left for a new upgrade.
                let none = try await WebSocketPeers.check(url, ["--expect-status", "503"])
                expectPassed(none, ["refused"])

                // Back in rotation; a tunnel that outlives the drain's timeout is closed by the proxy.
                let attach = try await fixture.adminCall("POST", "/target-groups/ws/targets/\(target)/attach", json: "{\"immediately\": true}")
                #expect(attach.status == 200)
                let second = try await WebSocketPeers.hold(url)
                defer { Task { await second.stop() } }
                try await expectEcho(second, "two")
                #expect(try await inFlight(fixture, target) == 1)
                let shortStart = ContinuousClock.now
                let short = try await fixture.adminCall("POST", drainPath, json: "{\"wait\": true, \"timeout_seconds\": 1}")
                #expect(short.status == 200)
                let shortDocument = try jsonObject(short.body)
                #expect(shortDocument["outcome"] as? String == "timed_out", "\(short.body)")
                // The tunnel was still open when the wait ran out: closed by the drain, and said so.
                #expect(shortDocument["tunnels_closed"] as? Int == 1, "\(short.body)")
                #expect(shortDocument["in_flight"] as? Int == 0, "\(short.body)")
                #expect(shortStart.duration(to: .now) > .milliseconds(900))
                let secondClosed = try await second.line(where: { $0.hasPrefix("closed") }, timeout: .seconds(5))
                #expect(secondClosed != nil, "the tunnel was still open after the drain timed out")
                var left = try await inFlight(fixture, target)
                for _ in 0..<100 where left != 0 {
                    try await Task.sleep(for: .milliseconds(20))
                    left = try await inFlight(fixture, target)
                }
                #expect(left == 0)
            }
        }
    }

    @Test func aTunnelOnAnUnchangedRouteSurvivesAReload() async throws {
        try await EchoServer.with { echo in
            try await AdminFixture.with(yaml: Self.yaml(echoPort: echo.port)) { fixture in
                let tunnel = try await WebSocketPeers.hold("ws://127.0.0.1:\(fixture.port)/ws")
                defer { Task { await tunnel.stop() } }
                try await expectEcho(tunnel, "before the reload")

                // Another route is added; the `ws` route is unchanged.
                try fixture.rewrite(Self.yaml(echoPort: echo.port, extraRoute: ReloadIntegrationTests.otherRoute))
                let reload = try await fixture.adminCall("POST", "/reload")
                #expect(reload.status == 200, "\(reload.body)")
                let curl = try require(which("curl"), "curl")
                #expect(try await run(curl, ["-s", "-H", "Host: other.test", fixture.url + "/whoami"]).stdout == "b1")

                try await expectEcho(tunnel, "after the reload")
                tunnel.send("close")
                #expect(try await tunnel.line(where: { $0.hasPrefix("closed") }) == "closed 1000")
                #expect(try await tunnel.waitForExit(timeout: .seconds(10)) == 0, "\(tunnel.stderr)")
            }
        }
    }

    // MARK: - Helpers

    func inFlight(_ fixture: AdminFixture, _ target: String) async throws -> Int? {
        try await fixture.target(target, group: "ws")?["in_flight"] as? Int
    }

    func expectEcho(_ tunnel: PeerProcess, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        tunnel.send("echo \(text)")
        let line = try await tunnel.line(where: { $0.hasPrefix("echo") || $0.hasPrefix("closed") })
        #expect(line == "echo \(text)", "\(tunnel.stderr)", sourceLocation: sourceLocation)
    }

    func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }
}

/// Every named check printed `ok`, and the client exited 0.
func expectPassed(_ result: ProcessResult, _ checks: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    for check in checks {
        #expect(result.stdout.contains("ok \(check):"), "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    }
}

/// The Python peers in `Peers/`.
enum WebSocketPeers {
    static let directory = packageRoot + "/Tests/ProxyServerTests/Peers"

    /// python3 with the `websockets` package; missing, it is an error (`make test` installs both).
    static func python() async throws -> String {
        let python = try require(which("python3"), "python3")
        let probe = try await run(python, ["-c", "import websockets.asyncio.client, websockets.asyncio.server"], timeout: 30)
        guard probe.status == 0 else {
            throw MissingTool(description: "Python's websockets package not installed (make test installs it): \(probe.stderr)")
        }
        return python
    }

    /// Runs `ws_client_check.py URL arguments…` to completion.
    static func check(_ url: String, _ arguments: [String], timeout: TimeInterval = 90) async throws -> ProcessResult {
        try await run(try await python(), [directory + "/ws_client_check.py", url] + arguments, timeout: timeout)
    }

    /// A tunnel held open by `ws_client_check.py URL hold`, once it printed `open`.
    static func hold(_ url: String, _ arguments: [String] = []) async throws -> PeerProcess {
        let process = try PeerProcess(try await python(), [directory + "/ws_client_check.py", url, "hold", "--max-seconds", "60"] + arguments)
        let first = try await process.line(where: { $0 == "open" || $0.hasPrefix("FAIL") })
        guard first == "open" else {
            await process.stop()
            throw SubprocessError(description: "no tunnel to \(url): \(first ?? "no answer") \(process.stderr)")
        }
        return process
    }

    /// A WebSocket upgrade request as a browser sends it (RFC 6455's sample key).
    static func upgradeRequest(path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    }
}

/// `Peers/ws_echo_server.py` on an ephemeral loopback port, logging what reached it.
final class EchoServer: Sendable {
    let process: PeerProcess
    let port: Int
    let directory: String

    private init(process: PeerProcess, port: Int, directory: String) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    static func start(_ arguments: [String] = []) async throws -> EchoServer {
        let directory = try makeTemporaryDirectory()
        let process = try PeerProcess(
            try await WebSocketPeers.python(),
            [WebSocketPeers.directory + "/ws_echo_server.py", "--log", directory + "/events.log", "--max-seconds", "300"] + arguments
        )
        guard let line = try await process.line(timeout: .seconds(20)), let port = Int(line) else {
            await process.stop()
            throw SubprocessError(description: "the echo server did not start: \(process.stderr)")
        }
        return EchoServer(process: process, port: port, directory: directory)
    }

    /// Starts one, runs `body`, and stops it when `body` returns or throws.
    static func with<T>(_ arguments: [String] = [], _ body: (EchoServer) async throws -> T) async throws -> T {
        let server = try await Self.start(arguments)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// What reached it so far, one event a line: `open PATH`, `refused PATH`, `plain PATH`,
    /// `closed CODE after N`.
    func events() -> [String] {
        let text = (try? String(contentsOfFile: self.directory + "/events.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func stop() async {
        await self.process.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
