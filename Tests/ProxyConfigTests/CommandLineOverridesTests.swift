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
                TargetConfiguration(host: "127.0.0.1", port: 3000),
                TargetConfiguration(host: "::1", port: 3001),
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
}
