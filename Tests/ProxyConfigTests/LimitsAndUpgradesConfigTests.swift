import ProxyConfig
import ProxyDefaults
import Testing

/// `listeners[].limits.body_timeout`, `send_timeout` and `tunnel_idle_timeout`, `routes[].upgrades`,
/// and the defaults they share with the runtime (decision 0015).
@Suite struct LimitsAndUpgradesConfigTests {
    /// A valid file whose listener has these `limits` (on line 3) and these routes (the first on line 5).
    private static func yaml(limits: String = "{}", routes: String = "- {forward: web}") -> String {
        let indented = routes.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
        return """
            listeners:
              - bind: ":80"
                limits: \(limits)
                routes:
            \(indented)
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
    }

    @Test func readsTheBodySendAndTunnelTimeouts() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(limits: "{body_timeout: 15s, send_timeout: 2m, tunnel_idle_timeout: 10m}")
        )
        let limits = configuration.listeners[0].limits
        #expect(limits.bodyTimeout == .seconds(15))
        #expect(limits.sendTimeout == .seconds(120))
        #expect(limits.tunnelIdleTimeout == .seconds(600))
        #expect(limits.headerTimeout == .seconds(10))
    }

    @Test func theDefaultsAreTheSharedOnes() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml())
        let limits = configuration.listeners[0].limits
        #expect(limits.bodyTimeout == Defaults.Limits.bodyTimeout)
        #expect(limits.sendTimeout == Defaults.Limits.sendTimeout)
        #expect(limits.tunnelIdleTimeout == Defaults.Limits.tunnelIdleTimeout)
        #expect(limits == ListenerLimits())
        #expect(configuration.listeners[0].routes[0].upgrades == Defaults.Route.upgrades)
        let upstream = try #require(configuration.targetGroup(named: "web")).upstream
        #expect(upstream.maxIdlePerTarget == Defaults.Upstream.maxIdlePerTarget)
        #expect(upstream == UpstreamSettings())
    }

    @Test func reportsEveryBadTimeoutAtOnce() throws {
        let fixture = try ConfigFixture()
        #expect(
            fixture.errors(Self.yaml(limits: "{body_timeout: 0s, send_timeout: soon, tunnel_idle_timout: 1h}")) == [
                "test.yaml:3:28: listeners[0].limits.body_timeout: must be greater than 0 (got 0s)",
                "test.yaml:3:46: listeners[0].limits.send_timeout: invalid duration \"soon\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)",
                "test.yaml:3:52: listeners[0].limits.tunnel_idle_timout: unknown key \"tunnel_idle_timout\" (did you mean \"tunnel_idle_timeout\"?)",
            ]
        )
    }

    @Test func readsUpgradesLowercasedAndOffWhenEmpty() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                routes: """
                    - {match: {path_prefix: /ws}, upgrades: [WebSocket, x-custom.v2], forward: web}
                    - {match: {path_prefix: /plain}, upgrades: [], forward: web}
                    - {match: {path_prefix: /empty}, upgrades: ~, forward: web}
                    - {forward: web}
                    """
            )
        )
        #expect(configuration.listeners[0].routes.map(\.upgrades) == [["websocket", "x-custom.v2"], [], [], ["websocket"]])
        #expect(configuration.warnings.isEmpty)
    }

    @Test func refusesH2cAndWhatIsNotAToken() throws {
        let fixture = try ConfigFixture()
        #expect(
            fixture.errors(Self.yaml(routes: "- {upgrades: [H2C, \"web socket\", websocket/13, 7], forward: web}")) == [
                "test.yaml:5:21: listeners[0].routes[0].upgrades[0]: h2c (HTTP/2 over cleartext) is never forwarded: Portcullis speaks HTTP/1.1 to clients and targets; remove it",
                "test.yaml:5:26: listeners[0].routes[0].upgrades[1]: \"web socket\" is not a protocol name (a token, such as websocket; no spaces, \"/\" or \",\")",
                "test.yaml:5:40: listeners[0].routes[0].upgrades[2]: \"websocket/13\" is not a protocol name (a token, such as websocket; no spaces, \"/\" or \",\")",
            ]
        )
        #expect(
            fixture.errors(Self.yaml(routes: "- {upgrades: websocket, forward: web}")) == [
                "test.yaml:5:20: listeners[0].routes[0].upgrades: expected a list, got a string"
            ]
        )
    }

    @Test func warnsAboutRepeatedAndMisspelledUpgrades() throws {
        let fixture = try ConfigFixture()
        #expect(
            try fixture.warnings(Self.yaml(routes: "- {upgrades: [websocket, WEBSOCKET, websockets], forward: web}")) == [
                "test.yaml:5:32: warning: listeners[0].routes[0].upgrades[1]: upgrade websocket is listed twice",
                "test.yaml:5:43: warning: listeners[0].routes[0].upgrades[2]: upgrade \"websockets\" is passed on as written (did you mean \"websocket\"?)",
            ]
        )
    }
}
