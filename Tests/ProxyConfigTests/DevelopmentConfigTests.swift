import ProxyConfig
import Testing

/// `portcullis dev`'s configuration (``ProxyConfiguration/development(_:)``) and `:port` as a
/// target everywhere one is written.
@Suite struct DevelopmentConfigTests {
    private let certificate = CertificatePair(certificatePath: "/tmp/dev/localhost.pem", privateKeyPath: "/tmp/dev/localhost-key.pem")

    private func errors(_ targets: [String], listen: String? = nil) -> [String] {
        do {
            _ = try ProxyConfiguration.development(DevelopmentOptions(targets: targets, listen: listen, certificate: self.certificate))
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func aPortAloneServesLocalhost8443WithEverythingDevNeeds() throws {
        let configuration = try ProxyConfiguration.development(DevelopmentOptions(targets: ["3000"], certificate: self.certificate))
        #expect(configuration.listeners.count == 1)
        let listener = configuration.listeners[0]
        #expect(listener.bind == BindAddress(host: "127.0.0.1", port: 8443))
        #expect(listener.protocol == .https)
        #expect(listener.tls?.certificates == [self.certificate])
        #expect(listener.tls?.alpn == ["h2", "http/1.1"])
        #expect(listener.tls?.hsts == nil)  // HSTS on localhost would pin every other local port to https
        #expect(listener.developmentErrorPages)
        #expect(listener.routes.count == 1)
        #expect(listener.routes[0].pathPrefix == nil)
        #expect(listener.routes[0].upgrades == ["websocket"])
        let group = try #require(configuration.targetGroup(named: listener.routes[0].targetGroup ?? ""))
        #expect(group.targets.map(\.description) == ["127.0.0.1:3000"])
        #expect(!group.healthCheck.enabled)
        #expect(!group.outlierDetection.enabled)
        #expect(configuration.global.accessLogFormat == .dev)
        #expect(configuration.global.accessLog)
        #expect(!configuration.admin.enabled)
    }

    @Test func prefixRoutesGoLongestFirstAndTheBareTargetIsTheDefault() throws {
        let configuration = try ProxyConfiguration.development(
            DevelopmentOptions(
                targets: [":3000", "/api=:4000", "/api/v2=http://localhost:5000/", "/=:3001", "/api=127.0.0.1:4001"],
                listen: "9443",
                certificate: self.certificate
            )
        )
        let listener = configuration.listeners[0]
        #expect(listener.bind == BindAddress(host: "127.0.0.1", port: 9443))
        #expect(listener.routes.map(\.pathPrefix) == ["/api/v2", "/api", nil])
        let targets = listener.routes.map { route in
            configuration.targetGroup(named: route.targetGroup ?? "")?.targets.map(\.description) ?? []
        }
        #expect(targets == [["localhost:5000"], ["127.0.0.1:4000", "127.0.0.1:4001"], ["127.0.0.1:3000", "127.0.0.1:3001"]])
        #expect(listener.routes.map(\.targetGroup) == ["api-v2", "api", "app"])
        #expect(listener.defaultRoute?.targetGroup == "app")
    }

    @Test(arguments: ["127.0.0.1:0", "https://127.0.0.1:0/", ":9443", "[::1]:9443"])
    func listenTakesTheBindForms(listen: String) throws {
        let configuration = try ProxyConfiguration.development(DevelopmentOptions(targets: ["3000"], listen: listen, certificate: self.certificate))
        #expect(configuration.listeners[0].protocol == .https)
    }

    @Test func everyProblemIsReportedAtOnce() {
        #expect(
            self.errors(["nowhere", "/api", "api=:4000", "/a b=:1", ":3000", ":3000", "https://x:1"], listen: "http://127.0.0.1:80") == [
                "<command line>: --listen: portcullis dev serves https only (got \"http://127.0.0.1:80\")",
                "<command line>: --to: missing port in \"nowhere\" (expected host:port, such as 127.0.0.1:8080 or [::1]:8080) in \"nowhere\"",
                "<command line>: --to: expected /prefix=target, as in /api=:4000 (got \"/api\")",
                "<command line>: --to: \"api=\" is not a valid IP address or host name in \"api=:4000\"",
                "<command line>: --to: must start with \"/\" and be visible ASCII, no spaces; percent-encode other characters (got \"/a b\") in \"/a b=:1\"",
                "<command line>: --to: duplicate target 127.0.0.1:3000",
                "<command line>: --to: targets are plain HTTP: use host:port or http://host:port (got \"https://x:1\")",
            ]
        )
        #expect(self.errors([]) == ["<command line>: --to: no target: give the port of your app, as in \"portcullis dev 3000\" or \"--to :3000\""])
    }

    @Test func aTargetWithoutHostIsLoopbackInTheFile() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - {name: plain, bind: "127.0.0.1:8081", protocol: http, routes: [{forward: web}]}
            target_groups:
              web: {targets: [":3000", {address: ":3001", weight: 2}]}
            """
        )
        #expect(configuration.targetGroup(named: "web")?.targets.map(\.description) == ["127.0.0.1:3000", "127.0.0.1:3001"])
        let duplicate = fixture.errors(
            """
            listeners:
              - {name: plain, bind: "127.0.0.1:8081", protocol: http, routes: [{forward: web}]}
            target_groups:
              web: {targets: [":3000", "127.0.0.1:3000"]}
            """
        )
        #expect(duplicate.count == 1 && duplicate[0].contains("duplicate target 127.0.0.1:3000"), "\(duplicate)")
    }

    @Test func theRuntimeTargetParserTakesAPortAlone() throws {
        #expect(try BindAddress.parseTarget(":3000").get() == BindAddress(host: "127.0.0.1", port: 3000))
        #expect(try BindAddress.parseTarget("[::1]:3000").get() == BindAddress(host: "::1", port: 3000))
        #expect(throws: BindAddress.AddressError.self) { try BindAddress.parseTarget(":0").get() }
        #expect(throws: BindAddress.AddressError.self) { try BindAddress.parseTarget("*:3000").get() }
    }
}
