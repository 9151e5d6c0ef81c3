import Foundation

/// An `etcd` of one test's own: a single-member cluster in a temporary directory, on free
/// loopback ports, started as a child process and stopped by its PID. It can be stopped and
/// started again with its data (an etcd restart).
final class EtcdServer {
    let clientPort: Int
    let peerPort: Int
    private let executable: String
    let directory: String
    private var process: PeerProcess?

    var endpoint: String { "http://127.0.0.1:\(self.clientPort)" }

    private init(clientPort: Int, peerPort: Int, executable: String, directory: String) {
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.executable = executable
        self.directory = directory
    }

    static func start() async throws -> EtcdServer {
        let server = EtcdServer(
            clientPort: try await stablePort(),
            peerPort: try await stablePort(),
            executable: try require(which("etcd"), "etcd (Debian etcd-server)"),
            directory: try makeTemporaryDirectory()
        )
        try await server.startAgain()
        return server
    }

    /// Starts the server (again, after ``stop()``, with the same data) and waits until it
    /// answers.
    func startAgain() async throws {
        precondition(self.process == nil, "already running")
        let client = "http://127.0.0.1:\(self.clientPort)"
        let peer = "http://127.0.0.1:\(self.peerPort)"
        let arguments = [
            "--name", "test", "--data-dir", self.directory + "/data",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "test=\(peer)", "--log-level", "error",
        ]
        let executable = self.executable
        // From a thread with no signal blocked, so that `stop()`'s SIGTERM is not ignored.
        self.process = try await withCheckedThrowingContinuation { continuation in
            Thread {
                var none = sigset_t()
                sigemptyset(&none)
                pthread_sigmask(SIG_SETMASK, &none, nil)
                continuation.resume(with: Result { try PeerProcess(executable, arguments, name: "etcd") })
            }.start()
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let result = try? await self.ctl(["endpoint", "health"]), result.status == 0 { return }
            if let status = self.process?.exited() {
                throw SubprocessError(description: "etcd exited (\(status)): \(self.process?.stderr ?? "")")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SubprocessError(description: "etcd on port \(self.clientPort) does not answer")
    }

    func stop() async {
        await self.process?.stop()
        self.process = nil
    }

    /// Runs `etcdctl` (API v3) against this server: an independent client.
    func ctl(_ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        let etcdctl = try require(which("etcdctl"), "etcdctl (Debian etcd-client)")
        return try await run(
            "/usr/bin/env",
            ["ETCDCTL_API=3", etcdctl, "--endpoints", self.endpoint, "--dial-timeout", "2s", "--command-timeout", "5s"] + arguments,
            timeout: 15,
            stdin: stdin
        )
    }

    /// The values of every key under `prefix`, through `etcdctl`.
    func values(prefix: String) async throws -> [String] {
        let result = try await self.ctl(["get", "--prefix", prefix, "--print-value-only"])
        guard result.status == 0 else { throw SubprocessError(description: "etcdctl get: \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}
