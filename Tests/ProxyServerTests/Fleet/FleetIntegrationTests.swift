import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import ProxyServer

/// The fleet's end-to-end suites run one at a time: each starts etcd and three or four
/// `portcullis` processes, and two at once would load a 2-core machine enough to stall the
/// timing-sensitive tests running beside them.
@Suite(.serialized) enum FleetSuites {}

extension FleetSuites {
    /// Three `portcullis run --etcd … --fleet …` processes against a real etcd (started by the
    /// test), one listener port shared with `reuse_port`, curl and etcdctl as independent clients.
    struct FleetIntegrationTests {
        static func revision(in output: String) -> Int64? {
            output.split(separator: " ").last.flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }

        @Test(.timeLimit(.minutes(3)))
        func configurationDrainsAndAnEtcdRestart() async throws {
            try await FleetFixture.with(backends: 2, Self.scenario)
        }

        static func scenario(_ fleet: FleetFixture) async throws {
            let b0 = "127.0.0.1:\(fleet.backends[0].port)"
            let b1 = "127.0.0.1:\(fleet.backends[1].port)"

            // 1. A configuration pushed before any instance runs; three instances start from it.
            let first = try await fleet.push(fleet.yaml(version: "v1"))
            #expect(first.status == 0, "\(first.stderr)")
            let revision1 = try #require(Self.revision(in: first.stdout), "\(first.stdout)")
            for index in 0..<3 { try await fleet.startInstance(index) }
            let started = try await fleet.waitForViews("three instances on revision \(revision1)") { views in
                views.count == 3 && views.allSatisfy { $0.ready && $0.configRevision == revision1 && $0.admin != nil }
            }
            let admins = started.sorted { $0.id < $1.id }.compactMap(\.admin)
            #expect(Set(started.flatMap(\.listeners)) == ["127.0.0.1:\(fleet.port)"])

            // 2. A new revision (compare-and-swap on the first) reaches all three.
            let second = try await fleet.push(fleet.yaml(version: "v2"), revision: revision1)
            #expect(second.status == 0, "\(second.stderr)")
            let revision2 = try #require(Self.revision(in: second.stdout))
            try await fleet.waitForViews("revision \(revision2) everywhere") { views in
                views.count == 3 && views.allSatisfy { $0.configRevision == revision2 }
            }
            for admin in admins {
                #expect(try await fleet.admin(admin, "/config").contains("v2"), "\(admin) does not run v2")
            }
            let versions = try await fleet.requests(24, "/version")
            #expect(versions.count == 24 && versions.allSatisfy { $0 == "v2|200" }, "\(versions)")

            // Two operators: a push based on the old revision writes nothing.
            let stale = try await fleet.push(fleet.yaml(version: "v3"), revision: revision1)
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("revision \(revision2), not \(revision1)"), "\(stale.stderr)")
            // A file with errors is refused locally, every problem named.
            let invalid = try await fleet.push(fleet.yaml(version: "v3").replacingOccurrences(of: "interval: 1s", with: "interval: soon"), revision: revision2)
            #expect(invalid.status == 1)
            #expect(invalid.stderr.contains("health_check.interval"), "\(invalid.stderr)")

            // 3. A bad revision written past the CLI (etcdctl) reaches no instance; each reports it.
            let bad = fleet.yaml(version: "v3").replacingOccurrences(of: "protocol: http\n", with: "protocol: gopher\n")
            let put = try await fleet.etcd.ctl(["put", "/portcullis/\(fleet.name)/config"], stdin: bad)
            #expect(put.status == 0, "\(put.stderr)")
            let refused = try await fleet.waitForViews("the bad revision reported by all three") { views in
                views.count == 3 && views.allSatisfy { $0.configErrorRevision != nil && $0.configRevision == revision2 }
            }
            for view in refused {
                #expect(view.configError?.contains("etcd:/portcullis/\(fleet.name)/config@") == true, "\(view.configError ?? "")")
                #expect(view.configError?.contains("protocol") == true, "\(view.configError ?? "")")
            }
            let badRevision = try #require(refused.first?.configErrorRevision)
            let stillV2 = try await fleet.requests(12, "/version")
            #expect(stillV2.allSatisfy { $0 == "v2|200" }, "\(stillV2)")

            // 4. A drain given to one instance's admin API stops traffic to the target through all three.
            let drain = try await fleet.portcullis(["targets", "drain", "web", b0, "--admin", admins[0]])
            #expect(drain.status == 0, "\(drain.stderr)")
            try await fleet.waitForViews("\(b0) draining everywhere") { views in
                views.count == 3 && views.allSatisfy { $0.target(group: "web", id: b0)?.state == "draining" }
            }
            let before = fleet.backends[0].requestsServed
            let spread = try await fleet.requests(30, "/whoami")
            #expect(spread.count == 30 && spread.allSatisfy { $0 == "b1|200" }, "\(spread)")
            #expect(fleet.backends[0].requestsServed == before)

            // 5. drain --wait (straight to etcd) returns once no instance has a request in flight.
            let attach = try await fleet.portcullis(["targets", "attach", "web", b0, "--now"] + fleet.fleetFlags)
            #expect(attach.status == 0, "\(attach.stderr)")
            let drainOther = try await fleet.portcullis(["targets", "drain", "web", b1] + fleet.fleetFlags)
            #expect(drainOther.status == 0, "\(drainOther.stderr)")
            try await fleet.waitForViews("\(b0) serving, \(b1) draining everywhere") { views in
                views.count == 3 && views.allSatisfy {
                    $0.target(group: "web", id: b0)?.serving == true && $0.target(group: "web", id: b1)?.state == "draining"
                }
            }
            let slowDone = NIOLockedValueBox<[ContinuousClock.Instant]>([])
            let slow = (0..<9).map { _ in
                Task {
                    let result = try await fleet.requests(1, "/slow?ms=1500")
                    slowDone.withLockedValue { $0.append(.now) }
                    return result
                }
            }
            let busy = try await fleet.waitForViews("slow requests in flight", timeout: .seconds(5)) { views in
                views.reduce(0) { $0 + ($1.target(group: "web", id: b0)?.inFlight ?? 0) } >= 9
            }
            let instancesBusy = busy.filter { ($0.target(group: "web", id: b0)?.inFlight ?? 0) > 0 }.count
            #expect(instancesBusy >= 2, "the 9 connections landed on \(instancesBusy) instance(s)")
            let waitStarted = ContinuousClock.now
            let waited = try await fleet.portcullis(["targets", "drain", "web", b0, "--wait", "--timeout", "20"] + fleet.fleetFlags)
            let waitEnded = ContinuousClock.now
            #expect(waited.status == 0, "\(waited.stderr)")
            #expect(waited.stdout.contains("drained on 3 instance(s)"), "\(waited.stdout)")
            var slowResults: [String] = []
            for task in slow { slowResults += try await task.value }
            #expect(slowResults.count == 9 && slowResults.allSatisfy { $0 == "slow|200" }, "\(slowResults)")
            let finished = slowDone.withLockedValue { $0 }
            #expect(waitStarted.duration(to: waitEnded) > .milliseconds(500), "drain --wait did not wait")
            // Every slow request had finished before --wait returned (curl sees the end a moment
            // after the proxy counts it done: 300 ms of slack for process exit).
            #expect(finished.allSatisfy { $0 <= waitEnded + .milliseconds(300) }, "drain --wait returned before the requests ended")
            for target in [b0, b1] {
                let back = try await fleet.portcullis(["targets", "attach", "web", target, "--now"] + fleet.fleetFlags)
                #expect(back.status == 0, "\(back.stderr)")
            }

            // 6. etcd stops: serving goes on; a fresh instance starts from its local copy; a change
            //    through an admin API is refused (nothing changed), not applied on one instance only.
            await fleet.etcd.stop()
            let duringOutage = try await fleet.requests(20, "/version")
            #expect(duringOutage.count == 20 && duringOutage.allSatisfy { $0 == "v2|200" }, "\(duringOutage)")
            let refusedDrain = try await fleet.portcullis(["targets", "drain", "web", b0, "--admin", admins[1]])
            #expect(refusedDrain.status == 1 && refusedDrain.stderr.contains("503"), "\(refusedDrain.stderr)")
            let copy = try String(contentsOfFile: fleet.directory + "/copy-0.yaml", encoding: .utf8)
            #expect(copy.hasSuffix("# portcullis fleet revision \(revision2)\n"))
            try FileManager.default.copyItem(atPath: fleet.directory + "/copy-0.yaml", toPath: fleet.directory + "/copy-3.yaml")
            let fresh = try await fleet.startInstance(3)
            let deadline = ContinuousClock.now + .seconds(15)
            while !fresh.stderr.contains("starting from the local copy") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(fresh.stderr.contains("starting from the local copy \(fleet.directory)/copy-3.yaml (revision \(revision2))"), "\(fresh.stderr)")
            try await Task.sleep(for: .milliseconds(500))
            #expect(fresh.exited() == nil, "the instance started from its local copy exited: \(fresh.stderr)")
            let withFresh = try await fleet.requests(20, "/version")
            #expect(withFresh.allSatisfy { $0 == "v2|200" }, "\(withFresh)")

            // 7. etcd is back: changes resume on every instance (the fresh one included).
            try await fleet.etcd.startAgain()
            let fourth = try await fleet.push(fleet.yaml(version: "v4"), revision: badRevision)
            #expect(fourth.status == 0, "\(fourth.stderr)")
            let revision4 = try #require(Self.revision(in: fourth.stdout))
            try await fleet.waitForViews("revision \(revision4) on all four", timeout: .seconds(30)) { views in
                views.count == 4 && views.allSatisfy { $0.configRevision == revision4 && $0.configError == nil }
            }
            let resumed = try await fleet.requests(20, "/version")
            #expect(resumed.allSatisfy { $0 == "v4|200" }, "\(resumed)")
            let status = try await fleet.portcullis(["status", "--fleet", "--admin", admins[2]])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("\"node-3\"") && status.stdout.contains("\"config_revision\" : \(revision4)"), "\(status.stdout)")
        }
    }
}
