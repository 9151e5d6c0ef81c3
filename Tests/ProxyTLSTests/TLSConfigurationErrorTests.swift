import ProxyTLS
import Testing

struct TLSConfigurationErrorTests {
    let fixture = TLSFixture.shared

    private func error(loading source: TLSCertificateSource) -> TLSConfigurationError? {
        do {
            _ = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [source]))
            return nil
        } catch let error as TLSConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func missingFileIsNamed() throws {
        let missing = self.fixture.directory + "/missing.pem"
        let error = try #require(self.error(loading: TLSCertificateSource(certificatePath: missing, privateKeyPath: self.fixture.a.privateKeyPath)))
        #expect(error == .cannotReadFile)
        #expect(error.description == "\(missing): cannot read file: No such file or directory")
    }

    @Test func fileWithoutCertificateIsNamed() throws {
        // A key file where the certificate should be.
        let source = TLSCertificateSource(certificatePath: self.fixture.a.privateKeyPath, privateKeyPath: self.fixture.a.privateKeyPath)
        let error = try #require(self.error(loading: source))
        #expect(error == .noCertificate)
        #expect(error.description.hasPrefix("\(self.fixture.a.privateKeyPath): no PEM certificate"))
    }

    @Test func keyMismatchNamesBothFiles() throws {
        let source = TLSCertificateSource(certificatePath: self.fixture.a.certificatePath, privateKeyPath: self.fixture.wildcard.privateKeyPath)
        let error = try #require(self.error(loading: source))
        #expect(error == .keyMismatch)
        #expect(
            error.description
                == "\(self.fixture.wildcard.privateKeyPath): private key does not match certificate \(self.fixture.a.certificatePath)"
        )
    }

    @Test func rsa1024IsRefused() throws {
        let error = try #require(self.error(loading: self.fixture.rsa1024))
        #expect(error == .weakKey)
        #expect(error.description.hasPrefix(self.fixture.rsa1024.privateKeyPath + ": "))
        #expect(error.description.contains("1024"))
    }

    @Test func legacyMinimumVersionIsRefused() {
        var configuration = TLSServerConfiguration(certificates: [self.fixture.a])
        configuration.minimumVersion = .tls11
        #expect(throws: TLSConfigurationError.invalidSetting) { try TLSServerContext(configuration: configuration) }
    }

    @Test func emptyCertificateListIsRefused() {
        #expect(throws: TLSConfigurationError.invalidSetting) {
            try TLSServerContext(configuration: TLSServerConfiguration(certificates: []))
        }
    }

    @Test func missingTrustRootsAreNamed() throws {
        let missing = self.fixture.directory + "/no-ca.pem"
        #expect {
            try TLSClientContext(configuration: TLSClientConfiguration(trustRootsPEMPath: missing))
        } throws: { error in
            (error as? TLSConfigurationError)?.description.hasPrefix(missing) == true
        }
    }
}
