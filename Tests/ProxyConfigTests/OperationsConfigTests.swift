import Foundation
import Testing

@testable import ProxyConfig

/// The keys issue 5 added: admin, shutdown_delay, access_log as a mapping, ticket_key_files.
struct OperationsConfigTests {
    private static let rest = """
        listeners:
          - name: public
            bind: "127.0.0.1:8443"
            protocol: https
            tls:
              certificates:
                - cert: certs/localhost.pem
                  key: certs/localhost-key.pem
              ticket_key_files: [certs/ticket-1.key, certs/ticket-0.key]
            routes:
              - forward: web
        target_groups:
          web:
            targets: ["127.0.0.1:8080"]
        """

    @Test func parsesTheOperationsKeys() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("certs/ticket-1.key", String(repeating: "x", count: 80))
        try fixture.writeFile("certs/ticket-0.key", String(repeating: "y", count: 80))
        let configuration = try fixture.parse(
            """
            global:
              shutdown_delay: 5s
              access_log: { format: json, path: logs/access.log }
            admin:
              bind: "127.0.0.1:9911"
              token: "0123456789abcdef0123"
            """ + "\n" + Self.rest
        )
        #expect(configuration.global.shutdownDelay == .seconds(5))
        #expect(configuration.global.accessLog)
        #expect(configuration.global.accessLogFormat == .json)
        #expect(configuration.global.accessLogPath == fixture.directory + "/logs/access.log")
        #expect(configuration.admin == AdminConfiguration(bind: BindAddress(host: "127.0.0.1", port: 9911), token: "0123456789abcdef0123"))
        #expect(configuration.listeners[0].tls?.ticketKeyFiles == [fixture.directory + "/certs/ticket-1.key", fixture.directory + "/certs/ticket-0.key"])
        #expect(configuration.warnings.isEmpty)
    }

    @Test func defaults() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(Self.rest.replacingOccurrences(of: "      ticket_key_files: [certs/ticket-1.key, certs/ticket-0.key]\n", with: ""))
        #expect(configuration.admin == AdminConfiguration())
        #expect(configuration.admin.bind.description == "127.0.0.1:9901")
        #expect(configuration.global.shutdownDelay == .zero)
        #expect(configuration.global.accessLogFormat == .text)
        #expect(configuration.global.accessLogPath == nil)
    }

    @Test func reportsEveryMistakeAtOnce() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            global:
              shutdown_delay: soon
              access_log: { format: xml }
            admin:
              bind: "nowhere"
              token: short
            """ + "\n" + Self.rest
        )
        #expect(errors.contains { $0.hasPrefix("test.yaml:2:19: global.shutdown_delay:") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:3:25: global.access_log.format:") && $0.contains("xml") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:5:9: admin.bind:") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:6:10: admin.token: must be at least 16 characters") })
        #expect(errors.contains { $0.contains("listeners[0].tls.ticket_key_files[0]") && $0.contains("ticket-1.key") })
    }

    @Test func aTicketKeyFileOfTheWrongSizeIsReportedByCheck() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("certs/ticket-1.key", "short")
        try fixture.writeFile("certs/ticket-0.key", String(repeating: "y", count: 80))
        let errors = fixture.errors(Self.rest)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("listeners[0].tls.ticket_key_files[0]: a session ticket key file holds exactly 80 bytes") == true)
    }

    @Test func aPublicAdminWithoutTokenIsWarnedAbout() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("certs/ticket-1.key", String(repeating: "x", count: 80))
        try fixture.writeFile("certs/ticket-0.key", String(repeating: "y", count: 80))
        let configuration = try fixture.parse("admin: { bind: \"0.0.0.0:9901\" }\n" + Self.rest)
        #expect(configuration.warnings.contains { $0.description.contains("admin.bind") && $0.description.contains("no token") })
    }
}
