import NIOCore
import ProxyConfig
import ProxyCore
import ProxyTLS
import Testing

@testable import ProxyServer

/// The one place configuration becomes runtime settings: every key reaches its runtime field,
/// and a file that sets nothing gives the runtime types' own defaults (decision 0015).
struct ListenerPlanTests {
    private func plan(_ yaml: String) throws -> (ListenerPlan, ProxyConfiguration) {
        let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "test.yaml", baseDirectory: "/tmp")
        let plans = try ListenerPlan.make(from: configuration)
        return (try #require(plans.first), configuration)
    }

    @Test func aFileThatSetsNothingGivesTheRuntimeDefaults() throws {
        let (plan, configuration) = try self.plan(
            """
            listeners:
              - {bind: "127.0.0.1:8080", routes: [{forward: web}]}
            target_groups:
              web: {targets: ["127.0.0.1:9000"]}
            """
        )
        #expect(plan.settings.limits == RequestLimits())
        #expect(plan.settings.serverHeader == ListenerSettings(name: "x", scheme: "http", router: Router(routes: [])).serverHeader)
        #expect(plan.settings.stripResponseHeaders == ListenerSettings.defaultStrippedResponseHeaders)
        let routes = plan.settings.router.routes
        #expect(routes.map(\.upgrades) == [Route.defaultUpgrades])
        let group = try #require(ListenerPlan.targetGroups(from: configuration)["web"])
        #expect(group.upstream == ProxyCore.UpstreamSettings())
        #expect(group.upstream.maxIdlePerTarget == 1024)
    }

    /// `routes[].compression` to the runtime's ``CompressionPolicy``: on by default with the
    /// shared defaults, every key carried, none for `false` or a route that answers itself.
    @Test func mapsCompression() throws {
        let (plan, _) = try self.plan(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                routes:
                  - {match: {path_prefix: /a}, compression: {encodings: [br, gzip], min_bytes: 2KiB, types: [text/css], level: {gzip: 7, br: 6, zstd: 9}}, forward: web}
                  - {match: {path_prefix: /b}, compression: false, forward: web}
                  - {match: {path_prefix: /c}, fixed_response: {status: 200}}
                  - {forward: web}
            target_groups:
              web: {targets: ["127.0.0.1:9000"]}
            """
        )
        let routes = plan.settings.router.routes
        let configured = try #require(routes[0].compression)
        #expect(configured.encodings == [.br, .gzip] && configured.minBytes == 2048 && configured.types == ["text/css"])
        #expect(configured.levels == CompressionPolicy.Levels(gzip: 7, br: 6, zstd: 9))
        #expect(routes[1].compression == nil)
        #expect(routes[2].compression == nil)
        let byDefault = try #require(routes[3].compression)
        let runtimeDefault = CompressionPolicy()
        #expect(byDefault.encodings == runtimeDefault.encodings && byDefault.encodings == [.zstd, .br, .gzip])
        #expect(byDefault.minBytes == runtimeDefault.minBytes && byDefault.types == runtimeDefault.types)
        #expect(byDefault.levels == runtimeDefault.levels)
        #expect(plan.settings.router.compressions.map { $0 != nil } == [true, false, false, true])
    }

    @Test func mapsTheLimitsAndUpgradesOfTheFile() throws {
        let (plan, _) = try self.plan(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                limits: {body_timeout: 15s, send_timeout: 2m, tunnel_idle_timeout: 10m, header_timeout: 3s}
                routes:
                  - {match: {path_prefix: /ws}, upgrades: [WebSocket, x-game], forward: web}
                  - {upgrades: [], forward: web}
            target_groups:
              web: {targets: ["127.0.0.1:9000"], upstream: {max_idle_per_target: 0}}
            """
        )
        let limits = plan.settings.limits
        #expect(limits.bodyTimeout == .seconds(15))
        #expect(limits.sendTimeout == .minutes(2))
        #expect(limits.tunnelIdleTimeout == .minutes(10))
        #expect(limits.headerTimeout == .seconds(3))
        let routes = plan.settings.router.routes
        #expect(routes.map(\.upgrades) == [["websocket", "x-game"], []])
        #expect(routes.first?.targetGroup?.upstream.maxIdlePerTarget == 0)
    }
}

/// `portcullis dev`'s configuration reaches the runtime as any other: its error pages, no HSTS,
/// HTTP/2 by ALPN, target groups without health checks.
struct DevelopmentListenerPlanTests {
    @Test func theDevConfigurationTurnsOnWhatOnlyItMay() throws {
        let directory = try makeTemporaryDirectory()
        let paths = try DevCertificateAuthority.ensure(directory: directory)
        let configuration = try ProxyConfiguration.development(
            DevelopmentOptions(
                targets: [":3000", "/api=:4000"],
                certificate: CertificatePair(certificatePath: paths.certificate, privateKeyPath: paths.privateKey)
            )
        )
        let plan = try #require(try ListenerPlan.make(from: configuration).first)
        #expect(plan.settings.developmentErrorPages)
        #expect(!plan.settings.fixedResponseFields.contains { $0.0 == "Strict-Transport-Security" })
        #expect(plan.http2Entry == .alpn)
        #expect(plan.settings.router.routes.count == 2)
        let groups = ListenerPlan.targetGroups(from: configuration)
        #expect(groups.count == 2 && groups.values.allSatisfy { $0.healthCheck == nil }, "a dev target must never wait for health checks")

        // A file cannot turn the pages on: the key does not exist.
        let file = try ProxyConfiguration.parse(
            yaml: """
                listeners:
                  - {bind: "127.0.0.1:8080", routes: [{forward: web}]}
                target_groups:
                  web: {targets: [":9000"]}
                """,
            file: "test.yaml",
            baseDirectory: "/tmp"
        )
        #expect(try ListenerPlan.make(from: file).first?.settings.developmentErrorPages == false)
    }
}
