import ArgumentParser
import ProxyServer
import ProxyTLS

/// `portcullis certs` makes the development CA and a leaf (as it always did); `portcullis certs
/// status` lists what a running server serves.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create a local CA (kept and reused) and a certificate for localhost, 127.0.0.1, ::1 and --host names.",
        discussion: "`portcullis certs status` lists the certificates a running Portcullis serves.",
        subcommands: [CertsStatusCommand.self]
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

/// `portcullis certs status`: every certificate every listener serves, through the admin API.
struct CertsStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the certificates a running Portcullis serves: names, issuer, expiry, source, OCSP, renewal, errors."
    )
    @OptionGroup var admin: AdminOptions

    @Flag(name: .customLong("json"), help: "Print the admin API's JSON (GET /certificates) instead of a table.")
    var json = false

    func run() async throws {
        let client = try self.admin.client()
        try await runAdmin { self.json ? try await client.certificatesJSON() : try await client.certificatesTable() }
    }
}
