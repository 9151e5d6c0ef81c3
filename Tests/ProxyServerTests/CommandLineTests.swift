import Foundation
import Testing

/// The `portcullis` binary itself: `check` on good and bad files, `run` with bad arguments, `certs`.
struct CommandLineTests {
    private var binary: String { packageRoot + "/.build/debug/portcullis" }

    @Test func checkAcceptsAGoodFileAndReportsEveryProblemOfABadOne() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/good.yaml"
        try """
            listeners:
              - name: plain
                bind: "127.0.0.1:8081"
                protocol: http
                routes:
                  - forward: web
            target_groups:
              web:
                targets: ["127.0.0.1:8080"]
            """.write(toFile: good, atomically: true, encoding: .utf8)
        let ok = try await run(self.binary, ["check", good])
        #expect(ok.status == 0, "\(ok.stdout) \(ok.stderr)")

        let bad = directory + "/bad.yaml"
        try """
            listeners:
              - name: plain
                bind: "127.0.0.1:99999"
                protocol: htp
                routes:
                  - forward: webb
            target_groups:
              web:
                policy: roundrobin
                targets: ["127.0.0.1:8080"]
            """.write(toFile: bad, atomically: true, encoding: .utf8)
        let failed = try await run(self.binary, ["check", bad])
        #expect(failed.status == 1)
        let lines = failed.stdout.split(separator: "\n")
        #expect(lines.count >= 4, "\(failed.stdout)")
        #expect(failed.stdout.contains("bad.yaml:3:"))
        #expect(failed.stdout.contains("listeners[0].bind"))
        #expect(failed.stdout.contains("bad.yaml:4:"))
        #expect(failed.stdout.contains("listeners[0].protocol"))
        #expect(failed.stdout.contains("listeners[0].routes[0].forward"))
        #expect(failed.stdout.contains("target_groups.web.policy"))
    }

    @Test(arguments: [
        (["--to", "nowhere"], "<command line>: --to: missing port in \"nowhere\""),
        (["--health-interval", "2h"], "<command line>: --health-interval: must be in 1s...1h (got 2h)"),
        (["--key", "some-key.pem"], "<command line>: --cert: --key needs --cert"),
        (["--event-loops", "0"], "<command line>: --event-loops: must be in 1...1024 (got 0)"),
        (["--log-level", "loud"], "<command line>: --log-level: unknown log level \"loud\""),
        (["--fleet-secret", "fleet.secret"], "<command line>: --fleet-secret and --ticket-rotation need --etcd URL --fleet NAME"),
        (
            ["--etcd", "http://127.0.0.1:9", "--fleet", "f", "--fleet-secret", "/nonexistent/fleet.secret"],
            "<command line>: --fleet-secret: /nonexistent/fleet.secret: cannot read the fleet secret"
        ),
        (["--etcd", "http://127.0.0.1:9", "--fleet", "f", "--ticket-rotation", "0"], "<command line>: --ticket-rotation: must be a number of seconds above 0 (got 0)"),
    ])
    func runWithBadArgumentsWritesNoCertificates(arguments: [String], message: String) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificates = directory + "/certs"
        let result = try await run(self.binary, ["run", "--certs-dir", certificates] + arguments, timeout: 30)
        #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("created dev certificate"))
        #expect(!FileManager.default.fileExists(atPath: certificates), "\(certificates) was created")
    }

    @Test(arguments: ["inf", "nan", "1e30", "-1"])
    func drainRejectsATimeoutOutOfRange(timeout: String) async throws {
        // Refused before etcd (nothing listens on port 9) or an admin API is asked anything.
        let result = try await run(
            self.binary, ["targets", "drain", "--etcd", "http://127.0.0.1:9", "--fleet", "f", "--wait", "--timeout=\(timeout)", "web", "h:1"], timeout: 30
        )
        #expect(result.status == 64, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("--timeout: must be a number of seconds in 0...86400"), "\(result.stderr)")
    }

    @Test func certsCreatesCAAndLeafWithPrivateKeys() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await run(self.binary, ["certs", "--out", directory, "--host", "dev.example"])
        #expect(first.status == 0, "\(first.stderr)")
        let ca = try String(contentsOfFile: directory + "/portcullis-ca.pem", encoding: .utf8)
        let second = try await run(self.binary, ["certs", "--out", directory])
        #expect(second.status == 0)
        #expect(try String(contentsOfFile: directory + "/portcullis-ca.pem", encoding: .utf8) == ca)  // the CA is kept
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/localhost-key.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        if let openssl = which("openssl") {
            let verify = try await run(openssl, ["verify", "-CAfile", directory + "/portcullis-ca.pem", directory + "/localhost.pem"])
            #expect(verify.stdout.contains(": OK"), "\(verify.stdout) \(verify.stderr)")
        }
    }
}
