import Foundation

/// A `portcullis dev` process on an ephemeral loopback port, with its own state directory (so a
/// developer's real dev CA is never touched), started from a thread with no signal blocked so
/// that ``stop()``'s SIGTERM stops it.
final class DevProcess: Sendable {
    let process: PeerProcess
    /// The port of the URL it printed.
    let port: Int
    let stateDirectory: String
    /// The line that named the URL, and those after it up to `Ctrl-C to stop`.
    let banner: [String]

    var url: String { "https://localhost:\(self.port)" }
    var caCertificate: String { self.stateDirectory + "/portcullis-ca.pem" }

    private init(process: PeerProcess, port: Int, stateDirectory: String, banner: [String]) {
        self.process = process
        self.port = port
        self.stateDirectory = stateDirectory
        self.banner = banner
    }

    static var binary: String { packageRoot + "/.build/debug/portcullis" }

    /// Runs `portcullis dev --listen 127.0.0.1:0 --state-dir DIR ARGUMENTS…` and waits for its URL.
    static func start(_ arguments: [String], stateDirectory: String, environment: [String] = []) async throws -> DevProcess {
        let command = ["dev", "--listen", "127.0.0.1:0", "--state-dir", stateDirectory] + arguments
        let (executable, all) = environment.isEmpty ? (Self.binary, command) : ("/usr/bin/env", environment + [Self.binary] + command)
        let process = try await PeerProcess.launch(executable, all, name: "portcullis dev")
        let prefix = "portcullis dev: https://localhost:"
        guard let line = try await process.line(where: { $0.hasPrefix(prefix) }, timeout: .seconds(30)),
            let port = Int(line.dropFirst(prefix.count).prefix(while: \.isNumber))
        else {
            await process.stop()
            throw SubprocessError(description: "portcullis dev printed no URL: \(process.stderr)")
        }
        var banner = [line]
        while let next = try await process.line(timeout: .seconds(5)) {
            banner.append(next)
            if next.contains("Ctrl-C to stop") { break }
        }
        return DevProcess(process: process, port: port, stateDirectory: stateDirectory, banner: banner)
    }

    /// Starts one, runs `body`, and stops it by its PID however `body` ends.
    static func with<T>(
        _ arguments: [String],
        stateDirectory: String,
        environment: [String] = [],
        _ body: (DevProcess) async throws -> T
    ) async throws -> T {
        let dev = try await Self.start(arguments, stateDirectory: stateDirectory, environment: environment)
        do {
            let result = try await body(dev)
            await dev.process.stop()
            return result
        } catch {
            await dev.process.stop()
            throw error
        }
    }

    /// curl against the dev proxy: `localhost` pinned to 127.0.0.1 (where it listens), the
    /// status code and HTTP version appended as the last line.
    func curl(_ path: String, _ arguments: [String] = []) async throws -> (status: Int, version: String, body: String, exit: Int32) {
        let curl = try require(which("curl"), "curl")
        let result = try await run(
            curl,
            ["--silent", "--max-time", "10", "--resolve", "localhost:\(self.port):127.0.0.1", "-w", "\n%{http_code} %{http_version}"]
                + arguments + [self.url + path],
            timeout: 20
        )
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let last = (lines.popLast() ?? "").split(separator: " ")
        return (
            Int(last.first ?? "") ?? 0,
            last.count > 1 ? String(last[1]) : "",
            lines.joined(separator: "\n"),
            result.status
        )
    }
}
