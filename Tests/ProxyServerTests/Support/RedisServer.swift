import Foundation

/// A `redis-server` of one test's own: a free loopback port, no persistence, started as a child
/// process and stopped by its PID. It can be stopped and started again on the same port (a Redis
/// restart).
final class RedisServer {
    let port: Int
    private let executable: String
    private let directory: String
    private var process: PeerProcess?

    private init(port: Int, executable: String, directory: String) {
        self.port = port
        self.executable = executable
        self.directory = directory
    }

    /// Starts a server and waits until it answers `PING`.
    static func start() async throws -> RedisServer {
        let executable = try require(which("redis-server"), "redis-server")
        let server = RedisServer(
            port: try await stablePort(),
            executable: executable,
            directory: try makeTemporaryDirectory()
        )
        try await server.startAgain()
        return server
    }

    /// Starts the server (again, after ``stop()``) on its port and waits until it answers `PING`.
    func startAgain() async throws {
        precondition(self.process == nil, "already running")
        let arguments = [
            "--port", String(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", self.directory, "--daemonize", "no",
        ]
        // With no signal blocked, so that `stop()`'s SIGTERM reaches it.
        self.process = try await PeerProcess.launch(self.executable, arguments, name: "redis-server")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let answer = try? await self.cli("PING"), answer == "PONG" { return }
            if let status = self.process?.exited() {
                throw SubprocessError(description: "redis-server exited (\(status)): \(self.process?.stderr ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SubprocessError(description: "redis-server on port \(self.port) does not answer PING")
    }

    /// Stops the server by its PID (SIGTERM, then SIGKILL) and waits for it to exit.
    func stop() async {
        await self.process?.stop()
        self.process = nil
    }

    /// Runs one command with `redis-cli` on a connection of its own; its output, trimmed.
    @discardableResult
    func cli(_ arguments: String...) async throws -> String {
        let redisCLI = try require(which("redis-cli"), "redis-cli")
        let result = try await run(redisCLI, ["-h", "127.0.0.1", "-p", String(self.port)] + arguments, timeout: 10)
        guard result.status == 0 else {
            throw SubprocessError(description: "redis-cli \(arguments): \(result.status) \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
