import Foundation
import Logging
import NIOCore
import ProxyConfig
import ProxyServer
import Testing

/// ACME against pebble (an RFC 8555 test CA, Debian `pebble`), started by each test on free
/// loopback ports, its validations pointed at our listeners. curl checks what is served with
/// the root pebble issues from.
@Suite(.serialized)
struct ACMEIntegrationTests {
    /// One proxy instance: a plain listener (HTTP-01, and a redirect to HTTPS) and an HTTPS
    /// listener with `tls.acme` whose only route answers itself.
    struct Instance {
        let server: ProxyServer
        let httpPort: Int?
        let tlsPort: Int

        static func start(
            pebbleDirectory: String,
            caRoots: String,
            stateDirectory: String,
            domain: String,
            challenge: String,
            httpPort: Int?,
            tlsPort: Int,
            reusePort: Bool = false,
            name: String = "a"
        ) async throws -> Instance {
            let plain = httpPort.map { port in
                """
                  - name: plain
                    bind: "127.0.0.1:\(port)"
                    reuse_port: \(reusePort)
                    routes:
                      - name: to-https
                        redirect: {scheme: https, status: 308}
                """
            } ?? ""
            let yaml = """
                global: {event_loops: 1, access_log: false, shutdown_grace: 1s}
                admin: {bind: "127.0.0.1:0"}
                listeners:
                \(plain)
                  - name: secure
                    bind: "127.0.0.1:\(tlsPort)"
                    tls:
                      acme:
                        directory: \(pebbleDirectory)
                        email: ops@example.com
                        challenge: \(challenge)
                        ca_roots: \(caRoots)
                        state_dir: \(stateDirectory)
                        retry_initial: 1s
                        retry_max: 2s
                    routes:
                      - name: app
                        match: {host: \(domain)}
                        fixed_response: {status: 200, body: "hello from \(name)\\n"}
                """
            let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "acme.yaml", baseDirectory: stateDirectory)
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "acme-test", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await server.start()
            return Instance(server: server, httpPort: httpPort, tlsPort: tlsPort)
        }

        func metrics() async throws -> String {
            let curl = try require(which("curl"), "curl")
            let address = try #require(self.server.adminAddress)
            let result = try await run(curl, ["--silent", "http://127.0.0.1:\(address.port ?? 0)/metrics"], timeout: 10)
            return result.stdout
        }

        /// `portcullis_acme_orders_total{…result="<result>"}`, 0 when absent.
        func orders(_ result: String) async throws -> Int {
            let text = try await self.metrics()
            let line = text.split(separator: "\n").first { $0.hasPrefix("portcullis_acme_orders_total") && $0.contains("result=\"\(result)\"") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
    }

    /// curl with pebble's issuing root, the name resolved to the listener: the body, or `nil`
    /// while the certificate does not verify.
    static func fetchVerified(domain: String, port: Int, root: String) async throws -> ProcessResult {
        let curl = try require(which("curl"), "curl")
        return try await run(curl, [
            "--silent", "--show-error", "--cacert", root, "--resolve", "\(domain):\(port):127.0.0.1", "https://\(domain):\(port)/",
        ], timeout: 10)
    }

    /// Polls until curl verifies the certificate (at most `timeout`).
    static func waitUntilVerified(domain: String, port: Int, root: String, timeout: Duration = .seconds(30)) async throws -> ProcessResult {
        let deadline = ContinuousClock.now + timeout
        var last = try await Self.fetchVerified(domain: domain, port: port, root: root)
        while last.status != 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            last = try await Self.fetchVerified(domain: domain, port: port, root: root)
        }
        return last
    }

    /// The SHA-256 fingerprint of the certificate a listener serves, by `openssl s_client`.
    static func servedFingerprint(domain: String, port: Int) async throws -> String {
        let openssl = try require(which("openssl"), "openssl")
        let shown = try await run(openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", domain], timeout: 10, stdin: "")
        let pem = shown.stdout.components(separatedBy: "-----BEGIN CERTIFICATE-----").dropFirst().first
            .map { "-----BEGIN CERTIFICATE-----" + $0.components(separatedBy: "-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n" } ?? ""
        let fingerprint = try await run(openssl, ["x509", "-noout", "-fingerprint", "-sha256"], timeout: 10, stdin: pem)
        return fingerprint.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func firstCertificateByHTTP01IsServedAndVerifiedByCurl() async throws {
        let httpPort = try await stablePort()
        let tlsPort = try await stablePort()
        let pebble = try await PebbleServer.start(httpPort: httpPort, tlsPort: tlsPort)
        let state = try makeTemporaryDirectory()
        let domain = "acme-http.example.com"
        let instance = try await Instance.start(
            pebbleDirectory: pebble.directoryURL, caRoots: pebble.caRoots, stateDirectory: state, domain: domain,
            challenge: "http-01", httpPort: httpPort, tlsPort: tlsPort
        )
        let root = try await pebble.issuingRoot()
        // Until the first certificate: the self-signed placeholder, which pebble's root does not verify.
        let result = try await Self.waitUntilVerified(domain: domain, port: tlsPort, root: root)
        #expect(result.status == 0, "\(result.stderr)\n\(pebble.log)")
        #expect(result.stdout == "hello from a\n")
        #expect(try await instance.orders("success") == 1)

        let curl = try require(which("curl"), "curl")
        // state_dir: keys private, certificate and account saved.
        for (file, mode) in [("account-key.pem", 0o600), ("\(domain)/certificate-key.pem", 0o600), ("\(domain)/certificate.pem", 0o644)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(state)/\(file)")
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(state)/accounts.json"))

        // The certificate inventory lists it as ACME's, with its next renewal and no error.
        let address = try #require(instance.server.adminAddress)
        let inventory = try await run(curl, ["--silent", "http://127.0.0.1:\(address.port ?? 0)/certificates"], timeout: 10)
        let compact = inventory.stdout.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\n", with: "")
        #expect(compact.contains("\"source\":\"acme\""), "\(inventory.stdout)")
        #expect(compact.contains("\"next_renewal\":\""), "\(inventory.stdout)")
        #expect(compact.contains("\(domain)/certificate.pem"), "\(inventory.stdout)")

        // The plain listener: an unknown token is 404 (not redirected); other paths are redirected.
        let unknown = try await run(curl, ["--silent", "--include", "http://127.0.0.1:\(httpPort)/.well-known/acme-challenge/nosuchtoken"], timeout: 10)
        #expect(unknown.stdout.hasPrefix("HTTP/1.1 404"), "\(unknown.stdout)")
        let other = try await run(curl, ["--silent", "--include", "http://127.0.0.1:\(httpPort)/page"], timeout: 10)
        #expect(other.stdout.hasPrefix("HTTP/1.1 308"), "\(other.stdout)")

        await instance.server.shutdown()
        await pebble.stop()
        try? FileManager.default.removeItem(atPath: state)
    }

    @Test func firstCertificateByTLSALPN01() async throws {
        let unusedHTTPPort = try await stablePort()
        let tlsPort = try await stablePort()
        let pebble = try await PebbleServer.start(httpPort: unusedHTTPPort, tlsPort: tlsPort)
        let state = try makeTemporaryDirectory()
        let domain = "acme-alpn.example.com"
        let instance = try await Instance.start(
            pebbleDirectory: pebble.directoryURL, caRoots: pebble.caRoots, stateDirectory: state, domain: domain,
            challenge: "tls-alpn-01", httpPort: nil, tlsPort: tlsPort
        )
        let root = try await pebble.issuingRoot()
        let result = try await Self.waitUntilVerified(domain: domain, port: tlsPort, root: root)
        #expect(result.status == 0, "\(result.stderr)\n\(pebble.log)")
        #expect(result.stdout == "hello from a\n")
        #expect(try await instance.orders("success") == 1)
        await instance.server.shutdown()
        await pebble.stop()
        try? FileManager.default.removeItem(atPath: state)
    }

    @Test func shortLifetimeIsRenewedAndTheNewCertificateServed() async throws {
        let httpPort = try await stablePort()
        let tlsPort = try await stablePort()
        // 15 s certificates: renewed after 9.25...10 s (two thirds, less up to 5 % jitter).
        let pebble = try await PebbleServer.start(httpPort: httpPort, tlsPort: tlsPort, validity: 15)
        let state = try makeTemporaryDirectory()
        let domain = "acme-renew.example.com"
        let instance = try await Instance.start(
            pebbleDirectory: pebble.directoryURL, caRoots: pebble.caRoots, stateDirectory: state, domain: domain,
            challenge: "http-01", httpPort: httpPort, tlsPort: tlsPort
        )
        let root = try await pebble.issuingRoot()
        let first = try await Self.waitUntilVerified(domain: domain, port: tlsPort, root: root)
        #expect(first.status == 0, "\(first.stderr)\n\(pebble.log)")
        let firstFingerprint = try await Self.servedFingerprint(domain: domain, port: tlsPort)
        let deadline = ContinuousClock.now + .seconds(30)
        var fingerprint = firstFingerprint
        while fingerprint == firstFingerprint && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            fingerprint = try await Self.servedFingerprint(domain: domain, port: tlsPort)
        }
        #expect(fingerprint != firstFingerprint, "no renewed certificate served")
        #expect(try await instance.orders("success") >= 2)
        let renewed = try await Self.fetchVerified(domain: domain, port: tlsPort, root: root)
        #expect(renewed.status == 0, "\(renewed.stderr)")
        await instance.server.shutdown()
        await pebble.stop()
        try? FileManager.default.removeItem(atPath: state)
    }

    @Test func failuresAreRetriedWithBackoffUntilAnOrderSucceeds() async throws {
        let httpPort = try await stablePort()
        let tlsPort = try await stablePort()
        let state = try makeTemporaryDirectory()
        let domain = "acme-retry.example.com"
        // The CA is not there yet: the first attempts fail to connect and are retried.
        let pebblePort = try await stablePort()
        let pebbleRoots = state + "/pebble-https.pem"
        let pebbleKey = state + "/pebble-https-key.pem"
        try await PebbleServer.makeHTTPSCertificate(certificate: pebbleRoots, key: pebbleKey)
        let instance = try await Instance.start(
            pebbleDirectory: "https://127.0.0.1:\(pebblePort)/dir", caRoots: pebbleRoots, stateDirectory: state, domain: domain,
            challenge: "http-01", httpPort: httpPort, tlsPort: tlsPort
        )
        let failuresDeadline = ContinuousClock.now + .seconds(10)
        while try await instance.orders("failure") < 2 && ContinuousClock.now < failuresDeadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try await instance.orders("failure") >= 2)

        // Now the CA, with a third of good nonces refused as badNonce: retried with the fresh nonce.
        let pebble = try await PebbleServer.start(
            httpPort: httpPort, tlsPort: tlsPort, port: pebblePort, nonceRejectPercent: 30, certificate: (pebbleRoots, pebbleKey)
        )
        let root = try await pebble.issuingRoot()
        let result = try await Self.waitUntilVerified(domain: domain, port: tlsPort, root: root)
        #expect(result.status == 0, "\(result.stderr)\n\(pebble.log)")
        #expect(try await instance.orders("success") == 1)
        await instance.server.shutdown()
        await pebble.stop()
        try? FileManager.default.removeItem(atPath: state)
    }

    @Test func twoInstancesSharingStateDirMakeOneOrder() async throws {
        // Both plain listeners on one port (reuse_port), as behind one address: the CA's
        // validation may reach either instance, and each answers (state_dir/challenges).
        let httpPort = try await stablePort()
        let tlsPortA = try await stablePort()
        let tlsPortB = try await stablePort()
        let pebble = try await PebbleServer.start(httpPort: httpPort, tlsPort: tlsPortA)
        let state = try makeTemporaryDirectory()
        let domain = "acme-shared.example.com"
        let (directoryURL, caRoots) = (pebble.directoryURL, pebble.caRoots)
        async let startA = Instance.start(
            pebbleDirectory: directoryURL, caRoots: caRoots, stateDirectory: state, domain: domain,
            challenge: "http-01", httpPort: httpPort, tlsPort: tlsPortA, reusePort: true, name: "a"
        )
        async let startB = Instance.start(
            pebbleDirectory: directoryURL, caRoots: caRoots, stateDirectory: state, domain: domain,
            challenge: "http-01", httpPort: httpPort, tlsPort: tlsPortB, reusePort: true, name: "b"
        )
        let (a, b) = try await (startA, startB)
        let root = try await pebble.issuingRoot()
        let servedA = try await Self.waitUntilVerified(domain: domain, port: tlsPortA, root: root)
        let servedB = try await Self.waitUntilVerified(domain: domain, port: tlsPortB, root: root)
        #expect(servedA.status == 0 && servedB.status == 0, "\(servedA.stderr) \(servedB.stderr)\n\(pebble.log)")
        #expect(servedA.stdout == "hello from a\n" && servedB.stdout == "hello from b\n")
        let orders = try await a.orders("success") + b.orders("success")
        #expect(orders == 1)
        #expect(try await a.orders("failure") + b.orders("failure") == 0)
        let fingerprintA = try await Self.servedFingerprint(domain: domain, port: tlsPortA)
        let fingerprintB = try await Self.servedFingerprint(domain: domain, port: tlsPortB)
        #expect(fingerprintA == fingerprintB && !fingerprintA.isEmpty)
        await a.server.shutdown()
        await b.server.shutdown()
        await pebble.stop()
        try? FileManager.default.removeItem(atPath: state)
    }
}
