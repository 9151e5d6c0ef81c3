import Foundation
import ProxyCore
import Testing

@testable import ProxyServer

/// Graceful shutdown with a delay, and the access log's reopen for log rotation.
struct OperationsTests {
    @Test func shutdownFailsReadyFirstAndKeepsAcceptingDuringTheDelay() async throws {
        // A delay long enough to outlast a stall of the whole test process (seen: ~10 s while the
        // suites start on 2 cores), so the request below lands within it.
        let yaml = AdminAPITests.yaml.replacingOccurrences(of: "  shutdown_grace: 2s", with: "  shutdown_grace: 2s\n  shutdown_delay: 8s")
        let fixture = try await AdminFixture.start(yaml: yaml)
        let curl = try require(which("curl"), "curl")
        #expect(try await fixture.adminCall("GET", "/ready").status == 200)
        let stopping = Task { await fixture.server.shutdown() }
        try await Task.sleep(for: .milliseconds(300))
        // During the delay: not ready, yet still serving, so the outer balancer can move away.
        #expect(try await fixture.adminCall("GET", "/ready").status == 503)
        let served = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/"])
        #expect(served.stdout == "200")
        await stopping.value
        let refused = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/"])
        #expect(refused.stdout == "000")
        await fixture.stop()
    }

    @Test func accessLogFileIsReopenedAfterRotation() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/access.log"
        let writer = try AccessLogWriter(settings: .init(enabled: true, format: .json, path: path))
        writer.write(RequestRecord(listener: "public", uri: "/before", status: 200))
        writer.flush()
        // logrotate: move the file away, then signal.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        writer.write(RequestRecord(listener: "public", uri: "/during", status: 200))
        try writer.reopen()
        writer.write(RequestRecord(listener: "public", uri: "/after", status: 200))
        writer.close()
        let rotated = try String(contentsOfFile: path + ".1", encoding: .utf8)
        let fresh = try String(contentsOfFile: path, encoding: .utf8)
        #expect(rotated.contains("\"uri\":\"/before\""))
        #expect(rotated.contains("\"uri\":\"/during\""))  // flushed into the old file before reopening
        #expect(fresh.split(separator: "\n").count == 1)
        #expect(fresh.contains("\"uri\":\"/after\""))
    }

    @Test func accessLogCanBeSwitchedOffAndToAnotherFormat() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/access.log"
        let writer = try AccessLogWriter(settings: .init(enabled: true, format: .combined, path: path))
        writer.write(RequestRecord(listener: "public", uri: "/one", status: 200))
        #expect(writer.isEnabled)
        try writer.configure(.init(enabled: false, format: .combined, path: path))
        #expect(!writer.isEnabled)  // event loops then fill in only what the metrics count
        writer.write(RequestRecord(listener: "public", uri: "/two", status: 200))
        try writer.configure(.init(enabled: true, format: .json, path: path))
        #expect(writer.isEnabled)
        writer.write(RequestRecord(listener: "public", uri: "/three", status: 200))
        writer.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"GET /one HTTP/1.1\" 200"))
        #expect(lines[1].hasPrefix("{"))
        #expect(!lines.joined().contains("/two"))
    }

    @Test func anAccessLogInAMissingDirectoryIsAClearError() {
        #expect {
            try AccessLogWriter(settings: .init(enabled: true, format: .text, path: "/nonexistent-dir/access.log"))
        } throws: { error in
            "\(error)".contains("/nonexistent-dir/access.log")
        }
    }

    @Test func theReloadLogLineListsNamesAsValues() {
        #expect(ProxyServer.names(["public", "admin"]) == "public,admin")
        #expect(ProxyServer.names([]) == "-")
    }
}
