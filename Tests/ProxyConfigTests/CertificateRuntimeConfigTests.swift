import Testing

@testable import ProxyConfig

/// `tls.watch_files` and `tls.ocsp_stapling`: on by default, off when asked, a clear error otherwise.
struct CertificateRuntimeConfigTests {
    private static func yaml(_ extra: String) -> String {
        """
        listeners:
          - name: public
            bind: "127.0.0.1:8443"
            protocol: https
            tls:
              certificates:
                - cert: certs/localhost.pem
                  key: certs/localhost-key.pem
        \(extra)
            routes:
              - forward: web
        target_groups:
          web:
            targets: ["127.0.0.1:8080"]
        """
    }

    @Test func bothAreOnByDefault() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml(""))
        #expect(configuration.listeners[0].tls?.watchFiles == true)
        #expect(configuration.listeners[0].tls?.ocspStapling == true)
    }

    @Test func bothCanBeTurnedOff() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.yaml("      watch_files: false\n      ocsp_stapling: false"))
        #expect(configuration.listeners[0].tls?.watchFiles == false)
        #expect(configuration.listeners[0].tls?.ocspStapling == false)
    }

    @Test func aWrongValueIsReportedWithItsKey() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(Self.yaml("      watch_files: sometimes\n      ocsp_stapling: 3"))
        #expect(errors.contains { $0.contains("listeners[0].tls.watch_files") })
        #expect(errors.contains { $0.contains("listeners[0].tls.ocsp_stapling") })
    }
}
