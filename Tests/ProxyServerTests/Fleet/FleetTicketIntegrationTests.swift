import Foundation
import ProxyTLS
import Testing

@testable import ProxyServer

extension FleetSuites {
    /// Shared session-ticket keys through etcd: `portcullis run --etcd … --fleet … --fleet-secret`
    /// processes against a real etcd, `openssl s_client -sess_out`/`-sess_in` as the client.
    struct FleetTicketIntegrationTests {
        static let rotationSeconds = 5

        @Test(.timeLimit(.minutes(2)))
        func aTicketFromOneInstanceResumesOnAnotherAndSurvivesARotation() async throws {
            try await FleetFixture.with(backends: 0) { fleet in try await Self.scenario(fleet) }
        }

        /// One TLS listener on the fleet's port (`reuse_port`: the instances running at a time
        /// share it; the test stops one to aim at another).
        static func yaml(_ fleet: FleetFixture, certificates: DevCertificatePaths) -> String {
            """
            global: {event_loops: 1, access_log: false, shutdown_grace: 1s}
            admin: {bind: "127.0.0.1:0"}
            listeners:
              - name: secure
                bind: "127.0.0.1:\(fleet.port)"
                reuse_port: true
                tls: {certificates: [{cert: \(certificates.certificate), key: \(certificates.privateKey)}]}
                routes:
                  - {name: hello, fixed_response: {status: 200, body: "hello"}}
            """
        }

        /// One TLS 1.3 connection with `openssl s_client`, saving (`-sess_out`) or offering
        /// (`-sess_in`) a session; its output (with "New," or "Reused," on the handshake line).
        static func connect(_ fleet: FleetFixture, save: String? = nil, resume: String? = nil) async throws -> String {
            let openssl = try require(which("openssl"), "openssl")
            var arguments = ["s_client", "-connect", "127.0.0.1:\(fleet.port)", "-servername", "localhost", "-tls1_3", "-ign_eof"]
            if let save { arguments += ["-sess_out", save] }
            if let resume { arguments += ["-sess_in", resume] }
            let result = try await run(openssl, arguments, timeout: 10, stdin: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return result.stdout
        }

        static func scenario(_ fleet: FleetFixture) async throws {
            let certificates = try DevCertificateAuthority.ensure(directory: fleet.directory)
            let pushed = try await fleet.push(Self.yaml(fleet, certificates: certificates))
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let openssl = try require(which("openssl"), "openssl")
            let secretFile = fleet.directory + "/fleet.secret"
            let made = try await run(openssl, ["rand", "-base64", "-out", secretFile, "32"], timeout: 10)
            #expect(made.status == 0, "\(made.stderr)")
            let sharing = ["--fleet-secret", secretFile, "--ticket-rotation", String(Self.rotationSeconds)]

            // 1. A holds the lease and writes the first keys; a session from A.
            let a = try await fleet.startInstance(0, extraArguments: sharing)
            let first = try await fleet.waitForViews("node-0 holding the ticket lease with keys") { views in
                views.count == 1 && views[0].ticketLeader == true && views[0].ticketKeysRotatedAt != nil
            }
            let session = fleet.directory + "/session.pem"
            let issued = try await Self.connect(fleet, save: session)
            #expect(issued.contains("New, TLSv1.3"), "\(issued)")
            #expect(issued.contains("hello"), "\(issued)")

            // 2. B starts with the same secret and installs the same keys.
            try await fleet.startInstance(1, extraArguments: sharing)
            try await fleet.waitForViews("node-1 with the shared keys") { views in
                views.count == 2 && views.allSatisfy { $0.ready && $0.ticketKeysRotatedAt != nil }
                    && Set(views.compactMap(\.ticketKeysRotatedAt)).count == 1
            }
            // Both share the port: each resumption lands on either, and every one resumes.
            for _ in 0..<4 {
                let resumed = try await Self.connect(fleet, resume: session)
                #expect(resumed.contains("Reused, TLSv1.3"), "\(resumed)")
            }

            // 3. A stops (its lease is revoked): B alone serves the port, resumes A's ticket,
            //    and takes the lease over.
            await a.stop()
            try await fleet.waitForViews("node-1 holding the ticket lease") { views in
                views.count == 1 && views[0].id == "node-1" && views[0].ticketLeader == true
            }
            let onB = try await Self.connect(fleet, resume: session)
            #expect(onB.contains("Reused, TLSv1.3"), "A's ticket did not resume on B: \(onB)")

            // 4. The stored value is sealed: it opens with the secret only, and holds no key bytes.
            let client = try EtcdClient(endpoint: fleet.etcd.endpoint)
            let key = "/portcullis/\(fleet.name)/tickets"
            let stored = try #require(try await client.get(key).keyValue)
            let secret = try FleetSecret.load(secretFile)
            let opened = try FleetTicketKeys.open(stored.value, secret: secret, key: key)
            #expect(!opened.keys.isEmpty)
            for material in opened.keys {
                #expect(!FleetTicketKeysTests.contains(stored.value, material.prefix(16)))
            }
            #expect(throws: SecretSeal.Failure.notAuthentic) {
                try FleetTicketKeys.open(stored.value, secret: MessageAuthentication.randomBytes(32), key: key)
            }

            // 5. A rotation (every 5 s here): the previous key still opens the ticket.
            let sessionKeys = try #require(first.first?.ticketKeysRotatedAt)
            let rotated = try await fleet.waitForViews("a rotation after the session's key", timeout: .seconds(Self.rotationSeconds * 3)) { views in
                views.count == 1 && (views[0].ticketKeysRotatedAt ?? 0) > sessionKeys
            }
            let rotatedAt = try #require(rotated.first?.ticketKeysRotatedAt)
            let afterRotation = try await Self.connect(fleet, resume: session)
            #expect(afterRotation.contains("Reused, TLSv1.3"), "the previous key no longer opens the ticket: \(afterRotation)")

            // 6. Propagation: a third instance with the secret joins; a rotation reaches both.
            try await fleet.startInstance(2, extraArguments: sharing)
            try await fleet.waitForViews("node-2 with the shared keys") { views in
                views.count == 2 && views.allSatisfy { $0.ready && $0.ticketKeysRotatedAt != nil }
            }
            let next = try await fleet.waitForViews("the next rotation on both", timeout: .seconds(Self.rotationSeconds * 3)) { views in
                views.count == 2 && Set(views.compactMap(\.ticketKeysRotatedAt)).count == 1 && (views[0].ticketKeysRotatedAt ?? 0) > rotatedAt
            }
            let lag = Date().timeIntervalSince1970 - (next.first?.ticketKeysRotatedAt ?? 0)
            print("fleet tickets: a rotation was seen in both instances' views \(String(format: "%.2f", lag)) s after it was made (views publish every 0.5 s, polled every 0.25 s)")

            // 7. Control: an instance without the secret keeps keys of its own; alone on the
            //    port, it does not resume the fleet's ticket, and it says so at startup.
            let loner = try await fleet.startInstance(3)
            for instance in fleet.instances where instance !== loner { await instance.stop() }
            try await fleet.waitForViews("node-3 alone") { views in views.count == 1 && views[0].id == "node-3" && views[0].ready }
            let notShared = try await Self.connect(fleet, resume: session)
            #expect(notShared.contains("New, TLSv1.3"), "\(notShared)")
            #expect(loner.stderr.contains("no --fleet-secret: session-ticket keys are not shared"), "\(loner.stderr)")
        }
    }
}
