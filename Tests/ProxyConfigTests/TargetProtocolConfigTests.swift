import ProxyConfig
import Testing

/// `target_groups.<name>.protocol` and the `grpc` health check (docs/http2.md, "h2c and gRPC
/// targets").
@Suite struct TargetProtocolConfigTests {
    /// A file whose only target group `api` has the keys in `group` (each on its own line from line 5).
    private static func yaml(_ group: String) -> String {
        """
        listeners:
          - bind: ":80"
            routes: [{forward: api}]
        target_groups:
          api:
            targets: ["127.0.0.1:50051"]
        \(group.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    @Test func parsesH2cAndAGRPCHealthCheck() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml("protocol: h2c\nhealth_check: {protocol: grpc, service: pkg.Greeter, interval: 5s, timeout: 1s}"))
        #expect(configuration.warnings.isEmpty)
        let api = try #require(configuration.targetGroup(named: "api"))
        #expect(api.protocol == .h2c)
        #expect(api.healthCheck.protocol == .grpc)
        #expect(api.healthCheck.service == "pkg.Greeter")
    }

    @Test func defaultsToHTTP1() throws {
        let configuration = try ConfigFixture().parse(Self.yaml(""))
        #expect(configuration.targetGroup(named: "api")?.protocol == .http1)
        #expect(configuration.targetGroup(named: "api")?.healthCheck.service == "")
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let errors = try ConfigFixture().errors(Self.yaml("protocol: h2\nhealth_check: {protocol: grpcs}"))
        #expect(
            errors == [
                "test.yaml:7:15: target_groups.api.protocol: unknown target protocol \"h2\" (expected one of: http1, h2c)",
                "test.yaml:8:30: target_groups.api.health_check.protocol: unknown health check protocol \"grpcs\" (expected one of: http, tcp, grpc)",
            ]
        )
    }

    @Test func h2cRefusesTheProxyProtocol() throws {
        let errors = try ConfigFixture().errors(Self.yaml("protocol: h2c\nupstream: {proxy_protocol: v2}"))
        #expect(
            errors == [
                "test.yaml:7:15: target_groups.api.protocol: h2c cannot be used with upstream.proxy_protocol (an h2c connection carries many clients' requests)"
            ]
        )
    }

    @Test func warnsAboutKeysAGRPCCheckIgnores() throws {
        let warnings = try ConfigFixture().warnings(Self.yaml("health_check: {protocol: grpc, path: /healthz}\n"))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("target_groups.api.health_check.path: is ignored because protocol is grpc") == true)
        let serviceWarnings = try ConfigFixture().warnings(Self.yaml("health_check: {service: x}"))
        #expect(serviceWarnings.first?.contains("health_check.service: is ignored unless protocol is grpc") == true)
    }
}
