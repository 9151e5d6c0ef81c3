import Testing

@testable import ProxyConfig

/// `dns:` and `srv:` target entries and `global.resolvers` (decision 0032).
struct DiscoveryConfigTests {
    private static func yaml(targets: String, global: String = "") -> String {
        """
        \(global)
        listeners:
          - name: web
            bind: "127.0.0.1:8080"
            routes:
              - forward: app
        target_groups:
          app:
            targets:
        \(targets)
        """
    }

    @Test func parsesDNSAndSRVEntriesBesideStaticTargets() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                targets: """
                      - "127.0.0.1:9000"
                      - {dns: App.Internal., port: 8080, refresh: 10s, weight: 3, max_connections: 50}
                      - {srv: _http._tcp.app.internal, max_targets: 500}
                """,
                global: "global:\n  resolvers: [\"127.0.0.1:5353\", \"::1\", \"10.0.0.2\"]"
            )
        )
        let group = try #require(configuration.targetGroup(named: "app"))
        #expect(group.targets.map(\.description) == ["127.0.0.1:9000"])
        #expect(
            group.discovery == [
                TargetDiscoveryConfiguration(record: .address(name: "app.internal", port: 8080), refresh: .seconds(10), weight: 3, maxConnections: 50),
                TargetDiscoveryConfiguration(record: .service(name: "_http._tcp.app.internal"), maxTargets: 500),
            ]
        )
        #expect(group.discovery[1].refresh == .seconds(30))
        #expect(group.discovery[0].maxTargets == 128)  // the default cap
        #expect(configuration.global.resolvers.map(\.description) == ["127.0.0.1:5353", "[::1]:53", "10.0.0.2:53"])
    }

    @Test func aGroupMayHaveOnlyDNSTargets() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml(targets: "      - {dns: app.internal, port: 8080}"))
        #expect(configuration.targetGroup(named: "app")?.targets.isEmpty == true)
        #expect(configuration.global.resolvers.isEmpty)
    }

    @Test func reportsEveryMistakeWithItsPlace() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            Self.yaml(
                targets: """
                      - {dns: app.internal}
                      - {dns: 10.0.0.1, port: 80}
                      - {srv: _http._tcp.app.internal, port: 80, weight: 2}
                      - {dns: a.internal, srv: _x._tcp.internal, port: 1}
                      - {dns: "bad name!", port: 80, refresh: 100ms}
                      - {dns: b.internal, port: 80, ttl: 3s}
                      - {dns: c.internal, port: 80}
                      - {dns: c.internal, port: 80}
                      - {dns: d.internal, port: 80, max_targets: 0}
                """,
                global: "global:\n  resolvers: [\"dns.example:53\", \"127.0.0.1:99999\"]"
            )
        )
        let expected = [
            "missing required key \"port\"",
            "\"10.0.0.1\" is an IP address, not a name to resolve",
            "srv: takes each target's port from its SRV record",
            "srv: takes each target's weight from its SRV record",
            "takes one of \"dns\" and \"srv\", not both",
            "\"bad name!\" is not a valid DNS name",
            "refresh: must be in 1s...",
            "unknown key \"ttl\"",
            "duplicate DNS entry dns:c.internal:80",
            "max_targets: must be in 1...4096 (got 0)",
            "a resolver is an IP address",
            "port must be a number",
        ]
        for fragment in expected {
            #expect(errors.contains { $0.contains(fragment) }, "no error contains \(fragment): \(errors)")
        }
        // Each names its file, line and key.
        #expect(errors.allSatisfy { $0.hasPrefix("test.yaml:") })
        #expect(errors.contains { $0.contains("target_groups.app.targets[0].port") })
    }
}
