import Foundation

/// A pebble ACME server (Debian `pebble`) of one test's own, with `pebble-challtestsrv` as its
/// DNS (every name resolves to 127.0.0.1), both on free loopback ports, started as child
/// processes and stopped by their PIDs.
///
/// Its HTTP-01 and TLS-ALPN-01 validations connect to `httpPort` and `tlsPort`: the test's own
/// listeners. Its HTTPS certificate is made at start with `openssl req` (`caRoots` trusts it),
/// and the root it issues from is fetched from the management interface (`/roots/0`).
final class PebbleServer {
    let directory: String
    let port: Int
    let managementPort: Int
    let dnsPort: Int
    /// PEM of pebble's own HTTPS certificate: the ACME client's `ca_roots`.
    let caRoots: String
    private var processes: [PeerProcess] = []

    var directoryURL: String { "https://127.0.0.1:\(self.port)/dir" }

    private init(directory: String, port: Int, managementPort: Int, dnsPort: Int) {
        self.directory = directory
        self.port = port
        self.managementPort = managementPort
        self.dnsPort = dnsPort
        self.caRoots = directory + "/pebble-https.pem"
    }

    /// - Parameters:
    ///   - httpPort: Where HTTP-01 validations connect (our plain listener).
    ///   - tlsPort: Where TLS-ALPN-01 validations connect (our HTTPS listener).
    ///   - validity: `certificateValidityPeriod` in seconds (short ones force renewals).
    ///   - nonceRejectPercent: `PEBBLE_WFE_NONCEREJECT`: good nonces refused as `badNonce`.
    ///   - port: The directory's port (default: a free one).
    ///   - certificate: pebble's HTTPS certificate and key to reuse (default: made now).
    static func start(
        httpPort: Int,
        tlsPort: Int,
        validity: Int = 3600,
        port: Int? = nil,
        nonceRejectPercent: Int = 0,
        certificate: (String, String)? = nil
    ) async throws -> PebbleServer {
        let pebble = try require(which("pebble"), "pebble")
        let challtestsrv = try require(which("pebble-challtestsrv"), "pebble-challtestsrv")
        var directoryPort = port ?? 0
        if port == nil { directoryPort = try await stablePort() }
        let server = PebbleServer(
            directory: try makeTemporaryDirectory(),
            port: directoryPort,
            managementPort: try await stablePort(),
            dnsPort: try await stablePort()
        )
        let key = server.directory + "/pebble-https-key.pem"
        if let (existingCertificate, existingKey) = certificate {
            try FileManager.default.copyItem(atPath: existingCertificate, toPath: server.caRoots)
            try FileManager.default.copyItem(atPath: existingKey, toPath: key)
        } else {
            try await Self.makeHTTPSCertificate(certificate: server.caRoots, key: key)
        }
        let config = """
            {"pebble": {"listenAddress": "127.0.0.1:\(server.port)", "managementListenAddress": "127.0.0.1:\(server.managementPort)",
              "certificate": "\(server.caRoots)", "privateKey": "\(key)", "httpPort": \(httpPort), "tlsPort": \(tlsPort),
              "ocspResponderURL": "", "externalAccountBindingRequired": false, "certificateValidityPeriod": \(validity)}}
            """
        let configPath = server.directory + "/pebble-config.json"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let managementDNS = try await stablePort()
        try await server.spawn("/usr/bin/env", [
            challtestsrv, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", "127.0.0.1:\(server.dnsPort)",
            "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", "127.0.0.1:\(managementDNS)",
        ])
        try await server.spawn("/usr/bin/env", [
            "PEBBLE_VA_NOSLEEP=1", "PEBBLE_VA_ALWAYS_VALID=0", "PEBBLE_AUTHZREUSE=0",
            "PEBBLE_WFE_NONCEREJECT=\(nonceRejectPercent)",
            pebble, "-config", configPath, "-dnsserver", "127.0.0.1:\(server.dnsPort)",
        ])
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let answer = try? await server.curl("https://127.0.0.1:\(server.port)/dir"), answer.contains("newOrder") { return server }
            for process in server.processes {
                if let status = process.exited() {
                    throw SubprocessError(description: "\(process.name) exited (\(status)): \(process.stderr)")
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await server.stop()
        throw SubprocessError(description: "pebble on port \(server.port) does not answer")
    }

    /// A self-signed certificate for pebble's HTTPS (127.0.0.1, localhost), by `openssl req`.
    static func makeHTTPSCertificate(certificate: String, key: String) async throws {
        let openssl = try require(which("openssl"), "openssl")
        let made = try await run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=pebble", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", key, "-out", certificate,
        ], timeout: 30)
        guard made.status == 0 else { throw SubprocessError(description: "openssl req: \(made.stderr)") }
    }

    private func spawn(_ executable: String, _ arguments: [String]) async throws {
        // With no signal blocked, so that SIGTERM stops the child.
        let name = URL(fileURLWithPath: arguments.first { $0.hasPrefix("/") } ?? executable).lastPathComponent
        let process = try await PeerProcess.launch(executable, arguments, name: name)
        self.processes.append(process)
    }

    /// The root pebble issues from (its chain ends below it), from the management interface.
    func issuingRoot() async throws -> String {
        let pem = try await self.curl("https://127.0.0.1:\(self.managementPort)/roots/0")
        guard pem.contains("BEGIN CERTIFICATE") else { throw SubprocessError(description: "no root from pebble: \(pem)") }
        let path = self.directory + "/issuing-root.pem"
        try pem.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func curl(_ url: String) async throws -> String {
        let curl = try require(which("curl"), "curl")
        let result = try await run(curl, ["--silent", "--show-error", "--cacert", self.caRoots, url], timeout: 10)
        guard result.status == 0 else { throw SubprocessError(description: "curl \(url): \(result.stderr)") }
        return result.stdout
    }

    /// pebble's log (its standard output and error), for failure messages.
    var log: String {
        self.processes.map { "\($0.name): \($0.stderr)" }.joined(separator: "\n")
    }

    /// Stops both processes by their PIDs.
    func stop() async {
        for process in self.processes.reversed() { await process.stop() }
        self.processes = []
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
