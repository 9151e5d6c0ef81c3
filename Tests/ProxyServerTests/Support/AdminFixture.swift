import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyServer

/// A proxy with a plain-HTTP listener and its admin API (both on ephemeral loopback ports), in
/// front of in-process backends, configured from a file it can reload.
struct AdminFixture {
    let directory: String
    let configPath: String
    let backends: [TestBackend]
    let server: ProxyServer
    let port: Int
    let adminPort: Int

    /// - Parameter yaml: The configuration; `{B0}`, `{B1}`… stand for the backends' ports.
    static func start(backends count: Int = 2, yaml: String) async throws -> AdminFixture {
        let directory = try makeTemporaryDirectory()
        var backends: [TestBackend] = []
        for index in 0..<count {
            backends.append(try await TestBackend(name: "b\(index)"))
        }
        let configPath = directory + "/portcullis.yaml"
        try Self.write(yaml, backends: backends, to: configPath)
        let configuration = try ProxyConfiguration.load(path: configPath)
        var logger = Logger(label: "portcullis.test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .warning
        let server = try ProxyServer(
            configuration: configuration,
            logger: logger,
            configurationSource: { try ProxyConfiguration.load(path: configPath) }
        )
        let listeners = try await server.start()
        return AdminFixture(
            directory: directory,
            configPath: configPath,
            backends: backends,
            server: server,
            port: listeners[0].port,
            adminPort: server.adminAddress?.port ?? 0
        )
    }

    static func write(_ yaml: String, backends: [TestBackend], to path: String) throws {
        var text = yaml
        for (index, backend) in backends.enumerated() {
            text = text.replacingOccurrences(of: "{B\(index)}", with: String(backend.port))
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func rewrite(_ yaml: String) throws {
        try Self.write(yaml, backends: self.backends, to: self.configPath)
    }

    /// Starts a fixture, runs `body` with it, and stops it (servers, backends, directory) when
    /// `body` returns or throws: the test does not end with them still running.
    static func with<T>(
        backends count: Int = 2,
        yaml: String,
        _ body: (AdminFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await Self.start(backends: count, yaml: yaml)
        do {
            let result = try await body(fixture)
            await fixture.stop()
            return result
        } catch {
            await fixture.stop()
            throw error
        }
    }

    func stop() async {
        await self.server.shutdown()
        for backend in self.backends { await backend.stop() }
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    var url: String { "http://127.0.0.1:\(self.port)" }
    var admin: String { "http://127.0.0.1:\(self.adminPort)" }

    /// curl against the admin API: the status code on the last line, the body before it.
    func adminCall(_ method: String, _ path: String, json: String? = nil, headers: [String] = []) async throws -> (status: Int, body: String) {
        var arguments = ["--silent", "--show-error", "-X", method, "-w", "\n%{http_code}"]
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        for header in headers { arguments += ["-H", header] }
        let result = try await run(try require(which("curl"), "curl"), arguments + [self.admin + path])
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        return (status, lines.joined(separator: "\n"))
    }

    /// The state of one target, from `GET /status`.
    func target(_ id: String, group: String = "web") async throws -> [String: Any]? {
        let (_, body) = try await self.adminCall("GET", "/target-groups/\(group)/targets")
        let targets = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]
        return targets?.first { $0["id"] as? String == id }
    }
}
