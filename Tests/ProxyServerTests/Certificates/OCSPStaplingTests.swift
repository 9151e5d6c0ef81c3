import Foundation
import NIOCore
import ProxyServer
import Testing

/// OCSP stapling against an `openssl ocsp` responder on loopback, checked with
/// `openssl s_client -status`: a good response stapled, a revoked one stapled as revoked, and
/// the last good response still stapled (and reloaded from its cache file) with the responder down.
struct OCSPStaplingTests {
    /// What `openssl s_client -status` says about the staple it got.
    static func stapledStatus(port: Int, ca: String, name: String = "localhost") async throws -> String {
        let openssl = try require(which("openssl"), "openssl")
        let result = try await run(
            openssl,
            ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", name, "-status", "-CAfile", ca, "-verify_return_error"],
            timeout: 10,
            stdin: ""
        )
        let output = result.stdout + result.stderr
        if output.contains("OCSP response: no response sent") { return "none" }
        if let line = output.split(separator: "\n").first(where: { $0.contains("Cert Status:") }) {
            return line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
        }
        return "?"
    }

    static func adminJSON(_ server: ProxyServer, _ path: String) async throws -> [String: Any] {
        let curl = try require(which("curl"), "curl")
        let port = try #require(server.adminAddress?.port)
        let result = try await run(curl, ["-s", "http://127.0.0.1:\(port)\(path)"])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func aGoodResponseIsStapledAndKeptWhenTheResponderGoesDown() async throws {
        let directory = try makeTemporaryDirectory()
        let authority = try await OCSPTestAuthority(directory: directory)
        let leaf = try await authority.issue(stem: "good", names: ["localhost", "127.0.0.1"], serial: "1001")
        try await authority.startResponder(probe: leaf.chain)
        var fixture = try await CertificateFixture.start(
            directory: directory, certificate: leaf.chain, key: leaf.key, caCertificate: authority.caCertificate
        )
        #expect(try await CertificateFixture.eventually {
            try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "good"
        })
        let document = try await Self.adminJSON(fixture.server, "/certificates")
        let entry = try #require((document["certificates"] as? [[String: Any]])?.first)
        let ocsp = try #require(entry["ocsp"] as? [String: Any])
        #expect(ocsp["status"] as? String == "good")
        #expect(ocsp["responder"] as? String == "http://127.0.0.1:\(authority.responderPort)/")
        #expect(entry["source"] as? String == "file")
        #expect(entry["issuer"] as? String == "/CN=Portcullis OCSP Test CA")
        #expect(FileManager.default.fileExists(atPath: leaf.chain + ".ocsp"))
        let metrics = try await run(try require(which("curl")), ["-s", "http://127.0.0.1:\(fixture.server.adminAddress?.port ?? 0)/metrics"]).stdout
        #expect(metrics.contains("portcullis_ocsp_fetches_total{result=\"good\"}"))
        #expect(metrics.contains("portcullis_ocsp_staple_valid_seconds{"))
        #expect(metrics.contains("portcullis_certificate_expiry_seconds{"))

        // The responder stops: the response held is still stapled.
        await authority.stopResponder()
        #expect(try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "good")

        // A new server, the responder still down: the cached response (<cert>.ocsp) is stapled.
        await fixture.server.shutdown()
        await fixture.backend.stop()
        fixture = try await CertificateFixture.start(
            directory: directory, certificate: leaf.chain, key: leaf.key, caCertificate: authority.caCertificate
        )
        #expect(try await CertificateFixture.eventually {
            try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "good"
        })
        await fixture.stop()
    }

    @Test func aRevokedCertificateIsStapledAsRevoked() async throws {
        let directory = try makeTemporaryDirectory()
        let authority = try await OCSPTestAuthority(directory: directory)
        let leaf = try await authority.issue(stem: "revoked", names: ["localhost"], serial: "1002", revoked: true)
        try await authority.startResponder(probe: leaf.chain)
        let fixture = try await CertificateFixture.start(
            directory: directory, certificate: leaf.chain, key: leaf.key, caCertificate: authority.caCertificate
        )
        #expect(try await CertificateFixture.eventually {
            try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "revoked"
        })
        await authority.stopResponder()
        await fixture.stop()
    }

    @Test func aResponderDownAtStartIsRetriedAndTheStapleFollowsOnceItAnswers() async throws {
        let directory = try makeTemporaryDirectory()
        let authority = try await OCSPTestAuthority(directory: directory)
        let leaf = try await authority.issue(stem: "late", names: ["localhost"], serial: "1004")
        let fixture = try await CertificateFixture.start(
            directory: directory, certificate: leaf.chain, key: leaf.key, caCertificate: authority.caCertificate
        )
        // No responder: the fetch fails, nothing is stapled, the error is reported.
        #expect(try await CertificateFixture.eventually {
            let document = try await Self.adminJSON(fixture.server, "/certificates")
            let ocsp = (document["certificates"] as? [[String: Any]])?.first?["ocsp"] as? [String: Any]
            return ocsp?["status"] as? String == "none" && (ocsp?["last_error"] as? String)?.contains("127.0.0.1") == true
        })
        #expect(try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "none")
        // The responder comes up: a retry (2 s, then 4 s after the failures) gets the staple.
        try await authority.startResponder(probe: leaf.chain)
        #expect(try await CertificateFixture.eventually(attempts: 150) {
            try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "good"
        })
        let metrics = try await run(try require(which("curl")), ["-s", "http://127.0.0.1:\(fixture.server.adminAddress?.port ?? 0)/metrics"]).stdout
        #expect(metrics.contains("portcullis_ocsp_fetches_total{result=\"error\"}"))
        await authority.stopResponder()
        await fixture.stop()
    }

    @Test func stapleOffStaplesNothing() async throws {
        let directory = try makeTemporaryDirectory()
        let authority = try await OCSPTestAuthority(directory: directory)
        let leaf = try await authority.issue(stem: "off", names: ["localhost"], serial: "1003")
        try await authority.startResponder(probe: leaf.chain)
        let fixture = try await CertificateFixture.start(
            tls: "ocsp_stapling: false", directory: directory, certificate: leaf.chain, key: leaf.key, caCertificate: authority.caCertificate
        )
        // The responder answers (openssl ocsp as a client), but nothing is stapled.
        #expect(try await authority.query(leaf.chain).contains(": good"))
        #expect(try await Self.stapledStatus(port: fixture.port, ca: authority.caCertificate) == "none")
        await authority.stopResponder()
        await fixture.stop()
    }
}
