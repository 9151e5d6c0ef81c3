import Foundation

/// A `dnsmasq` of one test's own on a free loopback port (UDP and TCP), answering from a hosts
/// file the test rewrites (``setHosts(_:)`` re-reads it with SIGHUP) and from SRV and CNAME
/// records given on its command line (``restart(arguments:)`` changes those). No upstream, no
/// `/etc/hosts`; names under `internal` it does not know are NXDOMAIN; TTL 1 s. Stopped by PID.
final class DnsmasqServer {
    let port: Int
    let directory: String
    var hostsPath: String { self.directory + "/hosts" }
    private let executable: String
    private var arguments: [String]
    private var process: PeerProcess?

    private init(port: Int, executable: String, directory: String, arguments: [String]) {
        self.port = port
        self.executable = executable
        self.directory = directory
        self.arguments = arguments
    }

    /// Starts it with `hosts` (lines of `address name`) and `arguments` (`--srv-host=…`).
    static func start(hosts: [String], arguments: [String] = []) async throws -> DnsmasqServer {
        let executable = try require(which("dnsmasq") ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : nil), "dnsmasq")
        let server = DnsmasqServer(port: try await stablePort(), executable: executable, directory: try makeTemporaryDirectory(), arguments: arguments)
        try server.writeHosts(hosts)
        try await server.launch()
        return server
    }

    /// Starts a server, runs `body` with it, and stops it however `body` ends.
    static func with<T>(hosts: [String], arguments: [String] = [], _ body: (DnsmasqServer) async throws -> T) async throws -> T {
        let server = try await Self.start(hosts: hosts, arguments: arguments)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private func writeHosts(_ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: self.hostsPath, atomically: true, encoding: .utf8)
    }

    /// Rewrites the hosts file and has dnsmasq read it again (SIGHUP).
    func setHosts(_ lines: [String]) throws {
        try self.writeHosts(lines)
        if let pid = self.process?.pid { kill(pid, SIGHUP) }
    }

    /// Stops it and starts it again on the same port with other command-line records.
    func restart(arguments: [String]) async throws {
        await self.stop()
        self.arguments = arguments
        try await self.launch()
    }

    func stop() async {
        await self.process?.stop()
        self.process = nil
    }

    private func launch() async throws {
        let arguments = [
            "--keep-in-foreground", "--conf-file=/dev/null", "--port=\(self.port)", "--listen-address=127.0.0.1",
            "--bind-interfaces", "--no-resolv", "--no-hosts", "--addn-hosts=\(self.hostsPath)", "--local-ttl=1",
            "--local=/internal/", "--user=root", "--group=root", "--pid-file=", "--log-facility=-",
        ] + self.arguments
        // With no signal blocked, so SIGHUP and SIGTERM reach it.
        self.process = try await PeerProcess.launch(self.executable, arguments, name: "dnsmasq")
        // Ready once it has read the hosts file (it says so on its log).
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if self.process?.stderr.contains("read \(self.hostsPath)") == true { return }
            if let status = self.process?.exited() {
                throw SubprocessError(description: "dnsmasq exited (\(status)): \(self.process?.stderr ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SubprocessError(description: "dnsmasq on port \(self.port) did not start: \(self.process?.stderr ?? "")")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
