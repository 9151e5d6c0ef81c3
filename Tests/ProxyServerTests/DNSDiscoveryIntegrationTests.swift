import Foundation
import Testing

/// DNS service discovery end to end: dnsmasq answers from a hosts file the test rewrites,
/// backends listen on 127.0.0.2… (one port), and the proxy's group follows: a record added
/// joins (through its health check), a record removed drains (a request in flight to it
/// finishes) and is then deregistered, a dead resolver keeps the last answer, a reload keeps
/// the discovered targets and their state, and SRV records bring their ports and weights.
struct DNSDiscoveryIntegrationTests {
    private static func yaml(resolverPort: Int, entries: String) -> String {
        """
        global:
          event_loops: 2
          shutdown_grace: 2s
          access_log: false
          resolvers: ["127.0.0.1:\(resolverPort)"]
        admin:
          bind: "127.0.0.1:0"
        listeners:
          - name: plain
            bind: "127.0.0.1:0"
            protocol: http
            routes:
              - name: site
                forward: app
        target_groups:
          app:
            targets:
        \(entries)
            health_check:
              protocol: http
              path: /
              interval: 1s
              timeout: 500ms
              healthy_threshold: 1
        """
    }

    /// Backends named after their address, all on one port.
    private static func backends(_ hosts: [String]) async throws -> [TestBackend] {
        var backends: [TestBackend] = []
        for host in hosts {
            let port = backends.first?.port ?? 0
            backends.append(try await TestBackend(name: host, port: port, host: host))
        }
        return backends
    }

    private static func targets(_ fixture: AdminFixture) async throws -> [[String: Any]] {
        let (_, body) = try await fixture.adminCall("GET", "/target-groups/app/targets")
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
    }

    /// Polls the group's targets until `condition` holds (10 s at most).
    @discardableResult
    private static func waitForTargets(
        _ fixture: AdminFixture,
        _ what: String,
        _ condition: ([[String: Any]]) -> Bool
    ) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(10)
        var last: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            last = try await Self.targets(fixture)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what); targets: \(last)")
        return last
    }

    private static func serving(_ targets: [[String: Any]]) -> Set<String> {
        Set(targets.filter { $0["serving"] as? Bool == true }.compactMap { $0["id"] as? String })
    }

    /// The backends that answered `count` requests (by `GET /whoami`).
    private static func answering(_ fixture: AdminFixture, count: Int = 12) async throws -> [String: Int] {
        let curl = try require(which("curl"), "curl")
        let result = try await run(curl, ["-s", "--max-time", "5"] + Array(repeating: [fixture.url + "/whoami", "-w", "\n"], count: count).flatMap { $0 })
        var counts: [String: Int] = [:]
        for line in result.stdout.split(separator: "\n") { counts[String(line), default: 0] += 1 }
        return counts
    }

    @Test func recordsAddedJoinAndRecordsRemovedDrain() async throws {
        let backends = try await Self.backends(["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        defer { Task { for backend in backends { await backend.stop() } } }
        let port = backends[0].port
        let id = { (host: String) in "\(host):\(port)" }
        try await DnsmasqServer.with(hosts: ["127.0.0.2 app.internal", "127.0.0.3 app.internal"]) { dns in
            let yaml = Self.yaml(resolverPort: dns.port, entries: "      - {dns: app.internal, port: \(port), refresh: 1s}")
            try await AdminFixture.with(backends: 0, yaml: yaml) { fixture in
                // The first answer is in before the listener accepts; health checks pass.
                var targets = try await Self.waitForTargets(fixture, "two serving targets") { Self.serving($0) == [id("127.0.0.2"), id("127.0.0.3")] }
                #expect(targets.allSatisfy { $0["source"] as? String == "dns:app.internal:\(port)" })
                #expect(targets.allSatisfy { ($0["name"] as? String)?.hasPrefix("dns-") == true })
                #expect(Set(try await Self.answering(fixture).keys) == ["127.0.0.2", "127.0.0.3"])

                // A record added: the target joins through its health check.
                try dns.setHosts(["127.0.0.2 app.internal", "127.0.0.3 app.internal", "127.0.0.4 app.internal"])
                try await Self.waitForTargets(fixture, "127.0.0.4 serving") { Self.serving($0).contains(id("127.0.0.4")) }
                #expect(Set(try await Self.answering(fixture, count: 18).keys) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"])

                // A record removed while a request to it is in flight: drained, not cut.
                let curl = try require(which("curl"), "curl")
                async let slow = Self.slowRequests(fixture, curl: curl)
                try await Self.waitForTargets(fixture, "a slow request in flight to 127.0.0.3") { targets in
                    targets.contains { $0["id"] as? String == id("127.0.0.3") && ($0["in_flight"] as? Int ?? 0) > 0 }
                }
                try dns.setHosts(["127.0.0.2 app.internal", "127.0.0.4 app.internal"])
                targets = try await Self.waitForTargets(fixture, "127.0.0.3 draining") { targets in
                    targets.contains { $0["id"] as? String == id("127.0.0.3") && $0["state"] as? String == "draining" }
                }
                #expect(!(try await Self.answering(fixture).keys.contains("127.0.0.3")))
                let finished = try await slow
                #expect(finished.components(separatedBy: "slow").count - 1 == 6, "every request in flight finished, the one to the removed target too: \(finished)")
                // Idle: deregistered.
                try await Self.waitForTargets(fixture, "127.0.0.3 deregistered") { targets in
                    !targets.contains { $0["id"] as? String == id("127.0.0.3") }
                }

                // A reload keeps the discovered targets and their state (the group is replaced:
                // its health check changed).
                try fixture.rewrite(yaml.replacingOccurrences(of: "timeout: 500ms", with: "timeout: 400ms"))
                let reloaded = try await fixture.adminCall("POST", "/reload")
                #expect(reloaded.status == 200, "\(reloaded.body)")
                let summary = (try JSONSerialization.jsonObject(with: Data(reloaded.body.utf8)) as? [String: Any])?["summary"] as? [String: Any]
                #expect(summary?["target_groups_replaced"] as? [String] == ["app"])
                targets = try await Self.targets(fixture)
                #expect(Self.serving(targets) == [id("127.0.0.2"), id("127.0.0.4")])

                // The resolver dies: the last answer stays, the failure is reported.
                await dns.stop()
                let status = try await Self.waitForStatus(fixture) { discovery in
                    (discovery.first?["result"] as? String).map { $0 != "ok" } ?? false
                }
                #expect((status.first?["answer"] as? [String]).map(Set.init) == [id("127.0.0.2"), id("127.0.0.4")])
                #expect(Self.serving(try await Self.targets(fixture)) == [id("127.0.0.2"), id("127.0.0.4")])
                let metrics = try await fixture.adminCall("GET", "/metrics")
                let lines = metrics.body.split(separator: "\n").filter { $0.hasPrefix("portcullis_dns_resolutions_total{") && $0.contains("target_group=\"app\"") }
                #expect(lines.contains { $0.contains("result=\"success\"") }, "\(lines)")
                #expect(lines.contains { $0.contains("result=\"timeout\"") }, "\(lines)")
            }
        }
        for backend in backends { await backend.stop() }
    }

    @Test func srvRecordsBringTheirPortsAndWeights() async throws {
        let first = try await TestBackend(name: "first", host: "127.0.0.2")
        let second = try await TestBackend(name: "second", host: "127.0.0.3")
        defer { Task { await first.stop(); await second.stop() } }
        let records = [
            "--srv-host=_http._tcp.app.internal,one.internal,\(first.port),0,3",
            "--srv-host=_http._tcp.app.internal,two.internal,\(second.port),0,1",
        ]
        try await DnsmasqServer.with(hosts: ["127.0.0.2 one.internal", "127.0.0.3 two.internal"], arguments: records) { dns in
            let yaml = Self.yaml(resolverPort: dns.port, entries: "      - {srv: _http._tcp.app.internal, refresh: 1s}")
            try await AdminFixture.with(backends: 0, yaml: yaml) { fixture in
                let targets = try await Self.waitForTargets(fixture, "both SRV targets serving") { Self.serving($0).count == 2 }
                let weights = Dictionary(uniqueKeysWithValues: targets.compactMap { target in
                    (target["id"] as? String).map { ($0, target["weight"] as? Int ?? 0) }
                })
                #expect(weights == ["127.0.0.2:\(first.port)": 3, "127.0.0.3:\(second.port)": 1])
                let counts = try await Self.answering(fixture, count: 16)
                #expect(counts["first"] ?? 0 > counts["second"] ?? 0, "weights 3:1 give first more: \(counts)")

                // The SRV set changes (dnsmasq restarted with one record): the other drains away.
                try await dns.restart(arguments: [records[1]])
                try await Self.waitForTargets(fixture, "only the second SRV target") { targets in
                    targets.compactMap { $0["id"] as? String } == ["127.0.0.3:\(second.port)"]
                }
                #expect(Set(try await Self.answering(fixture).keys) == ["second"])
            }
        }
        await first.stop()
        await second.stop()
    }

    @Test func aTargetAnOperatorDeregisteredStaysOutAcrossAnswersAndAGroupReplacingReload() async throws {
        let backends = try await Self.backends(["127.0.0.2", "127.0.0.3"])
        defer { Task { for backend in backends { await backend.stop() } } }
        let port = backends[0].port
        let id = { (host: String) in "\(host):\(port)" }
        try await DnsmasqServer.with(hosts: ["127.0.0.2 app.internal", "127.0.0.3 app.internal"]) { dns in
            let yaml = Self.yaml(resolverPort: dns.port, entries: "      - {dns: app.internal, port: \(port), refresh: 1s}")
            try await AdminFixture.with(backends: 0, yaml: yaml) { fixture in
                try await Self.waitForTargets(fixture, "two serving targets") { Self.serving($0) == [id("127.0.0.2"), id("127.0.0.3")] }
                let removed = try await fixture.adminCall("DELETE", "/target-groups/app/targets/\(id("127.0.0.3"))")
                #expect(removed.status == 200, "\(removed.body)")
                // Answers keep naming it (refresh 1 s): it stays out.
                let firstResolution = try await Self.waitForStatus(fixture) { $0.first?["resolved_at"] != nil }.first?["resolved_at"] as? String
                try await Self.waitForStatus(fixture) { ($0.first?["resolved_at"] as? String).map { $0 != firstResolution } ?? false }
                #expect(try await Self.targets(fixture).compactMap { $0["id"] as? String } == [id("127.0.0.2")])

                // A reload that replaces the group (its health check changed) does not bring it back.
                try fixture.rewrite(yaml.replacingOccurrences(of: "timeout: 500ms", with: "timeout: 400ms"))
                let reloaded = try await fixture.adminCall("POST", "/reload")
                #expect(reloaded.status == 200, "\(reloaded.body)")
                let summary = (try JSONSerialization.jsonObject(with: Data(reloaded.body.utf8)) as? [String: Any])?["summary"] as? [String: Any]
                #expect(summary?["target_groups_replaced"] as? [String] == ["app"])
                #expect(try await Self.targets(fixture).compactMap { $0["id"] as? String } == [id("127.0.0.2")])
                // Nor the answers after it (every entry is asked again at once after a reload).
                let afterReload = try await Self.waitForStatus(fixture) { $0.first?["resolved_at"] != nil }.first?["resolved_at"] as? String
                try await Self.waitForStatus(fixture) { ($0.first?["resolved_at"] as? String).map { $0 != afterReload } ?? false }
                #expect(try await Self.targets(fixture).compactMap { $0["id"] as? String } == [id("127.0.0.2")])

                // Once DNS stops naming it, its address is new when it comes back.
                try dns.setHosts(["127.0.0.2 app.internal"])
                try await Self.waitForStatus(fixture) { ($0.first?["answer"] as? [String]) == [id("127.0.0.2")] }
                try dns.setHosts(["127.0.0.2 app.internal", "127.0.0.3 app.internal"])
                try await Self.waitForTargets(fixture, "127.0.0.3 registered again") { Self.serving($0) == [id("127.0.0.2"), id("127.0.0.3")] }
            }
        }
        for backend in backends { await backend.stop() }
    }

    /// Two slow requests through the proxy at once (round robin sends one to each of two
    /// targets; with three, at least one of four reaches any given target); their bodies.
    private static func slowRequests(_ fixture: AdminFixture, curl: String) async throws -> String {
        let result = try await run(curl, ["-s", "--max-time", "10", "--parallel", "--parallel-immediate"] + Array(repeating: [fixture.url + "/slow?ms=4000", "-w", "\n"], count: 6).flatMap { $0 })
        return result.stdout
    }

    /// Polls `discovery` of the group in `GET /status` until `condition` holds (15 s at most).
    @discardableResult
    private static func waitForStatus(_ fixture: AdminFixture, _ condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(15)
        var last: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            let (_, body) = try await fixture.adminCall("GET", "/status")
            let document = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let groups = document?["target_groups"] as? [[String: Any]] ?? []
            last = groups.first { $0["name"] as? String == "app" }?["discovery"] as? [[String: Any]] ?? []
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for the discovery status; last: \(last)")
        return last
    }
}
