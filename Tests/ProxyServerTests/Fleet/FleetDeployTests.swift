import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import ProxyServer

extension FleetSuites {
    /// `portcullis deploy`'s engine pointed at one instance of a fleet of three (admin API), or
    /// `portcullis deploy --etcd … --fleet …` (straight to etcd, no admin API), while curl sends
    /// POSTs spread over all three (a new connection each): no request may fail, and no POST
    /// may reach a target twice.
    struct FleetDeployTests {
        enum Through: Sendable { case adminAPI, etcdCommand }

        @Test(.timeLimit(.minutes(3)))
        func deployAcrossTheFleetUnderLoad() async throws {
            try await FleetFixture.with(backends: 3) { try await Self.scenario($0, through: .adminAPI) }
        }

        @Test(.timeLimit(.minutes(3)))
        func deployCommandThroughEtcdAcrossTheFleetUnderLoad() async throws {
            try await FleetFixture.with(backends: 3) { try await Self.scenario($0, through: .etcdCommand) }
        }

        static func scenario(_ fleet: FleetFixture, through: Through) async throws {
            let pushed = try await fleet.push(fleet.yaml(version: "v1"))
            #expect(pushed.status == 0, "\(pushed.stderr)")
            for index in 0..<3 { try await fleet.startInstance(index) }
            let views = try await fleet.waitForViews("three instances, every target healthy") { views in
                views.count == 3 && views.allSatisfy { view in view.ready && view.targetGroups.first?.targets.allSatisfy { $0.health == "healthy" } == true }
            }
            let admin = try #require(views.sorted { $0.id < $1.id }.first?.admin)
            let everyBackend = NIOLockedValueBox(fleet.backends)
            let current = NIOLockedValueBox(fleet.backends)

            // Load until the deploy ends (light, for a 2-core machine running other tests): 2 workers, each running curl on batches of 100 POSTs,
            // every one on a new connection (spread over the three instances by the kernel), each
            // with its own ID. Bounded: 80 batches per worker at most.
            let curl = try require(which("curl"), "curl")
            let deployDone = NIOLockedValueBox(false)
            let directory = fleet.directory
            let url = fleet.url
            let load = (0..<2).map { worker in
                Task {
                    var codes: [Substring] = []
                    var batch = 0
                    while batch < 80 && (batch < 2 || !deployDone.withLockedValue { $0 }) {
                        let path = directory + "/load-\(worker)-\(batch).curlrc"
                        let lines = (0..<100).map { index in
                            """
                            url = "\(url)/echo?id=\(worker)-\(batch)-\(index)"
                            request = "POST"
                            data = "x"
                            header = "Connection: close"
                            output = "/dev/null"
                            write-out = "%{http_code}\\n"
                            next

                            """
                        }.joined()
                        try lines.write(toFile: path, atomically: true, encoding: .utf8)
                        codes += try await run(curl, ["-s", "-K", path], timeout: 60).stdout.split(separator: "\n")
                        batch += 1
                    }
                    return (codes, deployDone.withLockedValue { $0 })
                }
            }
            try await Task.sleep(for: .milliseconds(300))

            /// The deploy step: the target restarted (a new process-like backend on its port).
            @Sendable func restart(port: Int) async throws {
                let old = current.withLockedValue { $0.first { $0.port == port } }
                // Drained on every instance: nothing may be in flight to it anywhere.
                await old?.stop()
                try await Task.sleep(for: .milliseconds(300))
                let fresh = try await TestBackend.restarted(name: "new-\(port)", port: port)
                current.withLockedValue { list in
                    list.removeAll { $0.port == port }
                    list.append(fresh)
                }
                everyBackend.withLockedValue { $0.append(fresh) }
            }

            switch through {
            case .adminAPI:
                var options = RollingDeploy.Options(group: "web")
                options.checkPath = "/healthz"
                options.healthTimeout = .seconds(20)
                let deploy = RollingDeploy(
                    admin: try AdminClient(address: admin),
                    options: options,
                    deploy: { step in try await restart(port: step.port) },
                    progress: { _ in }
                )
                let deployed = try await deploy.run()
                deployDone.withLockedValue { $0 = true }
                #expect(deployed.count == 3)
            case .etcdCommand:
                // The command's --exec asks the test to restart the target (a file per request)
                // and waits until the test has (the file gone).
                let restarter = Task {
                    while !deployDone.withLockedValue({ $0 }) {
                        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                        for name in names where name.hasPrefix("restart-") {
                            guard let port = Int(name.dropFirst("restart-".count)) else { continue }
                            try await restart(port: port)
                            try FileManager.default.removeItem(atPath: directory + "/" + name)
                        }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                let marker = directory + "/restart-{port}"
                let result = try await fleet.portcullis(
                    ["deploy", "--group", "web", "--exec", "touch \(marker) && while [ -e \(marker) ]; do sleep 0.05; done", "--check", "/healthz", "--timeout", "20"]
                        + fleet.fleetFlags,
                    timeout: 120
                )
                deployDone.withLockedValue { $0 = true }
                try await restarter.value
                #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
                #expect(result.stdout.contains("deploy: done, 3 target(s)"), "\(result.stdout)")
                #expect(result.stdout.components(separatedBy: ": drained in ").count == 4, "\(result.stdout)")
            }

            var codes: [Substring] = []
            for task in load {
                let (workerCodes, overlapped) = try await task.value
                codes += workerCodes
                #expect(overlapped, "a load worker stopped (80 batches) before the deploy ended")
            }
            fleet.backends = current.withLockedValue { $0 } + everyBackend.withLockedValue { $0 }.filter { old in
                !current.withLockedValue { $0 }.contains { $0 === old }
            }
            #expect(codes.count >= 400 && codes.count % 100 == 0, "\(codes.count) responses")
            let failed = codes.filter { $0 != "200" }
            #expect(failed.isEmpty, "\(failed.count) failed requests: \(Set(failed))")
            let posts = everyBackend.withLockedValue { $0 }.flatMap { $0.posts.withLockedValue { $0 } }
            var seen: [String: Int] = [:]
            for uri in posts { seen[uri, default: 0] += 1 }
            let duplicated = seen.filter { $0.value > 1 }
            #expect(duplicated.isEmpty, "POSTs received twice: \(duplicated.keys.sorted().prefix(10))")
            #expect(seen.count == codes.count, "\(seen.count) distinct POSTs reached the targets for \(codes.count) responses")
            print("fleet deploy (\(through)): \(codes.count) POSTs over 3 instances during the deploy, \(failed.count) failed, \(duplicated.count) duplicated")
            // Every instance serves every target again.
            try await fleet.waitForViews("every target serving on every instance") { views in
                views.count == 3 && views.allSatisfy { $0.targetGroups.first?.targets.allSatisfy(\.serving) == true }
            }
        }
    }
}
