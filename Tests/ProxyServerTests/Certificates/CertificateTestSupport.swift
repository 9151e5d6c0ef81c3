import Foundation
import Logging
import ProxyConfig
import ProxyServer
import ProxyTLS

/// A proxy with one https listener serving a dev-CA certificate from files in a temporary
/// directory, in front of a ``TestBackend``: what the certificate refresh, watch and OCSP tests
/// start from.
struct CertificateFixture {
    let directory: String
    let certificate: String
    let key: String
    let caCertificate: String
    let backend: TestBackend
    let server: ProxyServer
    let port: Int

    /// - Parameters:
    ///   - tls: Extra keys of the listener's `tls` block, one per line (`watch_files: false`).
    ///   - certificate, key: Serve these instead of a fresh dev-CA `localhost` certificate.
    static func start(
        tls: String = "",
        directory existing: String? = nil,
        certificate: String? = nil,
        key: String? = nil,
        caCertificate: String? = nil,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> CertificateFixture {
        let directory = try existing ?? makeTemporaryDirectory()
        var paths = (certificate: certificate ?? "", key: key ?? "", ca: caCertificate ?? "")
        if certificate == nil {
            let made = try DevCertificateAuthority.ensure(directory: directory)
            paths = (made.certificate, made.privateKey, made.caCertificate)
        }
        let backend = try await TestBackend()
        let configPath = directory + "/portcullis.yaml"
        let extra = tls.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n")
        try """
            global: { event_loops: 1, shutdown_grace: 1s, access_log: false }
            admin: { bind: "127.0.0.1:0" }
            listeners:
              - name: tls
                bind: "127.0.0.1:0"
                protocol: https
                tls:
                  certificates:
                    - cert: \(paths.certificate)
                      key: \(paths.key)
            \(extra)
                routes:
                  - forward: web
            target_groups:
              web:
                targets: ["127.0.0.1:\(backend.port)"]
                health_check: { enabled: false }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let server = try ProxyServer(
            configuration: try ProxyConfiguration.load(path: configPath),
            logger: logger,
            configurationSource: { try ProxyConfiguration.load(path: configPath) }
        )
        let port = try await server.start()[0].port
        return CertificateFixture(
            directory: directory, certificate: paths.certificate, key: paths.key, caCertificate: paths.ca,
            backend: backend, server: server, port: port
        )
    }

    func stop() async {
        await self.server.shutdown()
        await self.backend.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// curl's status code for `https://<name>:<port>/`, trusting only the CA: `000` when the
    /// certificate does not name `name`.
    func status(asking name: String) async throws -> String {
        let curl = try require(which("curl"), "curl")
        return try await run(
            curl,
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--cacert", self.caCertificate,
             "--resolve", "\(name):\(self.port):127.0.0.1", "https://\(name):\(self.port)/"]
        ).stdout
    }

    /// Polls `body` every 100 ms until it returns true, at most `attempts` times.
    static func eventually(attempts: Int = 100, _ body: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<attempts {
            if try await body() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Collects log records in memory, for tests that check what was logged.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        self.lock.lock()
        self.lines.append(line)
        self.lock.unlock()
    }

    var all: [String] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.lines
    }

    var logger: Logger {
        Logger(label: "test", factory: { _ in CapturingLogHandler(sink: self) })
    }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.sink.append("\(event.level) \(event.message) \(fields)")
    }
}
