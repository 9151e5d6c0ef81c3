import ArgumentParser
import ProxyTLS

struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create a local CA (kept and reused) and a certificate for localhost, 127.0.0.1, ::1 and --host names."
    )

    @Option(name: .customLong("host"), help: "Extra DNS name or IP address for the certificate; repeat for several.")
    var hosts: [String] = []

    @Option(name: .customLong("out"), help: "Output directory.")
    var out: String = "certs"

    func run() throws {
        let paths = try DevCertificateAuthority.ensure(directory: self.out, hosts: self.hosts)
        print("CA certificate:   \(paths.caCertificate)   (trust this one: curl --cacert \(paths.caCertificate))")
        print("CA private key:   \(paths.caPrivateKey)")
        print("certificate:      \(paths.certificate)")
        print("private key:      \(paths.privateKey)")
    }
}
