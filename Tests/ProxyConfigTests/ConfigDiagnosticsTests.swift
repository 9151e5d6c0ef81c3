import Foundation
import ProxyConfig
import Testing

@Suite struct ConfigDiagnosticsTests {
    @Test func reportsEveryMistakeInOneGo() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - name: public-https
                bind: "0.0.0.0:443"
                tls_cert: certs/localhost.pem
                protocol: https
                routes:
                  - name: default
                    forward: wbe
              - name: public-https
                bind: "0.0.0.0:443"
                limits:
                  header_bytes: 16 KB?
                  idle_timeout: 0
                routes: [{forward: web}]
            target_groups:
              web:
                policy: roundrobin
                targets: []
                health_check: {interval: 1s, unhealthy_threshold: 11}
            """
        )
        #expect(
            errors == [
                "test.yaml:4:5: listeners[0].tls_cert: unknown key \"tls_cert\" (did you mean \"tls\"?)",
                "test.yaml:5:15: listeners[0].tls: an https listener needs a \"tls\" block with at least one certificate",
                "test.yaml:8:18: listeners[0].routes[0].forward: no target group named \"wbe\" (did you mean \"web\"?)",
                "test.yaml:9:11: listeners[1].name: duplicate listener name \"public-https\" (first used on line 2)",
                "test.yaml:10:11: listeners[1].bind: duplicate bind 0.0.0.0:443: listener \"public-https\" (line 3) already binds it",
                "test.yaml:12:21: listeners[1].limits.header_bytes: invalid size \"16 KB?\" (expected a whole number of bytes with an optional unit, such as 512, 16KiB, 1MiB, 2GiB or 10KB)",
                "test.yaml:13:21: listeners[1].limits.idle_timeout: must be greater than 0 (got 0)",
                "test.yaml:17:13: target_groups.web.policy: unknown policy \"roundrobin\" (expected one of: round_robin, least_connections, ip_hash, random_two)",
                "test.yaml:18:14: target_groups.web.targets: needs at least one target (\"host:port\")",
                "test.yaml:19:30: target_groups.web.health_check.interval: must be longer than timeout (5s)",
                "test.yaml:19:55: target_groups.web.health_check.unhealthy_threshold: must be in 1...10 (got 11)",
            ]
        )
    }

    @Test func validationErrorPrintsOneDiagnosticPerLine() throws {
        let fixture = try ConfigFixture()
        do {
            _ = try fixture.parse(
                """
                listeners:
                  - bind: "0.0.0.0:99999"
                    routes: [{forward: web}]
                target_groups:
                  web: {targets: ["127.0.0.1"]}
                """
            )
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description == """
                    test.yaml:2:11: listeners[0].bind: port must be a number in 0...65535 (got "99999")
                    test.yaml:5:19: target_groups.web.targets[0]: missing port in "127.0.0.1" (expected host:port, such as 127.0.0.1:8080 or [::1]:8080)
                    """
            )
            #expect(error.diagnostics.allSatisfy { $0.severity == .error })
            #expect(error.diagnostics[0].key == "listeners[0].bind")
            #expect(error.diagnostics[0].line == 2)
            #expect(error.diagnostics[0].column == 11)
        }
    }

    /// One mistake at a time, with the key, line and column it must be reported at.
    @Test(arguments: [
        (
            "global: {event_loops: 0}",
            "test.yaml:1:23: global.event_loops: must be in 1...1024 (got 0)"
        ),
        (
            "global: {event_loops: many}",
            "test.yaml:1:23: global.event_loops: must be \"auto\" or an integer in 1...1024 (got \"many\")"
        ),
        (
            "global: {shutdown_grace: 10 seconds}",
            "test.yaml:1:26: global.shutdown_grace: invalid duration \"10 seconds\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)"
        ),
        (
            "global: {log_level: verbose}",
            "test.yaml:1:21: global.log_level: unknown log level \"verbose\" (expected one of: trace, debug, info, notice, warning, error, critical)"
        ),
        (
            "global: {access_log: maybe}",
            "test.yaml:1:22: global.access_log: expected true or false, got \"maybe\""
        ),
        (
            "global: [1]",
            "test.yaml:1:9: global: expected a mapping, got a list"
        ),
        (
            "admin: {bind: \"127.0.0.1:99999\"}",
            "test.yaml:1:15: admin.bind: port must be a number in 0...65535 (got \"99999\")"
        ),
    ])
    func reportsGlobalMistakes(section: String, expected: String) throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(section + "\n" + Self.minimalListenersAndGroups)
        #expect(errors == [expected])
    }

    static let minimalListenersAndGroups = """
        listeners:
          - bind: ":80"
            routes: [{forward: web}]
        target_groups:
          web: {targets: ["127.0.0.1:8080"]}
        """

    @Test(arguments: [
        (
            "protocol: htps",
            "test.yaml:4:15: listeners[0].protocol: unknown protocol \"htps\" (expected one of: http, https)"
        ),
        (
            "name: \"my listener\"",
            "test.yaml:4:11: listeners[0].name: names may contain only letters, digits, \"-\", \"_\" and \".\" (got \"my listener\")"
        ),
        (
            "protocol: http\n    tls: {certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]}",
            "test.yaml:5:10: listeners[0].tls: \"tls\" is only allowed when protocol is https (this listener is http)"
        ),
        (
            "trusted_proxies: [10.0.0.0/8, 10.0.0.0/40]",
            "test.yaml:4:35: listeners[0].trusted_proxies[1]: \"10.0.0.0/40\" is not an IP address or CIDR (such as 10.0.0.0/8 or fd00::/8)"
        ),
        (
            "server_header: true",
            "test.yaml:4:20: listeners[0].server_header: expected a string, or false for no Server header; got true"
        ),
        (
            "reuse_port: sometimes",
            "test.yaml:4:17: listeners[0].reuse_port: expected true or false, got \"sometimes\""
        ),
        (
            "strip_response_headers: [X-Powered-By, \"Bad Header\"]",
            "test.yaml:4:44: listeners[0].strip_response_headers[1]: \"Bad Header\" is not a valid header name"
        ),
        (
            "limits: {header_bytes: 512}",
            "test.yaml:4:28: listeners[0].limits.header_bytes: must be in 1KiB...1MiB (got 512)"
        ),
        (
            "limits: {body_bytes: 0}",
            "test.yaml:4:26: listeners[0].limits.body_bytes: must be at least 1 byte; write \"unlimited\" for no limit"
        ),
        (
            "limits: {header_timeout: 10x}",
            "test.yaml:4:30: listeners[0].limits.header_timeout: invalid duration \"10x\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)"
        ),
        (
            "limtis: {}",
            "test.yaml:4:5: listeners[0].limtis: unknown key \"limtis\" (did you mean \"limits\"?)"
        ),
    ])
    func reportsListenerMistakes(line: String, expected: String) throws {
        let fixture = try ConfigFixture()
        let yaml = """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
                \(line)
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        #expect(fixture.errors(yaml) == [expected])
    }

    /// A redirect path goes into `Location` as written; nothing checks headers on the way out.
    @Test func redirectPathsMustBeVisibleASCII() throws {
        let fixture = try ConfigFixture()
        let yaml = """
            listeners:
              - bind: ":80"
                routes:
                  - {match: {path: "/old"}, redirect: {path: "/a\\u0000b"}}
                  - {match: {path: "/x\\u001b"}, forward: web}
                  - {forward: web}
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        let errors = fixture.errors(yaml)
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.contains("must be visible ASCII; percent-encode other characters") })
        #expect(errors.first?.hasPrefix("test.yaml:4:") == true)
        #expect(errors.last?.hasPrefix("test.yaml:5:") == true)
    }

    @Test(arguments: [
        (
            "{min_version: \"1.1\", certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]}",
            ["test.yaml:4:24: listeners[0].tls.min_version: must be \"1.2\" or \"1.3\" (got \"1.1\")"]
        ),
        (
            "{certificates: []}",
            ["test.yaml:4:25: listeners[0].tls.certificates: needs at least one {cert, key} pair"]
        ),
        (
            "{}",
            [
                "test.yaml:4:10: listeners[0].tls.certificates: missing required key \"certificates\" (a list of {cert, key} pairs, or an \"acme\" block)"
            ]
        ),
        (
            "{certificates: [{cert: certs/localhost.pem}], ticket_key_rotation: 1s}",
            [
                "test.yaml:4:26: listeners[0].tls.certificates[0].key: missing required key \"key\" (path of a PEM private key)",
                "test.yaml:4:77: listeners[0].tls.ticket_key_rotation: must be in 1m...168h (got 1s)",
            ]
        ),
    ])
    func reportsTLSMistakes(tls: String, expected: [String]) throws {
        let fixture = try ConfigFixture()
        let yaml = """
            listeners:
              - bind: ":443"
                routes: [{forward: web}]
                tls: \(tls)
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        #expect(fixture.errors(yaml) == expected)
    }

    @Test func reportsMissingAndUnreadableCertificateFiles() throws {
        let fixture = try ConfigFixture()
        try FileManager.default.createDirectory(
            atPath: fixture.directory + "/certs/dir.pem",
            withIntermediateDirectories: true
        )
        let errors = fixture.errors(
            """
            listeners:
              - bind: "0.0.0.0:443"
                tls:
                  certificates:
                    - cert: certs/localhost.pem
                      key: certs/localhost-key.pem
                    - cert: certs/shop.pem
                      key: /etc/portcullis/../portcullis/shop-key.pem
                    - {cert: certs/dir.pem, key: certs/localhost-key.pem}
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(
            errors == [
                "test.yaml:7:17: listeners[0].tls.certificates[1].cert: file not found: \(fixture.directory)/certs/shop.pem",
                "test.yaml:8:16: listeners[0].tls.certificates[1].key: file not found: /etc/portcullis/shop-key.pem",
                "test.yaml:9:18: listeners[0].tls.certificates[2].cert: is a directory, not a file: \(fixture.directory)/certs/dir.pem",
            ]
        )
    }

    @Test(.enabled(if: getuid() != 0, "root can read every file"))
    func reportsUnreadableCertificateFiles() throws {
        let fixture = try ConfigFixture()
        let path = try fixture.writeFile("secret-key.pem", "x")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        let errors = fixture.errors(
            """
            listeners:
              - bind: "0.0.0.0:443"
                tls: {certificates: [{cert: certs/localhost.pem, key: secret-key.pem}]}
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(errors == ["test.yaml:3:59: listeners[0].tls.certificates[0].key: file is not readable: \(path)"])
    }

    @Test func explainsClashingDefaultListenerNames() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - {bind: "127.0.0.1:80", routes: [{forward: web}]}
              - {bind: "127.0.0.2:80", routes: [{forward: web}]}
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(
            errors == [
                "test.yaml:3:5: listeners[1].name: duplicate listener name \"http-80\" (first used on line 2); the name is made from protocol and port, add a \"name\" to tell them apart"
            ]
        )
    }

    @Test func skipsFileChecksWhenAskedTo() throws {
        let configuration = try ProxyConfiguration.parse(
            yaml: """
                listeners:
                  - bind: "0.0.0.0:443"
                    tls: {certificates: [{cert: nowhere.pem, key: nowhere-key.pem}]}
                    routes: [{forward: web}]
                target_groups:
                  web: {targets: ["127.0.0.1:8080"]}
                """,
            file: "test.yaml",
            baseDirectory: "/opt/proxy",
            checkFilesExist: false
        )
        #expect(
            configuration.listeners[0].tls?.certificates == [
                CertificatePair(certificatePath: "/opt/proxy/nowhere.pem", privateKeyPath: "/opt/proxy/nowhere-key.pem")
            ]
        )
    }

    @Test func suggestsTheClosestKnownKey() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                rotues: [{forward: web}]
            target_groups:
              web:
                targets: ["127.0.0.1:8080"]
                helth_check: {}
                upstream: {conect_timeout: 1s}
            """
        )
        #expect(
            errors == [
                "test.yaml:2:5: listeners[0].routes: missing required key \"routes\" (a listener needs at least one route)",
                "test.yaml:3:5: listeners[0].rotues: unknown key \"rotues\" (did you mean \"routes\"?)",
                "test.yaml:7:5: target_groups.web.helth_check: unknown key \"helth_check\" (did you mean \"health_check\"?)",
                "test.yaml:8:16: target_groups.web.upstream.conect_timeout: unknown key \"conect_timeout\" (did you mean \"connect_timeout\"?)",
            ]
        )
    }

    @Test func namesUnknownTargetGroupsAtTheReferringLine() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes:
                  - match: {path_prefix: /admin}
                    forward: internal-admn
                  - forward: zzz
            target_groups:
              internal-admin: {targets: ["127.0.0.1:9090"]}
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(
            errors == [
                "test.yaml:5:18: listeners[0].routes[0].forward: no target group named \"internal-admn\" (did you mean \"internal-admin\"?)",
                "test.yaml:6:18: listeners[0].routes[1].forward: no target group named \"zzz\" (target groups: internal-admin, web)",
            ]
        )
    }

    @Test func reportsDuplicateAndOverlappingBinds() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - {name: a, bind: "0.0.0.0:8080", routes: [{forward: web}]}
              - {name: b, bind: "*:8080", routes: [{forward: web}]}
              - {name: c, bind: "127.0.0.1:8080", routes: [{forward: web}]}
              - {name: d, bind: "[::1]:8080", routes: [{forward: web}]}
              - {name: e, bind: "[::]:8080", routes: [{forward: web}]}
              - {name: f, bind: "127.0.0.1:8081", routes: [{forward: web}]}
            target_groups:
              web: {targets: ["127.0.0.1:9000"]}
            """
        )
        #expect(
            errors == [
                "test.yaml:3:21: listeners[1].bind: duplicate bind 0.0.0.0:8080: listener \"a\" (line 2) already binds it",
                "test.yaml:4:21: listeners[2].bind: bind 127.0.0.1:8080 overlaps listener \"a\" (0.0.0.0:8080, line 2)",
                "test.yaml:6:21: listeners[4].bind: bind [::]:8080 overlaps listener \"a\" (0.0.0.0:8080, line 2)",
            ]
        )
    }

    @Test func reportsTargetGroupMistakes() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web:
                targets:
                  - "127.0.0.1:8080"
                  - {address: "127.0.0.1:8080", weight: 0}
                  - {addr: "127.0.0.1:8082"}
                  - "[::1:8083"
                health_check:
                  protocol: tcp
                  path: health
                  port: traffic
                  interval: 2h
                  timeout: 5s
                  expect_status: 200-99
                upstream: {max_idle_per_target: -1, response_timeout: forever}
              "bad name": {targets: ["127.0.0.1:1"]}
            """
        )
        #expect(
            errors == [
                "test.yaml:8:19: target_groups.web.targets[1]: duplicate target 127.0.0.1:8080 (first listed on line 7)",
                "test.yaml:8:45: target_groups.web.targets[1].weight: must be in 1...1000 (got 0)",
                "test.yaml:9:9: target_groups.web.targets[2].address: missing required key \"address\" (\"host:port\")",
                "test.yaml:9:10: target_groups.web.targets[2].addr: unknown key \"addr\" (did you mean \"address\"?)",
                "test.yaml:10:9: target_groups.web.targets[3]: missing \"]\" after the IPv6 address in \"[::1:8083\"",
                "test.yaml:13:13: target_groups.web.health_check.path: must start with \"/\" and be visible ASCII, no spaces; percent-encode other characters (got \"health\")",
                "test.yaml:14:13: target_groups.web.health_check.port: must be \"traffic-port\" or a port in 1...65535 (got \"traffic\")",
                "test.yaml:15:17: target_groups.web.health_check.interval: must be in 1s...1h (got 2h)",
                "test.yaml:17:22: target_groups.web.health_check.expect_status: invalid status list \"200-99\" (expected status codes and ranges in 100...599, such as 200, 200-299 or \"200,204,300-399\")",
                "test.yaml:18:37: target_groups.web.upstream.max_idle_per_target: must be in 0...10000 (got -1)",
                "test.yaml:18:59: target_groups.web.upstream.response_timeout: invalid duration \"forever\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)",
                "test.yaml:19:3: target_groups.bad name: names may contain only letters, digits, \"-\", \"_\" and \".\" (got \"bad name\")",
            ]
        )
    }

    /// A health check's path goes into the probe's request line as it is.
    @Test func healthCheckPathIsVisibleASCIIAndMayHaveAQuery() throws {
        let fixture = try ConfigFixture()
        func config(_ path: String) -> String {
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web:
                targets: ["127.0.0.1:8080"]
                health_check: {path: \(path)}
            """
        }
        #expect(fixture.errors(config("\"/healthz?full=1\"")) == [])
        #expect(
            fixture.errors(config("\"/h\\u00e9alth\"")) == [
                "test.yaml:7:26: target_groups.web.health_check.path: must start with \"/\" and be visible ASCII, no spaces; percent-encode other characters (got \"/h\u{00E9}alth\")"
            ]
        )
        #expect(fixture.errors(config("\"/a\\tb\"")).first?.contains("health_check.path: must start with") == true)
    }

    @Test func reportsRouteMistakes() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes:
                  - name: api
                    match: {host: "example.com:8080", path_prefix: api}
                    forward: web
                  - name: api
                    match: {hots: example.com}
                    forward: web
                  - match: {path_prefix: "/a b"}
                  - name: other
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(
            errors == [
                "test.yaml:5:23: listeners[0].routes[0].match.host: must be a host name without port (got \"example.com:8080\")",
                "test.yaml:5:56: listeners[0].routes[0].match.path_prefix: must start with \"/\" (got \"api\")",
                "test.yaml:7:9: listeners[0].routes[1].name: duplicate route name \"api\" (first used on line 4)",
                "test.yaml:8:17: listeners[0].routes[1].match.hots: unknown key \"hots\" (did you mean \"host\"?)",
                "test.yaml:10:9: listeners[0].routes[2]: route \"route-2\" has no action; add one of \"forward\" (the name of a target group), \"redirect\", \"fixed_response\" or \"static\"",
                "test.yaml:10:30: listeners[0].routes[2].match.path_prefix: must be a path without query, fragment or spaces (got \"/a b\")",
                "test.yaml:11:9: listeners[0].routes[3]: route \"other\" has no action; add one of \"forward\" (the name of a target group), \"redirect\", \"fixed_response\" or \"static\"",
            ]
        )
    }

    @Test func reportsStructuralMistakes() throws {
        let fixture = try ConfigFixture()
        #expect(
            fixture.errors("") == [
                "test.yaml: the configuration is empty; it needs \"listeners\" (and \"target_groups\" for the routes that forward)"
            ]
        )
        #expect(fixture.errors("- 1") == ["test.yaml:1:1: expected a mapping, got a list"])
        #expect(
            fixture.errors("global: {}") == [
                "test.yaml:1:1: listeners: missing required key \"listeners\""
            ]
        )
        #expect(
            fixture.errors("listeners: []\ntarget_groups: {}") == [
                "test.yaml:1:12: listeners: needs at least one listener"
            ]
        )
        #expect(
            fixture.errors("listeners: {a: 1}\ntarget_groups: [web]") == [
                "test.yaml:1:12: listeners: expected a list, got a mapping",
                "test.yaml:2:16: target_groups: expected a mapping from target group names to target groups, got a list",
            ]
        )
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirPosition() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors("listeners:\n  - bind: \"0.0.0.0:80\n")
        #expect(errors.count == 1)
        #expect(errors[0].hasPrefix("test.yaml:3:1: invalid YAML: "))

        let duplicates = fixture.errors("listeners: []\nlisteners: []\n")
        #expect(duplicates == ["test.yaml:1:1: duplicate key \"listeners\" in one mapping"])
    }
}
