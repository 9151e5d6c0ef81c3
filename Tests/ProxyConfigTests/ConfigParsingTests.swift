import ProxyConfig
import Testing

@Suite struct ConfigParsingTests {
    static let fullExample = """
        global:
          event_loops: 4
          shutdown_grace: 45s
          log_level: debug
          access_log: false
        listeners:
          - name: public-https
            bind: "0.0.0.0:443"
            protocol: https
            tls:
              certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]
              min_version: "1.3"
              session_tickets: false
              ticket_key_rotation: 2h
              handshake_timeout: 5s
            trusted_proxies: ["10.0.0.0/8", "fd00::/8", 192.0.2.1]
            server_header: false
            strip_response_headers: [X-Powered-By]
            reuse_port: true
            limits:
              header_bytes: 32KiB
              body_bytes: unlimited
              header_timeout: 5s
              idle_timeout: 2m
            routes:
              - name: api
                match: { host: "*.Example.com", path_prefix: /api }
                forward: api
              - name: default
                forward: web
          - bind: "[::1]:8080"
            routes:
              - forward: web
        target_groups:
          web:
            policy: least_connections
            targets: ["127.0.0.1:8080", {address: "127.0.0.1:8081", weight: 2}]
            health_check: {enabled: true, protocol: http, path: /healthz, port: 9000, interval: 10s, timeout: 2s, healthy_threshold: 3, unhealthy_threshold: 4, expect_status: "200,204,300-399"}
            upstream: {connect_timeout: 1s, response_timeout: 30s, max_idle_per_target: 8, idle_timeout: 90s}
          api:
            targets: ["[::1]:9000"]
        """

    @Test func parsesEveryKey() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.fullExample)

        #expect(configuration.sourceFile == "test.yaml")
        #expect(configuration.warnings.isEmpty)
        #expect(
            configuration.global
                == GlobalSettings(
                    eventLoops: .fixed(4),
                    shutdownGrace: .seconds(45),
                    logLevel: .debug,
                    accessLog: false
                )
        )

        #expect(configuration.listeners.count == 2)
        let https = configuration.listeners[0]
        #expect(https.name == "public-https")
        #expect(https.bind == BindAddress(host: "0.0.0.0", port: 443))
        #expect(https.protocol == .https)
        #expect(
            https.tls
                == ListenerTLS(
                    certificates: [
                        CertificatePair(
                            certificatePath: fixture.directory + "/certs/localhost.pem",
                            privateKeyPath: fixture.directory + "/certs/localhost-key.pem"
                        )
                    ],
                    minimumVersion: "1.3",
                    sessionTickets: false,
                    ticketKeyRotation: .seconds(7200),
                    handshakeTimeout: .seconds(5)
                )
        )
        #expect(https.trustedProxies.map(\.description) == ["10.0.0.0/8", "fd00::/8", "192.0.2.1/32"])
        #expect(https.serverHeader == nil)
        #expect(https.stripResponseHeaders == ["X-Powered-By"])
        #expect(https.reusePort)
        #expect(
            https.limits
                == ListenerLimits(
                    headerBytes: 32 * 1024,
                    bodyBytes: nil,
                    headerTimeout: .seconds(5),
                    idleTimeout: .seconds(120)
                )
        )
        #expect(
            https.routes == [
                RouteConfiguration(
                    name: "api",
                    host: "*.example.com",
                    pathPrefix: "/api",
                    targetGroup: "api",
                    line: 26
                ),
                RouteConfiguration(name: "default", targetGroup: "web", line: 29),
            ]
        )
        #expect(https.defaultRoute?.name == "default")

        let plain = configuration.listeners[1]
        #expect(plain.name == "http-8080")
        #expect(plain.bind == BindAddress(host: "::1", port: 8080))
        #expect(plain.bind.description == "[::1]:8080")
        #expect(plain.protocol == .http)
        #expect(plain.tls == nil)
        #expect(plain.serverHeader == "portcullis")
        #expect(plain.stripResponseHeaders == ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"])
        #expect(plain.limits == ListenerLimits())
        #expect(!plain.reusePort)
        #expect(plain.routes == [RouteConfiguration(name: "route-0", targetGroup: "web", line: 33)])

        #expect(configuration.targetGroups.map(\.name) == ["web", "api"])
        let web = try #require(configuration.targetGroup(named: "web"))
        #expect(web.policy == .leastConnections)
        #expect(
            web.targets == [
                TargetConfiguration(host: "127.0.0.1", port: 8080, weight: 1, name: "t1"),
                TargetConfiguration(host: "127.0.0.1", port: 8081, weight: 2, name: "t2"),
            ]
        )
        #expect(
            web.healthCheck
                == HealthCheckConfiguration(
                    enabled: true,
                    protocol: .http,
                    path: "/healthz",
                    port: .fixed(9000),
                    interval: .seconds(10),
                    timeout: .seconds(2),
                    healthyThreshold: 3,
                    unhealthyThreshold: 4,
                    expectStatus: [200...200, 204...204, 300...399]
                )
        )
        #expect(web.healthCheck.accepts(status: 204))
        #expect(!web.healthCheck.accepts(status: 201))
        #expect(
            web.upstream
                == UpstreamSettings(
                    connectTimeout: .seconds(1),
                    responseTimeout: .seconds(30),
                    maxIdlePerTarget: 8,
                    idleTimeout: .seconds(90)
                )
        )

        let api = try #require(configuration.targetGroup(named: "api"))
        #expect(api.policy == .roundRobin)
        #expect(api.targets == [TargetConfiguration(host: "::1", port: 9000, name: "t1")])
        #expect(api.healthCheck == HealthCheckConfiguration())
        #expect(api.upstream == UpstreamSettings())
        #expect(configuration.targetGroup(named: "nope") == nil)
    }

    @Test func appliesTheDocumentedDefaults() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["app.internal:8080"]}
            """
        )
        #expect(
            configuration.global
                == GlobalSettings(eventLoops: .automatic, shutdownGrace: .seconds(30), shutdownDelay: .zero, logLevel: .info, accessLog: true)
        )
        let listener = configuration.listeners[0]
        #expect(listener.name == "http-80")
        #expect(listener.bind == BindAddress(host: "0.0.0.0", port: 80))
        #expect(
            listener.limits
                == ListenerLimits(
                    headerBytes: 16_384,
                    bodyBytes: 1 << 30,
                    headerTimeout: .seconds(10),
                    idleTimeout: .seconds(60),
                    bodyTimeout: .seconds(60),
                    sendTimeout: .seconds(60),
                    tunnelIdleTimeout: .seconds(3600)
                )
        )
        #expect(listener.trustedProxies.isEmpty)
        #expect(listener.routes[0].upgrades == ["websocket"])
        let group = try #require(configuration.targetGroup(named: "web"))
        #expect(
            group.healthCheck
                == HealthCheckConfiguration(
                    enabled: true,
                    protocol: .http,
                    path: "/",
                    port: .trafficPort,
                    interval: .seconds(30),
                    timeout: .seconds(5),
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                    expectStatus: [200...399]
                )
        )
        #expect(
            group.upstream
                == UpstreamSettings(
                    connectTimeout: .seconds(5),
                    responseTimeout: .seconds(60),
                    maxIdlePerTarget: 1024,
                    idleTimeout: .seconds(60)
                )
        )
        #expect(group.targets == [TargetConfiguration(host: "app.internal", port: 8080, weight: 1, name: "t1")])
        #expect(group.stickiness == StickinessConfiguration(enabled: false, cookieName: "portcullis_sticky", ttl: .seconds(3600)))
        #expect(group.slowStart == .zero)
        #expect(group.allUnhealthy == .failOpen)
        #expect(group.retries == RetryConfiguration(maxTries: 2, budgetPercent: 20, retryOnTimeout: false))
        #expect(
            group.outlierDetection
                == OutlierDetectionConfiguration(
                    enabled: true,
                    consecutiveFailures: 5,
                    baseEjectionTime: .seconds(30),
                    maxEjectionPercent: 50
                )
        )
    }

    @Test func tlsDefaultsAndAbsoluteCertificatePaths() throws {
        let fixture = try ConfigFixture()
        let absolute = try fixture.writeFile("other.pem", "x")
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: "127.0.0.1:8443"
                tls:
                  certificates:
                    - {cert: ./certs/../certs/localhost.pem, key: certs/localhost-key.pem}
                    - {cert: \(absolute), key: \(absolute)}
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        let listener = configuration.listeners[0]
        #expect(listener.protocol == .https)
        #expect(listener.name == "https-8443")
        #expect(
            listener.tls
                == ListenerTLS(
                    certificates: [
                        CertificatePair(
                            certificatePath: fixture.directory + "/certs/localhost.pem",
                            privateKeyPath: fixture.directory + "/certs/localhost-key.pem"
                        ),
                        CertificatePair(certificatePath: absolute, privateKeyPath: absolute),
                    ],
                    minimumVersion: "1.2",
                    sessionTickets: true,
                    ticketKeyRotation: .seconds(3600),
                    handshakeTimeout: .seconds(10)
                )
        )
    }

    @Test func loadsFromFileRelativeToItsDirectory() throws {
        let fixture = try ConfigFixture()
        let path = try fixture.writeFile(
            "portcullis.yaml",
            """
            listeners:
              - bind: "0.0.0.0:443"
                tls: {certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]}
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        let configuration = try ProxyConfiguration.load(path: path)
        #expect(configuration.sourceFile == path)
        #expect(
            configuration.listeners[0].tls?.certificates[0].certificatePath == fixture.directory
                + "/certs/localhost.pem"
        )

        let checked = ProxyConfiguration.check(path: path)
        #expect(checked.configuration == configuration)
        #expect(checked.diagnostics.isEmpty)
    }

    @Test func reportsAnUnreadableFile() throws {
        let fixture = try ConfigFixture()
        let path = fixture.directory + "/missing.yaml"
        #expect(throws: ConfigValidationError.self) { try ProxyConfiguration.load(path: path) }
        do {
            _ = try ProxyConfiguration.load(path: path)
        } catch {
            #expect(error.description == "\(path): file not found: \(path)")
        }
        let checked = ProxyConfiguration.check(path: path)
        #expect(checked.configuration == nil)
        #expect(checked.diagnostics.map(\.description) == ["\(path): file not found: \(path)"])
    }

    @Test func embeddedDefaultValidates() throws {
        let configuration = try ProxyConfiguration.embeddedDefault(baseDirectory: "/srv/portcullis")
        #expect(configuration.sourceFile == "<embedded default>")
        #expect(configuration.warnings.isEmpty)
        let listener = try #require(configuration.listeners.first)
        #expect(configuration.listeners.count == 2)
        #expect(listener.bind == BindAddress(host: "0.0.0.0", port: 443))
        #expect(listener.tls?.hsts?.fieldValue == "max-age=31536000")
        // Plain HTTP on :80 redirects to HTTPS (308), no HSTS there.
        let plain = configuration.listeners[1]
        #expect(plain.bind == BindAddress(host: "0.0.0.0", port: 80) && plain.protocol == .http)
        guard case .redirect(let redirect) = plain.routes.first?.action else {
            Issue.record("the :80 listener does not redirect")
            return
        }
        #expect(redirect.scheme == "https" && redirect.status == 308)
        // One --listen moves HTTPS alone; the redirect (to port 443) is left out.
        #expect(try ProxyConfiguration.embeddedDefault(baseDirectory: "/srv", listenOverrides: 1).listeners.map(\.name) == ["https"])
        #expect(try ProxyConfiguration.embeddedDefault(baseDirectory: "/srv", listenOverrides: 2).listeners.count == 2)
        #expect(listener.protocol == .https)
        #expect(
            listener.tls?.certificates == [
                CertificatePair(
                    certificatePath: "/srv/portcullis/certs/localhost.pem",
                    privateKeyPath: "/srv/portcullis/certs/localhost-key.pem"
                )
            ]
        )
        let name = try #require(listener.routes[0].targetGroup)
        let group = try #require(configuration.targetGroup(named: name))
        #expect(group.targets == [TargetConfiguration(host: "127.0.0.1", port: 8080, name: "t1")])
        #expect(group.healthCheck.protocol == .tcp)
    }

    @Test func embeddedDefaultValidatesWithFileChecksWhenCertificatesExist() throws {
        let fixture = try ConfigFixture()
        let configuration = try ProxyConfiguration.parse(
            yaml: ProxyConfiguration.embeddedDefaultYAML,
            file: "<embedded default>",
            baseDirectory: fixture.directory
        )
        #expect(configuration == (try ProxyConfiguration.embeddedDefault(baseDirectory: fixture.directory)))
    }
}
