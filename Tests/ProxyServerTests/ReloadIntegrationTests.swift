import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProxyConfig
import ProxyServer
import ProxyTLS
import Testing

/// Hot reload over real sockets: a bad file changes nothing; listeners come and go; an open
/// connection on an unchanged route survives.
struct ReloadIntegrationTests {
    /// A route to the `other` group, added by reloads.
    static let otherRoute = """
              - name: other
                match: { host: other.test }
                forward: other
        """

    static func yaml(extraRoute: String = "", extraListener: String = "") -> String {
        """
        global:
          event_loops: 1
          shutdown_grace: 2s
          access_log: false
        admin:
          bind: "127.0.0.1:0"
        listeners:
          - name: plain
            bind: "127.0.0.1:0"
            protocol: http
            routes:
        \(extraRoute)
              - name: stream
                forward: web
        \(extraListener)
        target_groups:
          web:
            targets: ["127.0.0.1:{B0}"]
            health_check:
              enabled: false
          other:
            targets: ["127.0.0.1:{B1}"]
            health_check:
              enabled: false
        """
    }

    @Test func anInvalidFileChangesNothingAndAValidOneApplies() async throws {
        try await AdminFixture.with(yaml: Self.yaml()) { fixture in
            let curl = try require(which("curl"), "curl")

            try "listeners: [\n".write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
            let broken = try await fixture.adminCall("POST", "/reload")
            #expect(broken.status == 422)
            #expect(broken.body.contains("portcullis.yaml:"))
            try fixture.rewrite(Self.yaml().replacingOccurrences(of: "forward: web", with: "forward: nowhere"))
            let invalid = try await fixture.adminCall("POST", "/reload")
            #expect(invalid.status == 422)
            #expect(invalid.body.contains("no target group named"))
            let still = try await run(curl, ["-s", fixture.url + "/whoami"])
            #expect(still.stdout == "b0")
            let status = try await fixture.adminCall("GET", "/status")
            #expect(status.body.contains("\"reloads\" : 0"))
            #expect(status.body.contains("\"last_reload_error\""))

            // A valid change applies: a new route to the other group, and a new listener.
            try fixture.rewrite(
                Self.yaml(
                    extraRoute: Self.otherRoute,
                    extraListener: """
                          - name: second
                            bind: "127.0.0.1:0"
                            protocol: http
                            routes:
                              - forward: other
                        """
                )
            )
            let applied = try await fixture.adminCall("POST", "/reload")
            #expect(applied.status == 200, "\(applied.body)")
            #expect(applied.body.contains("\"second\""), "\(applied.body)")
            let routed = try await run(curl, ["-s", "-H", "Host: other.test", fixture.url + "/whoami"])
            #expect(routed.stdout == "b1")
            let second = try #require(fixture.server.boundListeners.first { $0.name == "second" })
            let viaSecond = try await run(curl, ["-s", "http://127.0.0.1:\(second.port)/whoami"])
            #expect(viaSecond.stdout == "b1")

            // And removing it again closes that listener.
            try fixture.rewrite(Self.yaml())
            #expect(try await fixture.adminCall("POST", "/reload").status == 200)
            let gone = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(second.port)/whoami"])
            #expect(gone.stdout == "000")
        }
    }

    @Test func aListenerRenamedOnTheSameAddressIsBoundAgain() async throws {
        // Bound again by the reload: a free port outside the ephemeral range (`stablePort`).
        let port = try await stablePort()
        let fixed = Self.yaml().replacingOccurrences(of: "  - name: plain\n    bind: \"127.0.0.1:0\"", with: "  - name: plain\n    bind: \"127.0.0.1:\(port)\"")
        try await AdminFixture.with(yaml: fixed) { fixture in
            #expect(fixture.port == port)
            try fixture.rewrite(fixed.replacingOccurrences(of: "name: plain", with: "name: renamed"))
            let reload = try await fixture.adminCall("POST", "/reload")
            #expect(reload.status == 200, "\(reload.body)")
            #expect(fixture.server.boundListeners.map(\.name) == ["renamed"])
            let curl = try require(which("curl"), "curl")
            #expect(try await run(curl, ["-s", "http://127.0.0.1:\(port)/whoami"]).stdout == "b0")
        }
    }

    /// Turning `reuse_port` on and off re-binds the listener on its port: one socket per event
    /// loop, then one again, serving throughout.
    @Test func reusePortTurnedOnAndOffByAReloadRebindsTheListener() async throws {
        let port = try await stablePort()  // bound again by each reload
        let base = Self.yaml()
            .replacingOccurrences(of: "event_loops: 1", with: "event_loops: 2")
            .replacingOccurrences(of: "  - name: plain\n    bind: \"127.0.0.1:0\"", with: "  - name: plain\n    bind: \"127.0.0.1:\(port)\"")
        let reusing = base.replacingOccurrences(of: "    protocol: http\n", with: "    protocol: http\n    reuse_port: true\n")
        #expect(reusing != base)
        try await AdminFixture.with(yaml: base) { fixture in
            let curl = try require(which("curl"), "curl")
            #expect(try listeningSockets(port: port) == 1)
            for (yaml, sockets) in [(reusing, 2), (base, 1)] {
                try fixture.rewrite(yaml)
                let reload = try await fixture.adminCall("POST", "/reload")
                #expect(reload.status == 200, "\(reload.body)")
                #expect(try listeningSockets(port: port) == sockets)
                #expect(try await run(curl, ["-s", "http://127.0.0.1:\(port)/whoami"]).stdout == "b0")
            }
        }
    }

    /// The cause of a flaky EADDRINUSE in the test above: a child process spawned (by any thread:
    /// a scaling hook, another test's curl) while the old socket is open holds it from its fork
    /// to its exec, so closing the server's descriptor does not close the socket. A reload that
    /// binds the address again waits for it.
    @Test func aReloadThatRebindsTheAddressWaitsForASocketAChildProcessStillHolds() async throws {
        let port = try await stablePort()
        let base = Self.yaml()
            .replacingOccurrences(of: "event_loops: 1", with: "event_loops: 2")
            .replacingOccurrences(of: "  - name: plain\n    bind: \"127.0.0.1:0\"", with: "  - name: plain\n    bind: \"127.0.0.1:\(port)\"")
        let reusing = base.replacingOccurrences(of: "    protocol: http\n", with: "    protocol: http\n    reuse_port: true\n")
        try await AdminFixture.with(yaml: base) { fixture in
            let curl = try require(which("curl"), "curl")
            for (yaml, sockets) in [(reusing, 2), (base, 1)] {
                // Held as a forked child holds them, for 300 ms after the reload starts.
                let held = try duplicateListeningSockets(port: port)
                #expect(!held.isEmpty)
                let release = Task {
                    try? await Task.sleep(for: .milliseconds(300))
                    for fd in held { close(fd) }
                }
                try fixture.rewrite(yaml)
                let reload = try await fixture.adminCall("POST", "/reload")
                await release.value
                #expect(reload.status == 200, "\(reload.body)")
                #expect(try listeningSockets(port: port) == sockets)
                #expect(try await run(curl, ["-s", "http://127.0.0.1:\(port)/whoami"]).stdout == "b0")
            }
        }
    }

    @Test func aClientThatHalfClosesAfterItsRequestStillGetsTheResponse() async throws {
        try await AdminFixture.with(yaml: Self.yaml()) { fixture in
            let client = try await RawHTTPConnection(port: fixture.port)
            defer { client.close() }
            try await client.send("GET /slow?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n")
            try await client.shutdownOutput()
            let response = try await client.read(until: { $0.hasSuffix("slow") })
            #expect(response.hasPrefix("HTTP/1.1 200"))
            #expect(response.hasSuffix("slow"))
        }
    }

    @Test func aDownloadOnAnUnchangedRouteSurvivesAReloadAndItsConnectionStaysOpen() async throws {
        try await AdminFixture.with(yaml: Self.yaml()) { fixture in
            let client = try await RawHTTPConnection(port: fixture.port)
            defer { client.close() }
            try await client.send("GET /trickle?ms=150 HTTP/1.1\r\nHost: a\r\n\r\n")
            // The head and the first bytes arrive; the download takes ~1.5 s.
            let start = try await client.read(until: { $0.contains("\r\n\r\n0") })
            #expect(start.hasPrefix("HTTP/1.1 200"))

            // Reload while it streams: another route is added, this one is unchanged.
            try fixture.rewrite(
                Self.yaml(
                    extraRoute: Self.otherRoute
                )
            )
            let reload = try await fixture.adminCall("POST", "/reload")
            #expect(reload.status == 200)
            let rest = try await client.read(until: { $0.hasSuffix("9") })
            #expect((start + rest).hasSuffix("\r\n\r\n0123456789"))

            // Same connection, next request: served, with the new routes.
            try await client.send("GET /whoami HTTP/1.1\r\nHost: other.test\r\n\r\n")
            let next = try await client.read(until: { $0.hasSuffix("b1") })
            #expect(next.hasSuffix("b1"))
        }
    }
}

/// A plain TCP connection for tests that need to hold one connection across events.
final class RawHTTPConnection: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox("")

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            self.received.withLockedValue { $0 += String(buffer: buffer) }
        }
    }

    private let channel: any Channel
    private let collector = Collector()

    init(port: Int) async throws {
        let collector = self.collector
        self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything received since the last read, once `done` holds for it (at most 10 s).
    func read(until done: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(10)
        while !done(self.collector.received.withLockedValue { $0 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return self.collector.received.withLockedValue { text in
            defer { text = "" }
            return text
        }
    }

    func close() {
        self.channel.close(promise: nil)
    }

    /// Sends FIN: no more requests from us, but we still read.
    func shutdownOutput() async throws {
        try await self.channel.close(mode: .output)
    }
}

/// Certificates are read again on reload: a renewed certificate serves new connections without
/// a restart.
struct CertificateReloadTests {
    @Test func aRenewedCertificateIsServedAfterReload() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificates = try DevCertificateAuthority.ensure(directory: directory)
        let backend = try await TestBackend()
        let configPath = directory + "/portcullis.yaml"
        try """
            global: { event_loops: 1, shutdown_grace: 1s, access_log: false }
            admin: { bind: "127.0.0.1:0" }
            listeners:
              - name: tls
                bind: "127.0.0.1:0"
                protocol: https
                tls:
                  certificates:
                    - cert: \(certificates.certificate)
                      key: \(certificates.privateKey)
                routes:
                  - forward: web
            target_groups:
              web:
                targets: ["127.0.0.1:\(backend.port)"]
                health_check: { enabled: false }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let server = try ProxyServer(
            configuration: try ProxyConfiguration.load(path: configPath),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            configurationSource: { try ProxyConfiguration.load(path: configPath) }
        )
        let port = try await server.start()[0].port
        let curl = try require(which("curl"), "curl")
        let arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificates.caCertificate,
                         "--resolve", "renewed.test:\(port):127.0.0.1", "https://renewed.test:\(port)/"]
        // The first certificate does not name renewed.test: curl refuses it.
        #expect(try await run(curl, arguments).stdout == "000")

        // Renew in place (same files, same CA, one more name), then reload.
        _ = try DevCertificateAuthority.ensure(directory: directory, hosts: ["renewed.test"])
        _ = try await server.reload()
        #expect(try await run(curl, arguments).stdout == "200")
        await server.shutdown()
        await backend.stop()
    }
}
