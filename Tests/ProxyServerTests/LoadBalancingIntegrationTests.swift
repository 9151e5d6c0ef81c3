import Foundation
import Logging
import NIOCore
import NIOPosix
import ProxyCore
import ProxyConfig
import ProxyServer
import ProxyTLS
import Testing

/// Three in-process targets behind the proxy over loopback, plain HTTP on the client side so the
/// test drives many requests quickly with NIO's own client-free path: curl.
@Suite(.serialized)
struct LoadBalancingIntegrationTests {
    struct Fleet {
        var backends: [TestBackend]
        var ports: [Int]
        var server: ProxyServer
        var port: Int
        var directory: String

        static func start(policy: String, interval: String = "1s") async throws -> Fleet {
            var backends: [TestBackend] = []
            for index in 1...3 {
                backends.append(try await TestBackend(name: "b\(index)"))
            }
            let ports = backends.map(\.port)
            let directory = try makeTemporaryDirectory()
            let yaml = """
                global:
                  event_loops: 1
                  shutdown_grace: 1s
                  access_log: false
                admin:
                  bind: "127.0.0.1:0"
                listeners:
                  - name: lb
                    bind: "127.0.0.1:0"
                    protocol: http
                    routes:
                      - forward: fleet
                target_groups:
                  fleet:
                    policy: \(policy)
                    targets: [\(ports.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
                    health_check:
                      path: /healthz
                      interval: \(interval)
                      timeout: 500ms
                      healthy_threshold: 2
                      unhealthy_threshold: 2
                    upstream:
                      connect_timeout: 500ms
                      response_timeout: 2s
                """
            let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "lb.yaml", baseDirectory: directory)
            // PORTCULLIS_TEST_LOG=1 shows the proxy's log while debugging a test.
            let verbose = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_LOG"] != nil
            var logger = Logger(label: "portcullis.lb-test", factory: { label in
                verbose ? StreamLogHandler.standardError(label: label) as any LogHandler : SwiftLogNoOpLogHandler()
            })
            logger.logLevel = verbose ? Logger.Level.debug : Logger.Level.error
            let server = try ProxyServer(configuration: configuration, logger: logger)
            let listeners = try await server.start()
            return Fleet(backends: backends, ports: ports, server: server, port: listeners[0].port, directory: directory)
        }

        func stop() async {
            await self.server.shutdown()
            for backend in self.backends { await backend.stop() }
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        /// `count` GETs of /whoami on one curl keep-alive connection; returns each answer
        /// ("b1"…, or "HTTP 502" style failures).
        func whoami(_ count: Int) async throws -> [String] {
            let curl = try require(which("curl"), "curl")
            var arguments = ["--silent", "--max-time", "30"]
            for _ in 0..<count {
                arguments += ["--write-out", " %{http_code}\n", "http://127.0.0.1:\(self.port)/whoami"]
            }
            let result = try await run(curl, arguments, timeout: 60)
            return result.stdout.split(separator: "\n").map { line in
                let parts = line.split(separator: " ")
                return parts.count == 2 && parts[1] == "200" ? String(parts[0]) : "HTTP \(parts.last ?? "?")"
            }
        }

        func health(of port: Int) -> String {
            let statuses = self.server.targetStatus()["fleet"] ?? []
            return statuses.first { $0.target.port == port }?.health.rawValue ?? "?"
        }
    }

    @Test func roundRobinSpreadsEvenly() async throws {
        let fleet = try await Fleet.start(policy: "round_robin")
        let answers = try await fleet.whoami(30)
        #expect(answers.count == 30)
        for name in ["b1", "b2", "b3"] {
            #expect(answers.filter { $0 == name }.count == 10, "\(answers)")
        }
        await fleet.stop()
    }

    @Test func ipHashKeepsOneClientOnOneTarget() async throws {
        let fleet = try await Fleet.start(policy: "ip_hash")
        let answers = try await fleet.whoami(12)
        #expect(Set(answers).count == 1, "\(answers)")
        #expect(answers.first?.hasPrefix("b") == true)
        await fleet.stop()
    }

    @Test func deadTargetLeavesWithoutFailedRequestsAndReturnsAfterHealthyThreshold() async throws {
        let fleet = try await Fleet.start(policy: "round_robin", interval: "1s")
        #expect(Set(try await fleet.whoami(9)) == ["b1", "b2", "b3"])

        // Kill b2. Idempotent requests must not fail meanwhile: a refused connect is retried elsewhere.
        await fleet.backends[1].stop()
        let during = try await fleet.whoami(30)
        #expect(!during.contains { $0.hasPrefix("HTTP") }, "\(during)")

        // Within interval × unhealthy threshold (2 s, plus a probe's timeout) it is out of rotation.
        let deadline = Date().addingTimeInterval(4)
        while fleet.health(of: fleet.ports[1]) != "unhealthy" && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(fleet.health(of: fleet.ports[1]) == "unhealthy")
        let after = try await fleet.whoami(20)
        #expect(!after.contains("b2") && !after.contains { $0.hasPrefix("HTTP") }, "\(after)")

        // Restart it on the same port: back after the healthy threshold (2 probes).
        let restarted = try await TestBackend(name: "b2", port: fleet.ports[1])
        let back = Date().addingTimeInterval(5)
        while fleet.health(of: fleet.ports[1]) != "healthy" && Date() < back {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(fleet.health(of: fleet.ports[1]) == "healthy")
        #expect(try await fleet.whoami(9).contains("b2"))
        await restarted.stop()
        await fleet.stop()
    }
}
