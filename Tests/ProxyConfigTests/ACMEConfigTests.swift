import ProxyConfig
import ProxyDefaults
import Testing

/// `listeners[].tls.acme`.
struct ACMEConfigTests {
    private static func listener(acme: String, routes: String = "      - {name: app, match: {host: www.example.com}, fixed_response: {status: 200}}\n", certificates: String = "") -> String {
        """
        listeners:
          - name: secure
            bind: "0.0.0.0:443"
            tls:
        \(certificates)      acme:
        \(acme)
            routes:
        \(routes)
        """
    }

    @Test func readsEveryKeyAndMakesCertificatesOptional() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("roots.pem", "placeholder roots\n")
        let yaml = Self.listener(acme: """
                    directory: https://127.0.0.1:14000/dir
                    email: ops@example.com
                    domains: [www.example.com, Example.COM]
                    challenge: tls-alpn-01
                    ca_roots: roots.pem
                    state_dir: acme-state
                    retry_initial: 5s
                    retry_max: 10m
            """)
        let configuration = try fixture.parse(yaml)
        let acme = try #require(configuration.listeners[0].tls?.acme)
        #expect(configuration.listeners[0].tls?.certificates == [])
        #expect(acme.directory == ACMEDirectoryURL(host: "127.0.0.1", port: 14000, path: "/dir"))
        #expect(acme.directory.description == "https://127.0.0.1:14000/dir")
        #expect(acme.email == "ops@example.com")
        #expect(acme.domains == ["www.example.com", "example.com"])
        #expect(acme.challenge == .tlsALPN01)
        #expect(acme.caRoots == fixture.directory + "/roots.pem")
        #expect(acme.stateDirectory == fixture.directory + "/acme-state")
        #expect(acme.retryInitial == .seconds(5))
        #expect(acme.retryMax == .seconds(600))
    }

    @Test func defaultsAndDomainsFromTheRoutesExactHosts() throws {
        let fixture = try ConfigFixture()
        let routes = """
                  - {name: a, match: {host: "www.example.com"}, fixed_response: {status: 200}}
                  - {name: b, match: {host: "*.example.com"}, fixed_response: {status: 200}}
                  - {name: c, match: {host: "API.example.com"}, fixed_response: {status: 200}}
                  - {name: d, fixed_response: {status: 200}}
            """
        let configuration = try fixture.parse(Self.listener(acme: "        directory: https://acme-staging-v02.api.letsencrypt.org/directory", routes: routes))
        let acme = try #require(configuration.listeners[0].tls?.acme)
        #expect(acme.domains == ["www.example.com", "api.example.com"])
        #expect(acme.domainsFromRoutes)
        #expect(acme.directory.port == 443)
        #expect(acme.challenge == .http01)
        #expect(acme.email == nil)
        #expect(acme.caRoots == nil)
        #expect(acme.stateDirectory == Defaults.ACME.stateDirectory)
        #expect(acme.retryInitial == Defaults.ACME.retryInitial)
        #expect(acme.retryMax == Defaults.ACME.retryMax)
    }

    @Test func everyProblemIsReportedWithItsPlace() throws {
        let fixture = try ConfigFixture()
        let yaml = Self.listener(acme: """
                    directory: http://ca.example/dir
                    email: not-an-address
                    domains: ["*.example.com", 10.0.0.1, "a.example.com", "a.example.com", "nodot"]
                    challenge: dns-01
                    ca_roots: missing.pem
                    retry_initial: 10m
                    retry_max: 1m
                    colour: blue
            """)
        let errors = fixture.errors(yaml)
        let expected = [
            "test.yaml:6:20: listeners[0].tls.acme.directory: expected an https:// URL",
            "test.yaml:7:16: listeners[0].tls.acme.email: expected an email address",
            "test.yaml:8:19: listeners[0].tls.acme.domains[0]: wildcard names need the DNS-01 challenge",
            "test.yaml:8:36: listeners[0].tls.acme.domains[1]: an IP address is not a domain name",
            "listeners[0].tls.acme.domains[3]: \"a.example.com\" is listed twice",
            "listeners[0].tls.acme.domains[4]: not a fully qualified domain name",
            "listeners[0].tls.acme.challenge: unknown challenge \"dns-01\"",
            "listeners[0].tls.acme.ca_roots:",
            "listeners[0].tls.acme.retry_max: must be at least retry_initial",
            "listeners[0].tls.acme.colour: unknown key \"colour\"",
        ]
        for wanted in expected {
            #expect(errors.contains { $0.contains(wanted) }, "missing \(wanted) in \(errors)")
        }
    }

    @Test func withoutDomainsOrCertificatesTheListenerIsRefused() throws {
        let fixture = try ConfigFixture()
        let noHosts = fixture.errors(Self.listener(acme: "        directory: https://ca.example/dir", routes: "      - {name: d, fixed_response: {status: 200}}\n"))
        #expect(noHosts.contains { $0.contains("listeners[0].tls.acme.domains: no domains") }, "\(noHosts)")
        let noDirectory = fixture.errors(Self.listener(acme: "        email: ops@example.com"))
        #expect(noDirectory.contains { $0.contains("listeners[0].tls.acme.directory: missing required key \"directory\"") }, "\(noDirectory)")
        let neither = fixture.errors("""
            listeners:
              - bind: "0.0.0.0:443"
                tls: {min_version: "1.2"}
                routes: [{name: a, fixed_response: {status: 200}}]
            """)
        #expect(neither.contains { $0.contains("missing required key \"certificates\" (a list of {cert, key} pairs, or an \"acme\" block)") }, "\(neither)")
    }

    @Test func certificatesMayBeListedBesideACME() throws {
        let fixture = try ConfigFixture()
        let certificates = "      certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]\n"
        let configuration = try fixture.parse(Self.listener(acme: "        directory: https://ca.example/dir", certificates: certificates))
        #expect(configuration.listeners[0].tls?.certificates.count == 1)
        #expect(configuration.listeners[0].tls?.acme?.domains == ["www.example.com"])
    }
}
