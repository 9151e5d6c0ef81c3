import Foundation
import Testing

/// `portcullis dev`, the binary, against real peers: curl (HTTP/1.1 and HTTP/2) with the dev
/// CA, Python's `websockets` through a path-prefix route, and a target that is down.
@Suite(.serialized)
struct DevCommandTests {
    @Test func servesHTTPSWithItsCAOverHTTP1HTTP2AndWebSockets() async throws {
        let state = try makeTemporaryDirectory() + "/state"
        let backend = try await TestBackend(name: "dev-backend")
        defer { Task { await backend.stop() } }
        try await EchoServer.with { echo in
            try await DevProcess.with(["\(backend.port)", "--to", "/ws=:\(echo.port)"], stateDirectory: state) { dev in
                #expect(FileManager.default.fileExists(atPath: dev.caCertificate), "the CA was not made in --state-dir")
                #expect(dev.banner.contains { $0.contains("/ws") && $0.contains("127.0.0.1:\(echo.port)") }, "\(dev.banner)")
                #expect(dev.banner.contains { $0.contains("portcullis trust") }, "\(dev.banner)")

                let http1 = try await dev.curl("/whoami", ["--cacert", dev.caCertificate, "--http1.1"])
                #expect(http1.status == 200 && http1.body == "dev-backend" && http1.version == "1.1", "\(http1)")
                let http2 = try await dev.curl("/whoami", ["--cacert", dev.caCertificate, "--http2"])
                #expect(http2.status == 200 && http2.body == "dev-backend" && http2.version == "2", "\(http2)")
                // Without the CA, the certificate is not trusted (curl exit 60).
                let untrusted = try await dev.curl("/whoami")
                #expect(untrusted.exit == 60, "\(untrusted)")
                // No HSTS: it would make browsers insist on https for every port of localhost.
                let headers = try await dev.curl("/whoami", ["--cacert", dev.caCertificate, "-D", "-", "-o", "/dev/null"])
                #expect(!headers.body.lowercased().contains("strict-transport-security"), "\(headers.body)")

                let websocket = try await WebSocketPeers.check(
                    "wss://localhost:\(dev.port)/ws", ["text", "binary", "--cafile", dev.caCertificate], timeout: 60
                )
                #expect(websocket.status == 0, "\(websocket.stdout) \(websocket.stderr)")

                // The terminal log: method, path, status, duration; no colour through a pipe.
                let logged = try await dev.process.line(where: { $0.hasPrefix("GET /whoami 200 ") && $0.hasSuffix("ms") }, timeout: .seconds(5))
                #expect(logged != nil, "no request log line: \(dev.process.stderr)")
                #expect(logged?.contains("\u{1B}") == false)
            }
        }
    }

    @Test func aDownTargetGetsAPageNamingItsPortAndIsTriedAgainAtOnce() async throws {
        let state = try makeTemporaryDirectory() + "/state"
        let port = try await stablePort()  // nothing listens there yet
        try await DevProcess.with([":\(port)"], stateDirectory: state) { dev in
            let down = try await dev.curl("/whoami", ["--cacert", dev.caCertificate])
            #expect(down.status == 502, "\(down)")
            #expect(down.body.contains("Nothing is answering on port \(port)"), "\(down.body)")
            #expect(down.body.contains("<code>127.0.0.1:\(port)</code>"))
            let head = try await run(
                try require(which("curl"), "curl"),
                ["-s", "-o", "/dev/null", "-w", "%{content_type}", "--cacert", dev.caCertificate,
                 "--resolve", "localhost:\(dev.port):127.0.0.1", dev.url + "/"]
            )
            #expect(head.stdout == "text/html; charset=utf-8")

            // The app starts: the very next request reaches it (no health check holds it back).
            let backend = try await TestBackend(name: "late-app", port: port)
            defer { Task { await backend.stop() } }
            let up = try await dev.curl("/whoami", ["--cacert", dev.caCertificate])
            #expect(up.status == 200 && up.body == "late-app", "\(up)")
        }
        // The CA is kept for the next run; the leaf is made again.
        let ca = try String(contentsOfFile: state + "/portcullis-ca.pem", encoding: .utf8)
        try await DevProcess.with([":\(port)"], stateDirectory: state) { dev in
            let current = try String(contentsOfFile: dev.caCertificate, encoding: .utf8)
            #expect(current == ca)
            #expect(!dev.banner.contains { $0.contains("created the dev CA") })
        }
    }

    @Test func badArgumentsAreReportedTogetherAndNothingIsWritten() async throws {
        let state = try makeTemporaryDirectory() + "/state"
        let result = try await run(
            DevProcess.binary,
            ["dev", "--state-dir", state, "--to", "/api", "--to", "nowhere", "--listen", "http://127.0.0.1:1"],
            timeout: 30
        )
        #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("<command line>: --listen: portcullis dev serves https only"), "\(result.stderr)")
        #expect(result.stderr.contains("<command line>: --to: expected /prefix=target"), "\(result.stderr)")
        #expect(result.stderr.contains("<command line>: --to: missing port in \"nowhere\""), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state), "\(state) was created")
    }

    @Test func theTargetsCommandAndTheAdminAPITakeAPortAlone() async throws {
        try await AdminFixture.with(backends: 2, yaml: AdminAPITests.yaml) { fixture in
            let admin = "127.0.0.1:\(fixture.adminPort)"
            let extra = try await TestBackend(name: "extra")
            defer { Task { await extra.stop() } }
            let registered = try await run(DevProcess.binary, ["targets", "register", "--admin", admin, "web", ":\(extra.port)"])
            #expect(registered.status == 0, "\(registered.stdout) \(registered.stderr)")
            #expect(registered.stdout.contains("127.0.0.1:\(extra.port): registered in web"), "\(registered.stdout)")
            let weighted = try await run(DevProcess.binary, ["targets", "weight", "--admin", admin, "web", ":\(extra.port)", "7"])
            #expect(weighted.stdout.contains("127.0.0.1:\(extra.port): weight 7"), "\(weighted.stdout) \(weighted.stderr)")
            let byAPI = try await fixture.adminCall("POST", "/target-groups/web/targets", json: "{\"address\": \":\(extra.port)\"}")
            #expect(byAPI.status == 409, "\(byAPI.body)")  // the same target: :port is 127.0.0.1:port
            let removed = try await run(DevProcess.binary, ["targets", "deregister", "--admin", admin, "web", ":\(extra.port)"])
            #expect(removed.stdout.contains("127.0.0.1:\(extra.port): deregistered from web"), "\(removed.stdout) \(removed.stderr)")
        }
    }
}
