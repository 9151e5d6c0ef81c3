import Foundation
import ProxyServer
import ProxyTLS
import Testing

/// Certificate files watched on a running server: a replaced certificate is served within a few
/// seconds without a reload; a broken replacement is not, and the error names the file.
struct CertificateWatchTests {
    @Test func aCertificateRewrittenInPlaceIsServed() async throws {
        let fixture = try await CertificateFixture.start()
        defer { Task { await fixture.stop() } }
        #expect(try await fixture.status(asking: "renewed.test") == "000")
        // DevCertificateAuthority writes each file through a temporary file and a rename.
        _ = try DevCertificateAuthority.ensure(directory: fixture.directory, hosts: ["renewed.test"])
        #expect(try await CertificateFixture.eventually { try await fixture.status(asking: "renewed.test") == "200" })
    }

    @Test func aSymlinkFlipIsServed() async throws {
        // cert-manager / Kubernetes secrets: the configured path is a link into a directory that
        // is replaced by moving another link.
        let directory = try makeTemporaryDirectory()
        let first = try DevCertificateAuthority.issueLeaf(caDirectory: directory + "/v1", stem: "site", hosts: ["localhost"])
        try FileManager.default.createSymbolicLink(atPath: directory + "/data", withDestinationPath: "v1")
        let fixture = try await CertificateFixture.start(
            directory: directory,
            certificate: directory + "/data/site.pem",
            key: directory + "/data/site-key.pem",
            caCertificate: directory + "/v1/portcullis-ca.pem"
        )
        defer { Task { await fixture.stop() } }
        #expect(first.certificatePath.hasSuffix("site.pem"))
        #expect(try await fixture.status(asking: "flipped.test") == "000")
        // v2 from the same CA (copied), then the link flipped by a rename.
        try FileManager.default.createDirectory(atPath: directory + "/v2", withIntermediateDirectories: true)
        for name in ["portcullis-ca.pem", "portcullis-ca-key.pem"] {
            try FileManager.default.copyItem(atPath: directory + "/v1/" + name, toPath: directory + "/v2/" + name)
        }
        _ = try DevCertificateAuthority.issueLeaf(caDirectory: directory + "/v2", stem: "site", hosts: ["localhost", "flipped.test"])
        try FileManager.default.createSymbolicLink(atPath: directory + "/data.new", withDestinationPath: "v2")
        #expect(rename(directory + "/data.new", directory + "/data") == 0)
        #expect(try await CertificateFixture.eventually { try await fixture.status(asking: "flipped.test") == "200" })
    }

    @Test func aBrokenReplacementIsNotServedAndTheErrorNamesTheFile() async throws {
        let logs = CapturedLogs()
        let fixture = try await CertificateFixture.start(logger: logs.logger)
        defer { Task { await fixture.stop() } }
        try "-----BEGIN CERTIFICATE-----\nnot base64 at all\n".write(toFile: fixture.certificate, atomically: true, encoding: .utf8)
        #expect(
            try await CertificateFixture.eventually {
                logs.all.contains { $0.hasPrefix("error certificate refresh failed") && $0.contains("file=\(fixture.certificate)") }
            }
        )
        #expect(try await fixture.status(asking: "localhost") == "200")
    }

    @Test func watchFilesFalseWatchesNothing() async throws {
        let logs = CapturedLogs()
        let fixture = try await CertificateFixture.start(tls: "watch_files: false", logger: logs.logger)
        defer { Task { await fixture.stop() } }
        _ = try DevCertificateAuthority.ensure(directory: fixture.directory, hosts: ["renewed.test"])
        // Three polls' worth of time, then still the old certificate.
        try await Task.sleep(for: .seconds(3))
        #expect(try await fixture.status(asking: "renewed.test") == "000")
        #expect(!logs.all.contains { $0.contains("certificates refreshed") })
    }
}
