import Foundation
import Logging
import ProxyConfig
import ProxyServer
import Testing

/// An h2c target that sends GOAWAY with a low last-stream-id (Peers/h2c_goaway_target.py, on
/// Python's `h2`): the streams above it were not processed (RFC 9113 §6.8), so the proxy sends
/// their requests again on a new connection, whatever the method (decision 0030).
@Suite(.serialized)
struct H2CGoAwayIntegrationTests {
    @Test func aPostCutByTheTargetsGoAwayIsSentAgainOnANewConnection() async throws {
        let python = try require(which("python3"), "python3")
        let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path
        let target = try await PeerProcess.launch(python, [peers + "/h2c_goaway_target.py"])
        guard let line = try await target.line(timeout: .seconds(20)), let targetPort = Int(line) else {
            await target.stop()
            throw SubprocessError(description: "the h2c target did not start: \(target.stderr)")
        }
        let yaml = """
            global: {event_loops: 1, shutdown_grace: 1s, access_log: false}
            admin: {bind: "127.0.0.1:0"}
            listeners:
              - name: plain
                bind: "127.0.0.1:0"
                routes: [{forward: h2c}]
            target_groups:
              h2c:
                protocol: h2c
                targets: ["127.0.0.1:\(targetPort)"]
                health_check: {enabled: false}
                upstream: {response_timeout: 10s}
            """
        let directory = try makeTemporaryDirectory()
        let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "goaway.yaml", baseDirectory: directory)
        let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let port = try await server.start().map(\.port)[0]
        // Two POSTs on one client connection, so on one loop: the first takes stream 1 of a new
        // target connection and is answered; the second takes stream 3 of the same connection,
        // and the target answers it with GOAWAY(last-stream-id 1) alone.
        let curl = try require(which("curl"), "curl")
        let result = try await run(curl, [
            "--silent", "--show-error", "--max-time", "20",
            "-d", "one", "-w", " %{http_code}\n", "http://127.0.0.1:\(port)/a", "--next",
            "-d", "two", "-w", " %{http_code}\n", "http://127.0.0.1:\(port)/b",
        ], timeout: 30)
        await server.shutdown()
        await target.stop()
        try? FileManager.default.removeItem(atPath: directory)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "connection 1 stream 1 POST one 200", "\(result.stdout) \(result.stderr)")
        // Not a 502: sent again, on the target's next connection.
        #expect(lines.last == "connection 2 stream 1 POST two 200", "\(result.stdout) \(result.stderr)")
    }
}
