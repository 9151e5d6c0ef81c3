import Foundation
import Testing

/// `portcullis trust` and `untrust` against the real stores: the system store
/// (`update-ca-certificates`, as root) and the NSS database of a home directory of the test's
/// own, read by curl (without `--cacert`) and headless Chromium. A test-specific state
/// directory and name: a developer's own dev CA and trust are never touched. `untrust` always
/// runs at the end.
@Suite(.serialized)
struct TrustCommandTests {
    private static let isRoot = geteuid() == 0

    /// Runs the binary with `HOME=home` (where the NSS database is looked for).
    private static func portcullis(home: String, _ arguments: [String], extraEnvironment: [String] = []) async throws -> ProcessResult {
        try await run("/usr/bin/env", ["HOME=" + home] + extraEnvironment + [DevProcess.binary] + arguments, timeout: 60)
    }

    /// Headless Chromium, with its profile (and `~/.pki/nssdb`) under `home`, printing the DOM of `url`.
    private static func chromium(home: String, _ url: String, port: Int) async throws -> ProcessResult {
        let chromium = try require(which("chromium") ?? which("chromium-browser"), "chromium")
        return try await run(
            "/usr/bin/env",
            [
                "HOME=" + home, chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--user-data-dir=" + home + "/chromium-profile", "--host-resolver-rules=MAP localhost:\(port) 127.0.0.1:\(port)",
                "--virtual-time-budget=3000", "--dump-dom", url,
            ],
            timeout: 60
        )
    }

    private static func certutilList(_ database: String) async throws -> ProcessResult {
        try await run(try require(which("certutil"), "certutil"), ["-L", "-d", "sql:" + database])
    }

    @Test func trustMakesCurlAndChromiumAcceptTheDevCertificateAndUntrustUndoesIt() async throws {
        let home = try makeTemporaryDirectory()
        let state = home + "/state"
        let name = "portcullis-test-" + UUID().uuidString.prefix(8).lowercased()
        let systemFile = "/usr/local/share/ca-certificates/\(name).crt"
        let hasSystemStore = which("update-ca-certificates") != nil || FileManager.default.isExecutableFile(atPath: "/usr/sbin/update-ca-certificates")
        let backend = try await TestBackend(name: "trusted-backend")
        defer { Task { await backend.stop() } }

        do {
            try await DevProcess.with(["\(backend.port)"], stateDirectory: state, environment: ["HOME=" + home]) { dev in
                // Before: Chromium shows no page from the backend (certificate error).
                let before = try await Self.chromium(home: home, dev.url + "/whoami", port: dev.port)
                #expect(!before.stdout.contains("trusted-backend"), "Chromium trusted the dev CA before trust: \(before.stdout)")

                let trust = try await Self.portcullis(home: home, ["trust", "--state-dir", state, "--name", name])
                let database = home + "/.pki/nssdb"
                #expect(trust.stdout.contains("browsers (NSS): created the database \(database)"), "\(trust.stdout) \(trust.stderr)")
                #expect(trust.stdout.contains("browsers (NSS): added \"\(name)\" to \(database)"), "\(trust.stdout) \(trust.stderr)")
                #expect(try await Self.certutilList(database).stdout.contains(name))
                #expect(FileManager.default.fileExists(atPath: state + "/trust.json"))

                if Self.isRoot && hasSystemStore {
                    #expect(trust.status == 0, "\(trust.stdout) \(trust.stderr)")
                    #expect(trust.stdout.contains("added \(systemFile) and ran update-ca-certificates"), "\(trust.stdout)")
                    #expect(FileManager.default.fileExists(atPath: systemFile))
                    let curl = try await dev.curl("/whoami")  // no --cacert: the system store
                    #expect(curl.status == 200 && curl.body == "trusted-backend", "\(curl)")
                } else {
                    print("TrustCommandTests: not root (or no update-ca-certificates): the system-store part is skipped")
                    #expect(trust.status == 1)
                    #expect(trust.stderr.contains("re-run with sudo: sudo portcullis trust"), "\(trust.stderr)")
                }

                let after = try await Self.chromium(home: home, dev.url + "/whoami", port: dev.port)
                #expect(after.stdout.contains("trusted-backend"), "Chromium did not load the page: \(after.stdout) \(after.stderr.suffix(2000))")

                let untrust = try await Self.portcullis(home: home, ["untrust", "--state-dir", state, "--name", name])
                #expect(untrust.status == 0, "\(untrust.stdout) \(untrust.stderr)")
                #expect(untrust.stdout.contains("browsers (NSS): removed \"\(name)\" from \(database)"), "\(untrust.stdout)")
                #expect(!(try await Self.certutilList(database).stdout.contains(name)))
                #expect(!FileManager.default.fileExists(atPath: state + "/trust.json"))
                if Self.isRoot && hasSystemStore {
                    #expect(untrust.stdout.contains("system store: removed \(systemFile)"), "\(untrust.stdout)")
                    #expect(!FileManager.default.fileExists(atPath: systemFile))
                    let curl = try await dev.curl("/whoami")
                    #expect(curl.exit == 60, "curl still trusts the dev CA after untrust: \(curl)")
                }
                let again = try await Self.portcullis(home: home, ["untrust", "--state-dir", state, "--name", name])
                #expect(again.status == 0 && again.stdout.contains("nothing to undo"), "\(again.stdout)")
            }
        } catch {
            _ = try? await Self.portcullis(home: home, ["untrust", "--state-dir", state, "--name", name])
            throw error
        }
        // Whatever happened above: nothing of this test is left in the system store.
        _ = try? await Self.portcullis(home: home, ["untrust", "--state-dir", state, "--name", name])
        #expect(!FileManager.default.fileExists(atPath: systemFile))
    }

    @Test func withoutRootAndWithoutCertutilBothProblemsAreExplained() async throws {
        guard Self.isRoot, let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            print("TrustCommandTests: needs root and runuser to run as another user; skipped")
            return
        }
        let home = try makeTemporaryDirectory()
        _ = chmod(home, 0o777)
        let state = home + "/state"
        let name = "portcullis-test-" + UUID().uuidString.prefix(8).lowercased()
        // As `nobody`, with a PATH that has no certutil.
        let result = try await run(
            runuser,
            ["-u", "nobody", "--", "/usr/bin/env", "HOME=" + home, "PATH=/nonexistent", DevProcess.binary, "trust", "--state-dir", state, "--name", name],
            timeout: 60
        )
        defer { _ = try? FileManager.default.removeItem(atPath: "/usr/local/share/ca-certificates/\(name).crt") }
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("needs root to write /usr/local/share/ca-certificates/\(name).crt; re-run with sudo: sudo portcullis trust"), "\(result.stderr)")
        #expect(result.stderr.contains("certutil not found; install it (Debian/Ubuntu: sudo apt-get install libnss3-tools"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/usr/local/share/ca-certificates/\(name).crt"))
        #expect(!FileManager.default.fileExists(atPath: state + "/trust.json"))  // nothing changed, nothing to undo
    }
}
