import Foundation
import Logging
import ProxyConfig
import ProxyServer
import ProxyTLS

/// A running proxy (in this process, on an ephemeral loopback port) in front of a ``TestBackend``,
/// with a dev CA made for the occasion.
struct ProxyFixture {
    let directory: String
    let certificates: DevCertificatePaths
    let backend: TestBackend
    let server: ProxyServer
    let port: Int

    /// - Parameter targetPort: Forward here instead of the backend (to test a dead target).
    /// - Parameter responseTimeout: The target group's `response_timeout` (an upload counts in it).
    static func start(targetPort: Int? = nil, extraListenerYAML: String = "", responseTimeout: String = "5s") async throws -> ProxyFixture {
        let directory = try makeTemporaryDirectory()
        let certificates = try DevCertificateAuthority.ensure(directory: directory)
        let backend = try await TestBackend()
        let yaml = """
            global:
              event_loops: 2
              shutdown_grace: 2s
              access_log: false
            admin:
              bind: "127.0.0.1:0"
            listeners:
              - name: test
                bind: "127.0.0.1:0"
                protocol: https
                tls:
                  certificates:
                    - cert: \(certificates.certificate)
                      key: \(certificates.privateKey)
            \(extraListenerYAML)
                routes:
                  - name: default
                    forward: web
            target_groups:
              web:
                targets: ["127.0.0.1:\(targetPort ?? backend.port)"]
                health_check:
                  enabled: false
                upstream:
                  connect_timeout: 2s
                  response_timeout: \(responseTimeout)
            """
        let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "test.yaml", baseDirectory: directory)
        var logger = Logger(label: "portcullis.test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .warning
        let server = try ProxyServer(configuration: configuration, logger: logger)
        let listeners = try await server.start()
        return ProxyFixture(directory: directory, certificates: certificates, backend: backend, server: server, port: listeners[0].port)
    }

    func stop() async {
        await self.server.shutdown()
        await self.backend.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    var url: String { "https://localhost:\(self.port)" }

    /// Runs curl against the proxy, trusting only the fixture's CA.
    func curl(_ arguments: [String], timeout: TimeInterval = 60, stdin: String? = nil) async throws -> ProcessResult {
        let curl = try require(which("curl"), "curl")
        return try await run(curl, ["--silent", "--show-error", "--cacert", self.certificates.caCertificate] + arguments, timeout: timeout, stdin: stdin)
    }
}

struct MissingTool: Error, CustomStringConvertible {
    var description: String
}

func require(_ value: String?, _ what: String = "tool") throws -> String {
    guard let value else { throw MissingTool(description: "\(what) not installed (make test installs it)") }
    return value
}
