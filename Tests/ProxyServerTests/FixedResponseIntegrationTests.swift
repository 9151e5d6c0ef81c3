import Foundation
import Logging
import ProxyConfig
import ProxyServer
import Testing

/// A pure TLS-offload target: listeners whose routes answer themselves, and no target group.
@Suite(.serialized)
struct FixedResponseIntegrationTests {
    @Test func listenersWithOnlyFixedResponsesNeedNoTargetGroup() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let yaml = """
            global: {event_loops: 1, access_log: false, shutdown_grace: 1s}
            admin: {bind: "127.0.0.1:0"}
            listeners:
              - name: offload
                bind: "127.0.0.1:0"
                protocol: http
                routes:
                  - name: ok
                    fixed_response: {status: 200, body: "offloaded\\n"}
            """
        let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "offload.yaml", baseDirectory: directory)
        #expect(configuration.targetGroups.isEmpty)
        let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let listeners = try await server.start()
        let curl = try require(which("curl"), "curl")
        let result = try await run(curl, ["--silent", "--show-error", "--include", "http://127.0.0.1:\(listeners[0].port)/any/path"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(result.stdout.hasSuffix("\r\n\r\noffloaded\n"))
        await server.shutdown()
    }

    @Test func aRouteThatForwardsStillNeedsItsTargetGroup() throws {
        let yaml = """
            listeners:
              - bind: "127.0.0.1:0"
                routes: [{forward: web}]
            """
        #expect {
            _ = try ProxyConfiguration.parse(yaml: yaml, file: "t.yaml", baseDirectory: "/tmp")
        } throws: { error in
            "\(error)".contains("t.yaml:3:24: listeners[0].routes[0].forward: no target group named \"web\"")
        }
    }
}
