import Foundation
import NIOCore
@testable import ProxyServer
import Testing

/// `GET /certificates` and its table (`portcullis certs status`), with the renewal state a
/// certificate manager records.
struct CertificateAdminTests {
    @Test func theRouteIsGetOnly() {
        #expect(AdminRoute.match(method: "GET", path: "/certificates") == .success(.certificates))
        #expect(AdminRoute.match(method: "POST", path: "/certificates") == .failure(.methodNotAllowed(allowed: ["GET"])))
    }

    @Test func theInventoryListsDevCertificatesAndRenewalStateAndBrokenFiles() async throws {
        let fixture = try await CertificateFixture.start(tls: "watch_files: false")
        defer { Task { await fixture.stop() } }
        var document = fixture.server.certificatesDocument()
        var entry = try #require(document.certificates.first)
        #expect(document.certificates.count == 1)
        #expect(entry.listener == "tls")
        #expect(entry.source == "dev")
        #expect(entry.names == ["localhost", "127.0.0.1", "::1"])
        #expect(entry.certificateFile == fixture.certificate)
        #expect(entry.keyFile == fixture.key)
        #expect(entry.nextRenewal == nil)
        #expect(entry.lastError == nil)
        #expect(entry.ocsp.status == "no_responder")
        #expect((entry.expiresInSeconds ?? 0) > 800 * 86_400)

        // What an ACME manager reports.
        let renewal = Date(timeIntervalSince1970: 1_900_000_000)
        fixture.server.recordRenewalState(
            CertificateRenewalState(nextRenewal: renewal, lastError: "order failed: rate limited"),
            listener: "tls",
            certificatePath: fixture.certificate
        )
        entry = try #require(fixture.server.certificatesDocument().certificates.first)
        #expect(entry.source == "acme")
        #expect(entry.nextRenewal == "2030-03-17T17:46:40Z")
        #expect(entry.lastError == "order failed: rate limited")
        fixture.server.recordRenewalState(nil, listener: "tls", certificatePath: fixture.certificate)

        // A broken file: the refresh error names it, the certificate served is still listed.
        try "garbage".write(toFile: fixture.certificate, atomically: true, encoding: .utf8)
        _ = try? await fixture.server.refreshCertificates(listener: "tls", reason: "test")
        document = fixture.server.certificatesDocument()
        entry = try #require(document.certificates.first)
        #expect(entry.source == "dev")
        #expect(entry.lastError?.hasPrefix(fixture.certificate) == true)
        #expect(entry.lastRefresh != nil)
        let table = AdminClient.table(document.certificates)
        #expect(table.hasPrefix("LISTENER"))
        #expect(table.contains("tls: error:") || table.contains("tls localhost: error: \(fixture.certificate)"))
    }

    @Test func certsStatusPrintsTheTableThroughTheAdminAPI() async throws {
        let fixture = try await CertificateFixture.start(tls: "watch_files: false")
        defer { Task { await fixture.stop() } }
        let admin = try #require(fixture.server.adminAddress?.port)
        let binary = packageRoot + "/.build/debug/portcullis"
        let table = try await run(binary, ["certs", "status", "--admin", "127.0.0.1:\(admin)"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("LISTENER"))
        #expect(table.stdout.contains("tls       localhost,127.0.0.1,::1  dev"))
        let json = try await run(binary, ["certs", "status", "--json", "--admin", "127.0.0.1:\(admin)"])
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((document?["certificates"] as? [[String: Any]])?.first?["source"] as? String == "dev")
    }
}
