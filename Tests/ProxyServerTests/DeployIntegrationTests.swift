import Foundation
import NIOConcurrencyHelpers
import ProxyServer
import Testing

/// `portcullis deploy`'s engine across 3 in-process backends that restart (stop, a boot delay,
/// start again on the same port) while curl keeps sending requests: none may fail.
struct DeployIntegrationTests {
    /// The admin tests' configuration, with three targets.
    static let yaml = AdminAPITests.yaml.replacingOccurrences(
        of: #"targets: ["127.0.0.1:{B0}", "127.0.0.1:{B1}"]"#,
        with: #"targets: ["127.0.0.1:{B0}", "127.0.0.1:{B1}", "127.0.0.1:{B2}"]"#
    )

    @Test(.timeLimit(.minutes(2)))
    func rollingDeployUnderLoadFailsNoRequest() async throws {
        try await AdminFixture.with(backends: 3, yaml: Self.yaml) { fixture in
            let backends = NIOLockedValueBox(fixture.backends)
            let restarts = NIOLockedValueBox(0)

            // Load: two curl processes, each fetching 1500 URLs one after another on keep-alive.
            let directory = fixture.directory
            let curl = try require(which("curl"), "curl")
            var configs: [String] = []
            for worker in 0..<2 {
                let path = directory + "/load-\(worker).curlrc"
                let lines = (0..<1500).map { _ in "url = \"\(fixture.url)/slow?ms=4\"\noutput = \"/dev/null\"\n" }.joined()
                try lines.write(toFile: path, atomically: true, encoding: .utf8)
                configs.append(path)
            }
            let load = configs.map { config in
                Task { try await run(curl, ["-s", "-w", "%{http_code}\n", "-K", config], timeout: 100) }
            }
            try await Task.sleep(for: .milliseconds(300))

            var options = RollingDeploy.Options(group: "web")
            options.checkPath = "/healthz"
            options.healthTimeout = .seconds(20)
            let deploy = RollingDeploy(
                admin: try AdminClient(address: "127.0.0.1:\(fixture.adminPort)"),
                options: options,
                deploy: { step in
                    // "Deploy and restart": the old process goes away, the new one boots slowly.
                    let old = backends.withLockedValue { $0.first { $0.port == step.port } }
                    await old?.stop()
                    try await Task.sleep(for: .milliseconds(400))
                    let fresh = try await TestBackend.restarted(name: "new-\(step.port)", port: step.port)
                    backends.withLockedValue { list in
                        list.removeAll { $0.port == step.port }
                        list.append(fresh)
                    }
                    restarts.withLockedValue { $0 += 1 }
                },
                progress: { _ in }
            )
            let deployed = try await deploy.run()
            #expect(deployed.count == 3)
            #expect(restarts.withLockedValue { $0 } == 3)

            var codes: [Substring] = []
            for task in load {
                let result = try await task.value
                codes += result.stdout.split(separator: "\n")
            }
            #expect(codes.count == 3000)
            let failed = codes.filter { $0 != "200" }
            #expect(failed.isEmpty, "\(failed.count) failed requests: \(Set(failed))")

            // Every target is back in rotation, and serves the new version.
            let list = try await fixture.adminCall("GET", "/target-groups/web/targets")
            #expect(list.body.components(separatedBy: "\"state\" : \"healthy\"").count - 1 == 3)
            let curlResult = try await run(curl, ["-s", fixture.url + "/whoami"])
            #expect(curlResult.stdout.hasPrefix("new-"))
            for backend in backends.withLockedValue({ $0 }) { await backend.stop() }
        }
    }

    @Test func aFailingStepStopsTheDeployAndLeavesTheRestAttached() async throws {
        try await AdminFixture.with(backends: 3, yaml: Self.yaml) { fixture in
            let first = "127.0.0.1:\(fixture.backends[0].port)"
            let deploy = RollingDeploy(
                admin: try AdminClient(address: "127.0.0.1:\(fixture.adminPort)"),
                options: RollingDeploy.Options(group: "web"),
                deploy: RollingDeploy.shellStep("exit 3"),
                progress: { _ in }
            )
            await #expect(throws: RollingDeployError.self) { try await deploy.run() }
            #expect(try await fixture.target(first)?["state"] as? String == "draining")
            for backend in fixture.backends.dropFirst() {
                #expect(try await fixture.target("127.0.0.1:\(backend.port)")?["state"] as? String == "healthy")
            }
        }
    }
}
