import Foundation
import NIOConcurrencyHelpers

@testable import ProxyServer

/// A fleet for a test: its own `etcd`, in-process backends, and `portcullis run --etcd … --fleet …`
/// processes that share one listener port (`reuse_port`) and take ephemeral admin ports.
final class FleetFixture: @unchecked Sendable {
    let etcd: EtcdServer
    let name: String
    let directory: String
    let port: Int
    var backends: [TestBackend]
    private(set) var instances: [PeerProcess] = []

    var url: String { "http://127.0.0.1:\(self.port)" }
    var fleetFlags: [String] { ["--etcd", self.etcd.endpoint, "--fleet", self.name] }

    private init(etcd: EtcdServer, name: String, directory: String, port: Int, backends: [TestBackend]) {
        self.etcd = etcd
        self.name = name
        self.directory = directory
        self.port = port
        self.backends = backends
    }

    static func start(backends count: Int) async throws -> FleetFixture {
        let etcd = try await EtcdServer.start()
        var backends: [TestBackend] = []
        for index in 0..<count {
            backends.append(try await TestBackend(name: "b\(index)", port: try await stablePort()))
        }
        return FleetFixture(etcd: etcd, name: "f\(UInt32.random(in: 1...UInt32.max))", directory: try makeTemporaryDirectory(), port: try await stablePort(), backends: backends)
    }

    /// Starts a fleet, runs `body`, and stops every process it started however `body` ends.
    static func with(backends count: Int, _ body: (FleetFixture) async throws -> Void) async throws {
        let fleet = try await Self.start(backends: count)
        do {
            try await body(fleet)
        } catch {
            await fleet.stop()
            throw error
        }
        await fleet.stop()
    }

    func stop() async {
        for instance in self.instances { await instance.stop() }
        self.instances = []
        for backend in self.backends { await backend.stop() }
        await self.etcd.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// The fleet's configuration: a `/version` route answering `version`, the rest to `web`.
    func yaml(version: String, extraGroupYAML: String = "") -> String {
        let targets = self.backends.map { "\"127.0.0.1:\($0.port)\"" }.joined(separator: ", ")
        return """
            global: {event_loops: 1, access_log: false, shutdown_grace: 2s}
            admin: {bind: "127.0.0.1:0"}
            listeners:
              - name: plain
                bind: "127.0.0.1:\(self.port)"
                protocol: http
                reuse_port: true
                routes:
                  - {name: version, match: {path_prefix: /version}, fixed_response: {status: 200, body: "\(version)"}}
                  - {name: site, forward: web}
            target_groups:
              web:
                targets: [\(targets)]
                health_check: {protocol: http, path: /healthz, interval: 1s, timeout: 500ms}
            \(extraGroupYAML)
            """
    }

    /// Runs the `portcullis` binary.
    func portcullis(_ arguments: [String], timeout: TimeInterval = 30) async throws -> ProcessResult {
        try await run(DevProcess.binary, arguments, timeout: timeout)
    }

    /// Writes `yaml` to a file and pushes it with `portcullis config push`.
    func push(_ yaml: String, revision: Int64? = nil) async throws -> ProcessResult {
        let path = self.directory + "/push-\(UInt32.random(in: 1...UInt32.max)).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try await self.portcullis(["config", "push", path] + self.fleetFlags + (revision.map { ["--revision", String($0)] } ?? []))
    }

    /// Starts one instance (`node-INDEX`), with its own local copy.
    @discardableResult
    func startInstance(_ index: Int, localCopy: String? = nil, extraArguments: [String] = []) async throws -> PeerProcess {
        let arguments = ["run"] + self.fleetFlags + [
            "--fleet-copy", localCopy ?? self.directory + "/copy-\(index).yaml", "--instance-id", "node-\(index)", "--log-level", "notice",
        ] + extraArguments
        let process = try await withCheckedThrowingContinuation { continuation in
            Thread {
                var none = sigset_t()
                sigemptyset(&none)
                pthread_sigmask(SIG_SETMASK, &none, nil)
                continuation.resume(with: Result { try PeerProcess(DevProcess.binary, arguments, name: "portcullis node-\(index)") })
            }.start()
        }
        self.instances.append(process)
        return process
    }

    /// Every live instance's view, read with `etcdctl`.
    func views() async throws -> [FleetInstanceView] {
        try await self.etcd.values(prefix: "/portcullis/\(self.name)/instances/").map {
            try JSONDecoder().decode(FleetInstanceView.self, from: Data($0.utf8))
        }
    }

    /// Polls the views until `condition` holds (then returns them) or `timeout` passes (throws,
    /// with the last views).
    @discardableResult
    func waitForViews(
        _ what: String,
        timeout: Duration = .seconds(20),
        _ condition: ([FleetInstanceView]) -> Bool
    ) async throws -> [FleetInstanceView] {
        let deadline = ContinuousClock.now + timeout
        var last: [FleetInstanceView] = []
        while ContinuousClock.now < deadline {
            if let views = try? await self.views() {
                last = views
                if condition(views) { return views }
            }
            // etcdctl is a Go program: polled gently, so the test does not load the machine.
            try await Task.sleep(for: .milliseconds(250))
        }
        let stderr = self.instances.map { "\($0.name): \($0.stderr.suffix(1500))" }.joined(separator: "\n")
        throw SubprocessError(description: "timed out waiting for \(what); views: \(last)\n\(stderr)")
    }

    /// `count` requests for `path`, each on a new connection (so the kernel spreads them over
    /// the instances' sockets); each response as `BODY|STATUS` (bodies of one line).
    func requests(_ count: Int, _ path: String, method: String = "GET") async throws -> [String] {
        let curl = try require(which("curl"), "curl")
        let config = self.directory + "/curl-\(UInt32.random(in: 1...UInt32.max)).rc"
        let lines = (0..<count).map { index in
            // A query of its own per request (the test backend reads the last `=N` of `/slow?ms=N`).
            "url = \"\(self.url)\(path)\(path.contains("?") ? "" : "?n=\(index)")\"\n"
        }.joined()
        try ("header = \"Connection: close\"\nrequest = \"\(method)\"\nwrite-out = \"|%{http_code}\\n\"\n" + lines)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await run(curl, ["-s", "-K", config], timeout: 60)
        return result.stdout.split(separator: "\n").map(String.init).filter { $0.contains("|") }
    }

    /// GET on an instance's admin API, with curl.
    func admin(_ address: String, _ path: String) async throws -> String {
        let curl = try require(which("curl"), "curl")
        return try await run(curl, ["-s", "http://\(address)\(path)"], timeout: 10).stdout
    }
}
