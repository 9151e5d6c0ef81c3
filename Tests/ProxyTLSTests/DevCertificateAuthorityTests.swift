import NIOCore
import ProxyTLS
import Testing

struct DevCertificateAuthorityTests {
    @Test func reusesTheCAAndIssuesAFreshLeaf() throws {
        let directory = makeTemporaryDirectory() + "/nested/certs"  // created on demand
        let first = try DevCertificateAuthority.ensure(directory: directory)
        let caBytes = fileBytes(first.caCertificate)
        let caKeyBytes = fileBytes(first.caPrivateKey)
        let leafBytes = fileBytes(first.certificate)

        let second = try DevCertificateAuthority.ensure(directory: directory)
        #expect(second == first)
        #expect(!caBytes.isEmpty)
        #expect(fileBytes(second.caCertificate) == caBytes)
        #expect(fileBytes(second.caPrivateKey) == caKeyBytes)
        #expect(fileBytes(second.certificate) != leafBytes)
        #expect(first.certificate.hasSuffix("/localhost.pem"))
        #expect(first.privateKey.hasSuffix("/localhost-key.pem"))
        #expect(first.caCertificate.hasSuffix("/portcullis-ca.pem"))
        #expect(first.caPrivateKey.hasSuffix("/portcullis-ca-key.pem"))
    }

    @Test func keyFilesArePrivate() throws {
        let fixture = TLSFixture.shared
        #expect(fileMode(fixture.dev.caPrivateKey) == 0o600)
        #expect(fileMode(fixture.dev.privateKey) == 0o600)
        #expect(fileMode(fixture.rsa2048.privateKeyPath) == 0o600)
        #expect(fileMode(fixture.dev.certificate) == 0o644)
    }

    @Test func leafCarriesEveryNameAndVerifiesAgainstTheCA() throws {
        let fixture = TLSFixture.shared
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [fixture.dev.certificateSource]))
        for name in ["localhost", "127.0.0.1", "::1", "app.test", "10.1.2.3"] {
            // Chain and host/IP verification against the CA as the only trust root.
            let client = try fixture.clientContext { $0.serverName = name }
            let pair = try TLSPair(server: server, client: client)
            defer { pair.finish() }
            try pair.connect()
            #expect(pair.clientHandler.handshakeSummary != nil, "verification failed for \(name): \(pair.clientRecorder.errors)")
            #expect(pair.clientHandler.peerCertificateNames == ["localhost", "127.0.0.1", "::1", "app.test", "10.1.2.3"])
        }
    }

    @Test func rejectsHostsThatAreNotNames() {
        #expect(throws: TLSConfigurationError.invalidSetting) {
            try DevCertificateAuthority.issueLeaf(caDirectory: TLSFixture.shared.directory, stem: "bad", hosts: ["a,b"])
        }
    }
}
