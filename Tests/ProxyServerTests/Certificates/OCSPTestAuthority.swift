import Foundation

/// A test CA made with the `openssl` CLI whose leaves name an OCSP responder on loopback, and
/// that responder (`openssl ocsp`), started and stopped by PID.
final class OCSPTestAuthority: @unchecked Sendable {
    let directory: String
    let responderPort: Int
    var caCertificate: String { self.directory + "/ca.pem" }
    private var responder: PeerProcess?
    private let openssl: String

    init(directory: String) async throws {
        self.directory = directory
        self.openssl = try require(which("openssl"), "openssl")
        self.responderPort = try await stablePort()
        try await self.cli([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory + "/ca-key.pem",
            "-out", self.caCertificate, "-days", "30", "-subj", "/CN=Portcullis OCSP Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        ])
        try "".write(toFile: directory + "/index.txt", atomically: true, encoding: .utf8)
    }

    /// Issues a leaf for `names` with serial `serial` (hex) and an AIA OCSP URL pointing at the
    /// responder, records it in the responder's index (`revoked`: as revoked), and returns the
    /// chain file (leaf, then the CA) and the key file.
    func issue(stem: String, names: [String], serial: String, revoked: Bool = false) async throws -> (chain: String, key: String) {
        let base = self.directory + "/" + stem
        let sans = names.map { $0.first!.isNumber ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        try """
            subjectAltName=\(sans)
            authorityInfoAccess=OCSP;URI:http://127.0.0.1:\(self.responderPort)/
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth
            """.write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try await self.cli([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", base + "-key.pem",
            "-out", base + ".csr", "-subj", "/CN=\(names[0])",
        ])
        try await self.cli([
            "x509", "-req", "-in", base + ".csr", "-CA", self.caCertificate, "-CAkey", self.directory + "/ca-key.pem",
            "-set_serial", "0x" + serial, "-days", "30", "-out", base + "-leaf.pem", "-extfile", base + ".ext",
        ])
        let leaf = try String(contentsOfFile: base + "-leaf.pem", encoding: .utf8)
        let ca = try String(contentsOfFile: self.caCertificate, encoding: .utf8)
        try (leaf + ca).write(toFile: base + ".pem", atomically: true, encoding: .utf8)
        // index.txt: status, expiry, revocation time, serial, file, subject (tab-separated).
        let expiry = "491231235959Z"
        let line = revoked
            ? "R\t\(expiry)\t261201000000Z\t\(serial)\tunknown\t/CN=\(names[0])\n"
            : "V\t\(expiry)\t\t\(serial)\tunknown\t/CN=\(names[0])\n"
        let index = try String(contentsOfFile: self.directory + "/index.txt", encoding: .utf8)
        try (index + line).write(toFile: self.directory + "/index.txt", atomically: true, encoding: .utf8)
        return (base + ".pem", base + "-key.pem")
    }

    /// Runs the `openssl` CLI; a failure throws with its standard error.
    private func cli(_ arguments: [String]) async throws {
        let result = try await run(self.openssl, arguments, timeout: 30)
        guard result.status == 0 else {
            throw SubprocessError(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr)")
        }
    }

    /// Starts `openssl ocsp` on the responder port (OpenSSL 3.0's responder cannot bind one
    /// address: it listens on every interface; the test only talks to it over loopback) (responses valid 10 minutes), and waits until
    /// it answers a query for `probe` (a chain file issued here).
    func startResponder(probe: String) async throws {
        self.responder = try PeerProcess(
            self.openssl,
            ["ocsp", "-index", self.directory + "/index.txt", "-port", "\(self.responderPort)",
             "-rsigner", self.caCertificate, "-rkey", self.directory + "/ca-key.pem", "-CA", self.caCertificate, "-nmin", "10"],
            name: "openssl-ocsp"
        )
        for _ in 0..<100 {
            let answer = try await self.query(probe)
            if answer.contains(": good") || answer.contains(": revoked") { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SubprocessError(description: "the OCSP responder did not answer on port \(self.responderPort)")
    }

    /// What `openssl ocsp` as a client says about a chain file's leaf.
    func query(_ chain: String) async throws -> String {
        let result = try await run(
            self.openssl,
            ["ocsp", "-issuer", self.caCertificate, "-cert", chain, "-url", "http://127.0.0.1:\(self.responderPort)/",
             "-CAfile", self.caCertificate, "-timeout", "2"],
            timeout: 10
        )
        return result.stdout + result.stderr
    }

    /// Stops the responder by its PID (SIGKILL: `openssl ocsp` waits in accept and ignores SIGTERM for seconds).
    func stopResponder() async {
        if let responder = self.responder { kill(responder.pid, SIGKILL) }
        await self.responder?.stop()
        self.responder = nil
    }
}
