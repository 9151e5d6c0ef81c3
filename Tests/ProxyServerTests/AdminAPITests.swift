import Foundation
import Testing

/// The admin API over real loopback sockets, with curl.
struct AdminAPITests {
    static let yaml = """
        global:
          event_loops: 2
          shutdown_grace: 2s
          access_log: false
        admin:
          bind: "127.0.0.1:0"
        listeners:
          - name: plain
            bind: "127.0.0.1:0"
            protocol: http
            routes:
              - name: site
                forward: web
        target_groups:
          web:
            targets: ["127.0.0.1:{B0}", "127.0.0.1:{B1}"]
            health_check:
              protocol: http
              path: /healthz
              interval: 1s
              timeout: 500ms
        """

    @Test func statusHealthReadyAndMetrics() async throws {
        try await AdminFixture.with(yaml: Self.yaml) { fixture in
            let curl = try require(which("curl"), "curl")
            let proxied = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/"])
            #expect(proxied.stdout == "200")

            let status = try await fixture.adminCall("GET", "/status")
            #expect(status.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])
            #expect(document["ready"] as? Bool == true)
            let groups = try #require(document["target_groups"] as? [[String: Any]])
            let targets = try #require(groups.first?["targets"] as? [[String: Any]])
            #expect(targets.count == 2)
            #expect(targets.allSatisfy { $0["weight"] as? Int == 1 && $0["in_flight"] as? Int == 0 })
            #expect((document["listeners"] as? [[String: Any]])?.first?["name"] as? String == "plain")

            #expect(try await fixture.adminCall("GET", "/healthz").status == 200)
            #expect(try await fixture.adminCall("GET", "/ready").status == 200)
            let head = try await run(try require(which("curl"), "curl"), ["-s", "-I", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", fixture.admin + "/ready"])
            #expect(head.stdout == "200")
            let metrics = try await fixture.adminCall("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains(#"portcullis_requests_total{listener="plain",route="site",target_group="web""#))
            #expect(metrics.body.contains("portcullis_request_duration_seconds_bucket"))
            #expect(metrics.body.contains(#"portcullis_active_connections{listener="plain"}"#))
            // The proxied response's body bytes were counted (the counters are cached per listener).
            let sent = metrics.body.split(separator: "\n").first { $0.hasPrefix(#"portcullis_sent_bytes_total{listener="plain"}"#) }
            #expect((sent?.split(separator: " ").last).flatMap { Double($0) }.map { $0 > 0 } == true, "\(String(describing: sent))")
            #expect(metrics.body.contains("portcullis_target_health"))
            let config = try await fixture.adminCall("GET", "/config")
            #expect(config.status == 200)
            #expect(config.body.contains("\"target_groups\""))
            #expect(config.body.contains("\"healthy_threshold\": 2"))
        }
    }

    @Test func badInputGetsClearErrors() async throws {
        try await AdminFixture.with(yaml: Self.yaml) { fixture in
            let unknownGroup = try await fixture.adminCall("GET", "/target-groups/nope/targets")
            #expect(unknownGroup.status == 404)
            #expect(unknownGroup.body.contains("no target group \\\"nope\\\""))
            let unknownTarget = try await fixture.adminCall("POST", "/target-groups/web/targets/10.9.9.9:1/drain")
            #expect(unknownTarget.status == 404)
            #expect(unknownTarget.body.contains("has no target \\\"10.9.9.9:1\\\""))
            let badJSON = try await fixture.adminCall("POST", "/target-groups/web/targets", json: "{not json")
            #expect(badJSON.status == 400)
            #expect(badJSON.body.contains("bad JSON"))
            let missingField = try await fixture.adminCall("POST", "/target-groups/web/targets", json: "{\"weight\": 2}")
            #expect(missingField.status == 400)
            #expect(missingField.body.contains("address"))
            let badWeight = try await fixture.adminCall("PUT", "/target-groups/web/targets/127.0.0.1:\(fixture.backends[0].port)/weight", json: "{\"weight\": 0}")
            #expect(badWeight.status == 400)
            let badAddress = try await fixture.adminCall("POST", "/target-groups/web/targets", json: "{\"address\": \"nowhere\"}")
            #expect(badAddress.status == 400)
            #expect(try await fixture.adminCall("GET", "/nothing-here").status == 404)
            #expect(try await fixture.adminCall("DELETE", "/status").status == 405)
            let duplicate = try await fixture.adminCall(
                "POST", "/target-groups/web/targets", json: "{\"address\": \"127.0.0.1:\(fixture.backends[0].port)\"}"
            )
            #expect(duplicate.status == 409)
        }
    }

    @Test func registerWeightDeregisterAndTheToken() async throws {
        let yaml = Self.yaml.replacingOccurrences(of: "  bind: \"127.0.0.1:0\"\nlisteners", with: "  bind: \"127.0.0.1:0\"\n  token: \"0123456789abcdef-secret\"\nlisteners")
        try await AdminFixture.with(backends: 3, yaml: yaml) { fixture in
            let auth = ["Authorization: Bearer 0123456789abcdef-secret"]
            #expect(try await fixture.adminCall("GET", "/status").status == 401)
            #expect(try await fixture.adminCall("GET", "/status", headers: ["Authorization: Bearer wrong"]).status == 401)
            #expect(try await fixture.adminCall("GET", "/ready").status == 200)  // probes need no token

            let third = "127.0.0.1:\(fixture.backends[2].port)"
            let registered = try await fixture.adminCall("POST", "/target-groups/web/targets", json: "{\"address\": \"\(third)\", \"weight\": 3}", headers: auth)
            #expect(registered.status == 201, "\(registered.body)")
            // A registered target must pass its health checks first: it is still unhealthy, or (on
            // a busy machine, the answer rendered after two 1 s checks) healthy after two passes.
            #expect(
                registered.body.contains("\"state\" : \"unhealthy\"") || registered.body.contains("\"consecutive_passes\" : 2"),
                "\(registered.body)"
            )
            let curl = try require(which("curl"), "curl")
            var served = false
            for _ in 0..<100 where !served {
                let who = try await run(curl, ["-s", fixture.url + "/whoami"])
                served = who.stdout == "b2"
                if !served { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(served, "the registered target took no traffic after passing its checks")

            #expect(registered.body.contains("\"name\" : \"t3\""))  // a short name, never the address, for cookies
            let before = try await fixture.adminCall("GET", "/metrics", headers: auth)
            #expect(before.body.contains("target=\"\(third)\""))
            let weighted = try await fixture.adminCall("PUT", "/target-groups/web/targets/\(third)/weight", json: "{\"weight\": 5}", headers: auth)
            #expect(weighted.status == 200)
            #expect(weighted.body.contains("\"weight\" : 5"))
            let removed = try await fixture.adminCall("DELETE", "/target-groups/web/targets/\(third)", headers: auth)
            #expect(removed.status == 200)
            let list = try await fixture.adminCall("GET", "/target-groups/web/targets", headers: auth)
            #expect(!list.body.contains(third))
            let after = try await fixture.adminCall("GET", "/metrics", headers: auth)
            #expect(!after.body.contains("portcullis_target_health{target_group=\"web\",target=\"\(third)\""))
            let badName = try await fixture.adminCall(
                "POST", "/target-groups/web/targets", json: "{\"address\": \"\(third)\", \"name\": \"a; Path=/x\"}", headers: auth
            )
            #expect(badName.status == 400)
        }
    }

    @Test func drainWithWaitReturnsOnlyAfterInFlightReachesZero() async throws {
        try await AdminFixture.with(backends: 1, yaml: Self.yaml.replacingOccurrences(of: ", \"127.0.0.1:{B1}\"", with: "")) { fixture in
            let target = "127.0.0.1:\(fixture.backends[0].port)"
            let curl = try require(which("curl"), "curl")
            let slow = Task { try await run(curl, ["-s", "-w", " %{http_code}", fixture.url + "/slow?ms=1500"]) }
            // Wait until the slow request is in flight.
            var inFlight = 0
            for _ in 0..<100 where inFlight == 0 {
                inFlight = try await fixture.target(target)?["in_flight"] as? Int ?? 0
                if inFlight == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(inFlight == 1)
            let started = ContinuousClock.now
            let drain = try await fixture.adminCall("POST", "/target-groups/web/targets/\(target)/drain", json: "{\"wait\": true, \"timeout_seconds\": 30}")
            let waited = started.duration(to: .now)
            #expect(drain.status == 200)
            #expect(drain.body.contains("\"outcome\" : \"drained\""))
            #expect(drain.body.contains("\"in_flight\" : 0"))
            #expect(waited > .milliseconds(500), "drain returned before the request in flight finished")
            let finished = try await slow.value
            #expect(finished.stdout == "slow 200")
            // Drained: new requests find no target (the only one is out) and get 503.
            let after = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/"])
            #expect(after.stdout == "503")

            // A short wait that ends first says so.
            let attach = try await fixture.adminCall("POST", "/target-groups/web/targets/\(target)/attach", json: "{\"immediately\": true}")
            #expect(attach.status == 200)
            let again = Task { try await run(curl, ["-s", fixture.url + "/slow?ms=1500"]) }
            for _ in 0..<100 {
                if try await fixture.target(target)?["in_flight"] as? Int == 1 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let short = try await fixture.adminCall("POST", "/target-groups/web/targets/\(target)/drain", json: "{\"wait\": true, \"timeout_seconds\": 0.2}")
            #expect(short.body.contains("\"outcome\" : \"timed_out\""))
            #expect(short.body.contains("\"in_flight\" : 1"))
            _ = try await again.value
        }
    }
}
