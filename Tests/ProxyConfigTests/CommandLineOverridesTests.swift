import ProxyConfig
import Testing

@Suite struct CommandLineOverridesTests {
    static let yaml = """
        listeners:
          - name: public
            bind: "0.0.0.0:443"
            tls: {certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]}
            routes:
              - {match: {path_prefix: /admin}, forward: admin}
              - {forward: web}
          - name: plain
            bind: "0.0.0.0:80"
            routes: [{forward: web}]
        target_groups:
          web: {targets: ["127.0.0.1:8080"]}
          admin: {targets: ["127.0.0.1:9090"]}
        """

    private func errors(_ configuration: ProxyConfiguration, _ overrides: CommandLineOverrides) -> [String] {
        do {
            _ = try configuration.applying(overrides)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func listenReplacesBindsInOrder() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.listen = ["127.0.0.1:8443", "[::1]:8080"]
        let result = try configuration.applying(overrides)
        #expect(result.listeners[0].bind == BindAddress(host: "127.0.0.1", port: 8443))
        #expect(result.listeners[0].protocol == .https)
        #expect(result.listeners[0].tls == configuration.listeners[0].tls)
        #expect(result.listeners[1].bind == BindAddress(host: "::1", port: 8080))
        #expect(result.listeners[1].protocol == .http)
    }

    @Test func listenWithSchemeSwitchesProtocol() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.listen = ["http://localhost:8080/"]
        let result = try configuration.applying(overrides)
        #expect(result.listeners[0].bind == BindAddress(host: "localhost", port: 8080))
        #expect(result.listeners[0].protocol == .http)
        #expect(result.listeners[0].tls == nil)

        overrides.listen = ["https://localhost:8443", "https://:8080"]
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --listen: listener \"plain\" is now https but has no certificates; add --cert and --key"
            ]
        )
    }

    @Test func toReplacesTheTargetsOfTheDefaultRoute() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.to = ["127.0.0.1:3000", "http://[::1]:3001"]
        let result = try configuration.applying(overrides)
        #expect(
            result.targetGroup(named: "web")?.targets == [
                TargetConfiguration(host: "127.0.0.1", port: 3000, name: "t1"),
                TargetConfiguration(host: "::1", port: 3001, name: "t2"),
            ]
        )
        #expect(result.targetGroup(named: "admin") == configuration.targetGroup(named: "admin"))
    }

    @Test func certAndKeyReplaceTheFirstListenersCertificates() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        let certificate = try fixture.writeFile("other.pem", "x")
        let key = try fixture.writeFile("other-key.pem", "x")
        var overrides = CommandLineOverrides()
        overrides.certificate = certificate
        overrides.privateKey = key
        overrides.eventLoops = 2
        let result = try configuration.applying(overrides)
        #expect(
            result.listeners[0].tls?.certificates == [
                CertificatePair(certificatePath: certificate, privateKeyPath: key)
            ]
        )
        #expect(result.listeners[0].tls?.minimumVersion == "1.2")
        #expect(result.global.eventLoops == .fixed(2))
    }

    @Test func certWithoutKeyIsAnError() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.certificate = fixture.directory + "/certs/localhost.pem"
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --key: --cert needs --key (the private key of the certificate)"
            ]
        )

        overrides = CommandLineOverrides()
        overrides.privateKey = fixture.directory + "/certs/localhost-key.pem"
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --cert: --key needs --cert (the certificate chain for the key)"
            ]
        )
    }

    @Test func reportsEveryBadOptionAtOnce() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.listen = ["ftp://0.0.0.0:21", "0.0.0.0:443", "0.0.0.0:1"]
        overrides.to = ["nowhere", "127.0.0.1:3000", "127.0.0.1:3000"]
        overrides.certificate = "/no/such/cert.pem"
        overrides.privateKey = fixture.directory + "/certs/localhost-key.pem"
        overrides.eventLoops = 0
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --event-loops: must be in 1...1024 (got 0)",
                "<command line>: --listen: given 3 times, but the configuration has 2 listener(s)",
                "<command line>: --listen: unsupported scheme \"ftp\" in \"ftp://0.0.0.0:21\" (expected http:// or https://)",
                "<command line>: --cert: file not found: /no/such/cert.pem",
                "<command line>: --listen: listener \"public\" already binds 0.0.0.0:443",
                "<command line>: --to: missing port in \"nowhere\" (expected host:port, such as 127.0.0.1:8080 or [::1]:8080)",
                "<command line>: --to: duplicate target 127.0.0.1:3000",
            ]
        )
    }

    @Test func certOnAnHTTPListenerIsAnError() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - {name: plain, bind: ":80", routes: [{forward: web}]}
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        var overrides = CommandLineOverrides()
        overrides.certificate = fixture.directory + "/certs/localhost.pem"
        overrides.privateKey = fixture.directory + "/certs/localhost-key.pem"
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --cert: the first listener \"plain\" is http; use --listen https://host:port to serve https"
            ]
        )
        overrides.listen = ["https://:8443"]
        let result = try configuration.applying(overrides)
        #expect(result.listeners[0].protocol == .https)
        #expect(result.listeners[0].tls?.certificates.count == 1)
    }

    @Test func toWithoutAHostMeansThisMachine() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.to = [":3000", "http://:3001/", "app.internal:3002"]
        let result = try configuration.applying(overrides)
        #expect(
            result.targetGroup(named: "web")?.targets == [
                TargetConfiguration(host: "127.0.0.1", port: 3000, name: "t1"),
                TargetConfiguration(host: "127.0.0.1", port: 3001, name: "t2"),
                TargetConfiguration(host: "app.internal", port: 3002, name: "t3"),
            ]
        )

        overrides.to = [":3000", "127.0.0.1:3000", ":", ":http", "*:3001"]
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --to: duplicate target 127.0.0.1:3000",
                "<command line>: --to: port must be a number in 1...65535 (got \"\")",
                "<command line>: --to: port must be a number in 1...65535 (got \"http\")",
                "<command line>: --to: missing host in \"*:3001\" (expected host:port, such as 127.0.0.1:8080 or [::1]:8080)",
            ]
        )
    }

    @Test(arguments: [
        ("1s", Duration.seconds(1), Duration.milliseconds(500)),
        ("5s", .seconds(5), .milliseconds(2500)),
        ("8s", .seconds(8), .seconds(4)),
        ("10s", .seconds(10), .seconds(5)),
        ("1m", .seconds(60), .seconds(5)),
    ])
    func healthIntervalBringsADefaultTimeoutAlong(interval: String, expected: Duration, timeout: Duration) throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.healthInterval = interval
        let check = try #require(try configuration.applying(overrides).targetGroup(named: "web")?.healthCheck)
        #expect(check.interval == expected)
        #expect(check.timeout == timeout)
    }

    @Test func healthIntervalKeepsATimeoutSetInTheFile() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - {bind: ":80", routes: [{forward: web}]}
            target_groups:
              web: {targets: ["127.0.0.1:8080"], health_check: {interval: 30s, timeout: 2s}}
            """
        )
        var overrides = CommandLineOverrides()
        overrides.healthInterval = "3s"
        let check = try #require(try configuration.applying(overrides).targetGroups.first?.healthCheck)
        #expect(check.interval == .seconds(3))
        #expect(check.timeout == .seconds(2))

        overrides.healthInterval = "2s"
        #expect(
            self.errors(configuration, overrides) == [
                "<command line>: --health-interval: must be longer than the health check timeout of target group \"web\" (2s); got 2s"
            ]
        )
    }

    @Test func toNamesTheNewTargetsByPosition() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - {bind: ":80", routes: [{forward: web}]}
            target_groups:
              web:
                targets: [{address: "127.0.0.1:8080", name: blue, max_connections: 10}]
            """
        )
        var overrides = CommandLineOverrides()
        overrides.to = ["127.0.0.1:3000", "127.0.0.1:3001", "127.0.0.1:3002"]
        let result = try configuration.applying(overrides)
        let targets = try #require(result.targetGroup(named: "web")?.targets)
        #expect(targets.map(\.name) == ["t1", "t2", "t3"])
        #expect(targets.map(\.port) == [3000, 3001, 3002])
        #expect(targets.allSatisfy { $0.maxConnections == nil && $0.weight == 1 })
    }

    @Test func policyAndHealthCheckOptionsChangeTheDefaultRoutesGroup() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.policy = "least_connections"
        overrides.healthPath = "/healthz"
        overrides.healthInterval = "10s"
        let result = try configuration.applying(overrides)
        let web = try #require(result.targetGroup(named: "web"))
        #expect(web.policy == .leastConnections)
        #expect(web.healthCheck.path == "/healthz")
        #expect(web.healthCheck.protocol == .http)
        #expect(web.healthCheck.enabled)
        #expect(web.healthCheck.interval == .seconds(10))
        #expect(web.healthCheck.timeout == .seconds(5))
        #expect(result.targetGroup(named: "admin") == configuration.targetGroup(named: "admin"))
    }

    @Test func healthPathSwitchesTheEmbeddedDefaultToHTTP() throws {
        let configuration = try ProxyConfiguration.embeddedDefault(baseDirectory: "/srv/portcullis")
        #expect(configuration.targetGroups[0].healthCheck.protocol == .tcp)

        var overrides = CommandLineOverrides()
        overrides.healthInterval = "1m"
        let intervalOnly = try configuration.applying(overrides)
        #expect(intervalOnly.targetGroups[0].healthCheck.protocol == .tcp)
        #expect(intervalOnly.targetGroups[0].healthCheck.interval == .seconds(60))

        overrides.healthPath = "/status?full=1"
        let result = try configuration.applying(overrides)
        #expect(
            result.targetGroups[0].healthCheck
                == HealthCheckConfiguration(enabled: true, protocol: .http, path: "/status?full=1", interval: .seconds(60))
        )
    }

    @Test func healthPathEnablesADisabledCheck() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - {bind: ":80", routes: [{forward: web}]}
            target_groups:
              web: {targets: ["127.0.0.1:8080"], health_check: {enabled: false, protocol: tcp}}
            """
        )
        var overrides = CommandLineOverrides()
        overrides.healthPath = "/"
        let check = try #require(try configuration.applying(overrides).targetGroups.first?.healthCheck)
        #expect(check.enabled)
        #expect(check.protocol == .http)
        #expect(check.path == "/")
    }

    @Test(arguments: [
        ("roundrobin", "<command line>: --policy: unknown policy \"roundrobin\" (did you mean \"round_robin\"?)"),
        ("least_conn", "<command line>: --policy: unknown policy \"least_conn\" (did you mean \"least_connections\"?)"),
        (
            "fastest",
            "<command line>: --policy: unknown policy \"fastest\" (expected one of: round_robin, least_connections, ip_hash, random_two)"
        ),
        ("", "<command line>: --policy: unknown policy \"\" (expected one of: round_robin, least_connections, ip_hash, random_two)"),
    ])
    func rejectsUnknownPolicies(policy: String, expected: String) throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.policy = policy
        #expect(self.errors(configuration, overrides) == [expected])
    }

    @Test(arguments: [
        (
            "healthz",
            "10s",
            [
                "<command line>: --health-path: must start with \"/\" and be visible ASCII, no spaces; percent-encode other characters (got \"healthz\")",
            ]
        ),
        (
            "/a b",
            "10 s",
            [
                "<command line>: --health-path: must start with \"/\" and be visible ASCII, no spaces; percent-encode other characters (got \"/a b\")",
                "<command line>: --health-interval: invalid duration \"10 s\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)",
            ]
        ),
        ("/", "2h", ["<command line>: --health-interval: must be in 1s...1h (got 2h)"]),
        ("/", "500ms", ["<command line>: --health-interval: must be in 1s...1h (got 500ms)"]),
    ])
    func rejectsBadHealthCheckOptions(path: String, interval: String, expected: [String]) throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml)
        var overrides = CommandLineOverrides()
        overrides.healthPath = path
        overrides.healthInterval = interval
        #expect(self.errors(configuration, overrides) == expected)
    }
}
