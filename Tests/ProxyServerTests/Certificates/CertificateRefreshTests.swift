import Foundation
import ProxyServer
import ProxyTLS
import Testing

/// `refreshCertificates`: new connections get the files' new certificate, open connections keep
/// theirs, and a broken file changes nothing and is reported naming the file.
struct CertificateRefreshTests {
    @Test func aRefreshServesTheNewCertificateAndAnOpenConnectionSurvivesIt() async throws {
        let logs = CapturedLogs()
        let fixture = try await CertificateFixture.start(tls: "watch_files: false", logger: logs.logger)
        defer { Task { await fixture.stop() } }
        let python = try require(which("python3"), "python3")
        // A connection opened before the swap, kept open across it (Python's ssl, an independent client).
        let open = try PeerProcess(
            python,
            [WebSocketPeers.directory + "/tls_hold.py", "--port", "\(fixture.port)", "--cafile", fixture.caCertificate],
            name: "tls_hold"
        )
        defer { Task { await open.stop() } }
        func request(on peer: PeerProcess) async throws -> String? {
            peer.send("get")
            return try await peer.line(where: { $0.hasPrefix("HTTP/1.1 ") })
        }
        let names = try await open.line(where: { $0.hasPrefix("names ") })
        #expect(names?.hasPrefix("names localhost,127.0.0.1") == true)
        #expect(try await request(on: open)?.hasPrefix("HTTP/1.1 200") == true)
        #expect(try await fixture.status(asking: "renewed.test") == "000")

        // Renew in place (same files, one more name): nothing changes until the refresh.
        _ = try DevCertificateAuthority.ensure(directory: fixture.directory, hosts: ["renewed.test"])
        #expect(try await fixture.status(asking: "renewed.test") == "000")
        try await fixture.server.refreshCertificates(listener: "tls", reason: "test")
        #expect(try await fixture.status(asking: "renewed.test") == "200")
        #expect(try await fixture.status(asking: "localhost") == "200")
        // The connection handshaken before the swap goes on.
        #expect(try await request(on: open)?.hasPrefix("HTTP/1.1 200") == true)
        #expect(logs.all.contains { $0.contains("certificates refreshed") && $0.contains("reason=test") })
    }

    @Test func aBrokenFileKeepsTheCurrentCertificateAndTheErrorNamesTheFile() async throws {
        let logs = CapturedLogs()
        let fixture = try await CertificateFixture.start(tls: "watch_files: false", logger: logs.logger)
        defer { Task { await fixture.stop() } }
        let good = try Data(contentsOf: URL(fileURLWithPath: fixture.certificate))
        let goodKey = try Data(contentsOf: URL(fileURLWithPath: fixture.key))

        // Half-written: the PEM cut in the middle of the base64.
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: fixture.certificate))
        await #expect(throws: CertificateRefreshError.self) {
            try await fixture.server.refreshCertificates(listener: "tls", reason: "test")
        }
        #expect(try await fixture.status(asking: "localhost") == "200")
        #expect(logs.all.contains { $0.hasPrefix("error") && $0.contains("file=\(fixture.certificate)") })

        // A key that belongs to another certificate: the error names the key file.
        try good.write(to: URL(fileURLWithPath: fixture.certificate))
        let other = try DevCertificateAuthority.issueLeaf(caDirectory: fixture.directory, stem: "other", hosts: ["other.test"])
        try Data(contentsOf: URL(fileURLWithPath: other.privateKeyPath)).write(to: URL(fileURLWithPath: fixture.key))
        do {
            try await fixture.server.refreshCertificates(listener: "tls", reason: "test")
            Issue.record("a mismatched key was accepted")
        } catch let error as CertificateRefreshError {
            #expect(error.file == fixture.key)
            #expect(error.description.contains("does not match"))
        }
        #expect(try await fixture.status(asking: "localhost") == "200")

        // Missing file, then the good pair back: served again, the error cleared.
        try FileManager.default.removeItem(atPath: fixture.key)
        await #expect(throws: CertificateRefreshError.self) {
            try await fixture.server.refreshCertificates(listener: "tls", reason: "test")
        }
        try goodKey.write(to: URL(fileURLWithPath: fixture.key))
        try await fixture.server.refreshCertificates(listener: "tls", reason: "test")
        #expect(try await fixture.status(asking: "localhost") == "200")
    }

    @Test func unknownAndPlainListenersAreRefused() async throws {
        let fixture = try await CertificateFixture.start(tls: "watch_files: false")
        defer { Task { await fixture.stop() } }
        await #expect(throws: CertificateRefreshError.unknownListener("nope")) {
            try await fixture.server.refreshCertificates(listener: "nope", reason: "test")
        }
    }

    @Test func aRefreshAfterAReloadServesTheReloadedFiles() async throws {
        // The refresh reads the configuration in effect: a reload that moved the listener to
        // other files is not undone by a refresh that follows it.
        let fixture = try await CertificateFixture.start(tls: "watch_files: false")
        defer { Task { await fixture.stop() } }
        let other = try DevCertificateAuthority.issueLeaf(caDirectory: fixture.directory, stem: "moved", hosts: ["moved.test"])
        let configPath = fixture.directory + "/portcullis.yaml"
        let yaml = try String(contentsOfFile: configPath, encoding: .utf8)
            .replacingOccurrences(of: fixture.certificate, with: other.certificatePath)
            .replacingOccurrences(of: fixture.key, with: other.privateKeyPath)
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        async let reloaded = fixture.server.reload()
        async let refreshed: Void = fixture.server.refreshCertificates(listener: "tls", reason: "test")
        _ = try await (reloaded, refreshed)
        try await fixture.server.refreshCertificates(listener: "tls", reason: "test")
        #expect(try await fixture.status(asking: "moved.test") == "200")
        #expect(try await fixture.status(asking: "localhost") == "000")
    }
}
