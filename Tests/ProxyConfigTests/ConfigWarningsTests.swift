import ProxyConfig
import Testing

@Suite struct ConfigWarningsTests {
    @Test func warnsAboutShadowedRoutes() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            """
            listeners:
              - bind: ":80"
                routes:
                  - name: api
                    match: {host: "*.example.com", path_prefix: /api}
                    forward: api
                  - name: api-v2
                    match: {host: shop.example.com, path_prefix: /api/v2}
                    forward: api
                  - name: shop
                    match: {host: shop.example.com}
                    forward: web
                  - name: default
                    forward: web
                  - name: admin
                    match: {path_prefix: /admin}
                    forward: web
                  - name: fallback
                    forward: web
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
              api: {targets: ["127.0.0.1:8081"]}
            """
        )
        #expect(
            warnings == [
                "test.yaml:7:9: warning: listeners[0].routes[1]: route \"api-v2\" can never match: route \"api\" (line 4) comes first and it matches every request this route would",
                "test.yaml:15:9: warning: listeners[0].routes[4]: route \"admin\" can never match: route \"default\" (line 13) comes first and it has no match conditions and matches every request",
                "test.yaml:18:9: warning: listeners[0].routes[5]: route \"fallback\" can never match: route \"default\" (line 13) comes first and it has no match conditions and matches every request",
            ]
        )
    }

    @Test func doesNotWarnAboutRoutesThatCanStillMatch() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            """
            listeners:
              - bind: ":80"
                routes:
                  - {match: {host: shop.example.com, path_prefix: /api}, forward: web}
                  - {match: {host: "*.example.com"}, forward: web}
                  - {match: {host: example.com}, forward: web}
                  - {match: {path_prefix: /api/v2}, forward: web}
                  - {match: {path_prefix: /ap}, forward: web}
                  - {forward: web}
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(warnings.isEmpty)
    }

    @Test func warnsAboutUnusedTargetGroupsAndIgnoredKeys() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web:
                targets: ["127.0.0.1:8080"]
                health_check: {protocol: tcp, path: /healthz}
              spare: {targets: ["127.0.0.1:8081"]}
            """
        )
        #expect(
            warnings == [
                "test.yaml:7:41: warning: target_groups.web.health_check.path: is ignored because protocol is tcp",
                "test.yaml:8:3: warning: target_groups.spare: target group \"spare\" is not used by any route",
            ]
        )
    }

    @Test func checkReturnsErrorsAndWarningsInFileOrder() throws {
        let fixture = try ConfigFixture()
        let path = try fixture.writeFile(
            "portcullis.yaml",
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}, {forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"], policy: fastest}
            """
        )
        let result = ProxyConfiguration.check(path: path)
        #expect(result.configuration == nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "\(path):3:30: warning: listeners[0].routes[1]: route \"route-1\" can never match: route \"route-0\" (line 3) comes first and it has no match conditions and matches every request",
                "\(path):5:46: target_groups.web.policy: unknown policy \"fastest\" (expected one of: round_robin, least_connections, ip_hash, random_two)",
            ]
        )
        #expect(result.diagnostics.map(\.severity) == [.warning, .error])
    }
}
