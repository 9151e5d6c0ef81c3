import Foundation
import Logging
import NIOCore
import ProxyConfig
import ProxyServer
import Testing

/// The HTTP cache through real listeners (docs/content.md, decision 0029), in front of an
/// independent recording Python target (Peers/cache_target.py, which counts the requests it
/// gets and answers what each request's query asks for), with independent clients: curl
/// (HTTP/1.1 and HTTP/2 with prior knowledge) and Python's http.client for concurrency.
@Suite(.serialized)
struct CacheIntegrationTests {
    struct Running {
        let server: ProxyServer
        let target: PeerProcess
        let targetPort: Int
        let http: Int
        let directory: String

        static func start() async throws -> Running {
            let python = try require(which("python3"), "python3")
            let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path
            let target = try PeerProcess(python, [peers + "/cache_target.py"])
            guard let line = try await target.line(timeout: .seconds(20)), let targetPort = Int(line) else {
                await target.stop()
                throw SubprocessError(description: "the cache target did not start: \(target.stderr)")
            }
            let directory = try makeTemporaryDirectory()
            let yaml = """
                global: {event_loops: 2, shutdown_grace: 1s, access_log: false}
                admin: {bind: "127.0.0.1:0"}
                listeners:
                  - name: plain
                    bind: "127.0.0.1:0"
                    h2c: true
                    routes:
                      - {name: ttl, match: {path_prefix: /ttl/}, cache: {default_ttl: 60s}, forward: app}
                      - {name: locked, match: {path_prefix: /locked/}, cache: {purge: {allow: ["10.0.0.0/8"]}}, forward: app}
                      - {name: small, match: {path_prefix: /small/}, cache: {memory: 2KiB, max_object: 1KiB}, forward: app}
                      - {name: none, match: {path_prefix: /none/}, forward: app}
                      - {name: main, cache: {memory: 4MiB}, forward: app}
                target_groups:
                  app:
                    targets: ["127.0.0.1:\(targetPort)"]
                    health_check: {enabled: false}
                """
            let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "cache.yaml", baseDirectory: directory)
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let ports = try await server.start().map(\.port)
            return Running(server: server, target: target, targetPort: targetPort, http: ports[0], directory: directory)
        }

        func stop() async {
            await self.server.shutdown()
            await self.target.stop()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        func curl(_ arguments: [String]) async throws -> ProcessResult {
            let curl = try require(which("curl"), "curl")
            return try await run(curl, ["--silent", "--show-error", "--max-time", "20"] + arguments, timeout: 30)
        }

        /// A request through the proxy: the response head and body.
        func fetch(_ target: String, _ extra: [String] = []) async throws -> (head: String, body: String) {
            let file = self.directory + "/body-\(UUID().uuidString)"
            let result = try await self.curl(["--dump-header", "-", "--output", file] + extra + ["http://127.0.0.1:\(self.http)\(target)"])
            #expect(result.status == 0, "\(result.stderr)")
            let body = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: file)
            return (result.stdout, body)
        }

        /// How many requests for `target` reached the target (`kind: "304"`: answered 304).
        func count(_ target: String, kind: String? = nil) async throws -> Int {
            let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? target
            let url = "http://127.0.0.1:\(self.targetPort)/__count?target=\(encoded)" + (kind.map { "&kind=\($0)" } ?? "")
            return Int(try await self.curl([url]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }

        func admin(_ method: String, _ path: String) async throws -> String {
            guard let port = self.server.adminAddress?.port else { throw SubprocessError(description: "no admin listener") }
            return try await self.curl(["-X", method, "http://127.0.0.1:\(port)\(path)"]).stdout
        }
    }

    static func field(_ name: String, in head: String) -> String? { EdgePolicyIntegrationTests.field(name, in: head) }
    static func status(_ head: String) -> Int? { EdgePolicyIntegrationTests.status(head) }

    /// Fetches `target` twice; returns both responses and how many reached the target.
    func twice(_ proxy: Running, _ target: String, _ extra: [String] = []) async throws -> (first: (head: String, body: String), second: (head: String, body: String), count: Int) {
        let first = try await proxy.fetch(target, extra)
        let second = try await proxy.fetch(target, extra)
        return (first, second, try await proxy.count(target))
    }

    @Test func storesOnlyWhatTheRulesAllow() async throws {
        let proxy = try await Running.start()
        // Stored: explicit freshness (max-age, s-maxage, Expires, public with max-age).
        for target in ["/s?cc=max-age%3D60", "/s?cc=s-maxage%3D60", "/s?expires=60", "/s?cc=public%2Cmax-age%3D60", "/ttl/plain"] {
            let result = try await self.twice(proxy, target)
            #expect(result.count == 1, "\(target): \(result.count) requests reached the target")
            #expect(result.second.body == result.first.body, "\(target)")
            #expect(Self.field("Cache-Status", in: result.first.head)?.hasPrefix("portcullis; fwd=uri-miss") == true, "\(result.first.head)")
            #expect(Self.field("Cache-Status", in: result.first.head)?.contains("; stored") == true, "\(result.first.head)")
            #expect(Self.field("Cache-Status", in: result.second.head)?.hasPrefix("portcullis; hit; ttl=") == true, "\(result.second.head)")
            #expect(Self.field("Age", in: result.second.head) != nil)
        }
        // Not stored: each request reaches the target, and the reason is in Cache-Status.
        let refused: [(String, [String], String)] = [
            ("/n?cc=no-store", [], "detail=no-store"),
            ("/n?cc=private%2Cmax-age%3D60", [], "detail=private"),
            ("/n?cc=private%2Cs-maxage%3D60", [], "detail=private"),
            ("/n?cc=max-age%3D60&vary=*", [], "detail=vary-star"),
            ("/n?cc=max-age%3D60&cookie=1", [], "detail=set-cookie"),
            ("/n?cc=max-age%3D60&status=206", [], "detail=status"),
            ("/n?status=302", [], "detail=status"),
            // No freshness and no validators: nothing to serve it by (default_ttl 0).
            ("/n?plain=1", [], "detail=no-lifetime"),
            ("/n?cc=max-age%3D60&auth=1", ["-H", "Authorization: Bearer t"], "detail=authorization"),
            ("/n?cc=max-age%3D60&rq=1", ["-H", "Cache-Control: no-store"], "fwd=bypass; detail=no-store"),
            ("/n?cc=max-age%3D60&post=1", ["--data", ""], "fwd=method; detail=method"),
        ]
        for (target, extra, reason) in refused {
            let result = try await self.twice(proxy, target, extra)
            #expect(result.count == 2, "\(target): \(result.count) requests reached the target")
            #expect(result.first.body != result.second.body, "\(target)")
            #expect(Self.field("Cache-Status", in: result.second.head)?.contains(reason) == true, "\(target): \(result.second.head)")
        }
        // Authorization with public, s-maxage or must-revalidate: stored (RFC 9111 §3.5).
        for target in ["/a?cc=public%2Cmax-age%3D60", "/a?cc=s-maxage%3D60", "/a?cc=must-revalidate%2Cmax-age%3D60"] {
            let result = try await self.twice(proxy, target, ["-H", "Authorization: Bearer t"])
            #expect(result.count == 1, "\(target): \(result.count)")
        }
        // A client's no-cache goes to the target, and what comes back replaces the stored one.
        _ = try await proxy.fetch("/r?cc=max-age%3D60")
        let refreshed = try await proxy.fetch("/r?cc=max-age%3D60", ["-H", "Cache-Control: no-cache"])
        #expect(Self.field("Cache-Status", in: refreshed.head)?.hasPrefix("portcullis; fwd=request; fwd-status=200; stored") == true, "\(refreshed.head)")
        #expect(try await proxy.fetch("/r?cc=max-age%3D60").body == refreshed.body)
        #expect(try await proxy.count("/r?cc=max-age%3D60") == 2)
        // A route without a cache: no Cache-Status, every request forwarded.
        let plain = try await self.twice(proxy, "/none/x?cc=max-age%3D60")
        #expect(plain.count == 2 && Self.field("Cache-Status", in: plain.second.head) == nil)
        // Too large for max_object (1 KiB): streamed through, never stored.
        let large = try await self.twice(proxy, "/small/x?cc=max-age%3D60&pad=" + String(repeating: "x", count: 1200))
        #expect(large.count == 2)
        await proxy.stop()
    }

    @Test func aSetCookieResponseIsNeverServedToAnotherClient() async throws {
        let proxy = try await Running.start()
        let target = "/cookie?cc=public%2Cmax-age%3D60&cookie=1"
        let alice = try await proxy.fetch(target)
        let bob = try await proxy.fetch(target)
        #expect(Self.field("Set-Cookie", in: alice.head) == "id=1; Path=/")
        #expect(Self.field("Set-Cookie", in: bob.head) == "id=2; Path=/", "\(bob.head)")
        #expect(try await proxy.count(target) == 2)
        await proxy.stop()
    }

    @Test func varyKeepsOneResponsePerVariant() async throws {
        let proxy = try await Running.start()
        let target = "/v?cc=max-age%3D60&vary=Accept-Language"
        let english = try await proxy.fetch(target, ["-H", "Accept-Language: en"])
        let french = try await proxy.fetch(target, ["-H", "Accept-Language: fr"])
        #expect(Self.field("Cache-Status", in: french.head)?.hasPrefix("portcullis; fwd=vary-miss") == true, "\(french.head)")
        let englishAgain = try await proxy.fetch(target, ["-H", "Accept-Language: en"])
        let frenchAgain = try await proxy.fetch(target, ["-H", "Accept-Language: fr"])
        #expect(english.body.contains("lang=en") && french.body.contains("lang=fr"))
        #expect(englishAgain.body == english.body && frenchAgain.body == french.body)
        #expect(Self.field("Cache-Status", in: frenchAgain.head)?.hasPrefix("portcullis; hit") == true)
        #expect(try await proxy.count(target) == 2)
        await proxy.stop()
    }

    @Test func aStaleResponseIsRevalidatedWithItsValidators() async throws {
        let proxy = try await Running.start()
        for target in ["/e?cc=max-age%3D2&etag=v1", "/e?cc=max-age%3D2&lm=1", "/e?cc=no-cache&etag=v2"] {
            let first = try await proxy.fetch(target)
            if !target.contains("no-cache") { try await Task.sleep(for: .milliseconds(2200)) }
            let second = try await proxy.fetch(target)
            #expect(second.body == first.body, "\(target)")
            #expect(Self.status(second.head) == 200)
            #expect(Self.field("Cache-Status", in: second.head)?.hasPrefix("portcullis; fwd=stale; fwd-status=304") == true, "\(second.head)")
            #expect(try await proxy.count(target, kind: "304") == 1, "\(target)")
            if !target.contains("no-cache") {
                // Fresh again after the 304: served without asking.
                let third = try await proxy.fetch(target)
                #expect(Self.field("Cache-Status", in: third.head)?.hasPrefix("portcullis; hit") == true, "\(third.head)")
                #expect(try await proxy.count(target) == 2)
            }
        }
        // The client's own condition, answered from the cache.
        let target = "/e?cc=max-age%3D60&etag=v3"
        _ = try await proxy.fetch(target)
        let conditional = try await proxy.fetch(target, ["-H", "If-None-Match: \"v3\""])
        #expect(Self.status(conditional.head) == 304 && conditional.body.isEmpty)
        #expect(try await proxy.count(target) == 1)
        await proxy.stop()
    }

    @Test func staleWhileRevalidateServesStaleAndRevalidatesOnce() async throws {
        let proxy = try await Running.start()
        let target = "/w?cc=max-age%3D2%2Cstale-while-revalidate%3D30&delay=0.5"
        let first = try await proxy.fetch(target)
        try await Task.sleep(for: .milliseconds(2200))
        // Five requests while the revalidation (0.5 s at the target) is under way: the first is
        // surely answered stale at once; on a loaded machine the later ones may already find the
        // revalidated response (a fresh hit, its body the target's second).
        for index in 0..<5 {
            let stale = try await proxy.fetch(target)
            let status = Self.field("Cache-Status", in: stale.head) ?? ""
            if index == 0 || status.hasPrefix("portcullis; hit; fwd=stale") {
                #expect(status.hasPrefix("portcullis; hit; fwd=stale"), "\(stale.head)")
                #expect(stale.body == first.body)
            } else {
                #expect(status.hasPrefix("portcullis; hit; ttl="), "\(stale.head)")
                #expect(stale.body.contains("#2"), "\(stale.body)")
            }
        }
        var count = 0
        for _ in 0..<30 where count < 2 {
            try await Task.sleep(for: .milliseconds(100))
            count = try await proxy.count(target)
        }
        #expect(count == 2)
        try await Task.sleep(for: .milliseconds(700))
        let fresh = try await proxy.fetch(target)
        #expect(fresh.body.contains("#2"), "\(fresh.body)")
        #expect(Self.field("Cache-Status", in: fresh.head)?.hasPrefix("portcullis; hit; ttl=") == true, "\(fresh.head)")
        #expect(try await proxy.count(target) == 2)
        await proxy.stop()
    }

    @Test func staleIfErrorServesTheStoredResponseWhenTheTargetFails() async throws {
        let proxy = try await Running.start()
        // The target answers 503 from its second request on.
        let failing = "/f?cc=max-age%3D2%2Cstale-if-error%3D60&fail=1"
        let first = try await proxy.fetch(failing)
        // Without stale-if-error, the failure goes to the client.
        let strict = "/f?cc=max-age%3D2&fail=1"
        _ = try await proxy.fetch(strict)
        try await Task.sleep(for: .milliseconds(2200))
        let served = try await proxy.fetch(failing)
        #expect(Self.status(served.head) == 200 && served.body == first.body)
        #expect(Self.field("Cache-Status", in: served.head) == "portcullis; fwd=stale; fwd-status=503; detail=stale-if-error", "\(served.head)")
        #expect(Self.status(try await proxy.fetch(strict).head) == 503)
        // The target down altogether.
        let down = "/d?cc=max-age%3D2%2Cstale-if-error%3D60"
        let before = try await proxy.fetch(down)
        await proxy.target.stop()
        try await Task.sleep(for: .milliseconds(2200))
        let after = try await proxy.fetch(down)
        #expect(Self.status(after.head) == 200 && after.body == before.body, "\(after.head)")
        #expect(Self.field("Cache-Status", in: after.head)?.contains("detail=stale-if-error") == true, "\(after.head)")
        #expect(Self.status(try await proxy.fetch("/d?other=1").head) == 502)
        await proxy.stop()
    }

    /// Python: `n` connections, each sending one `GET path` at the same moment; prints the
    /// distinct `<status> <body>` answers, sorted.
    static let concurrentGets = """
        import http.client, sys, threading
        port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        results, barrier = [None] * n, threading.Barrier(n)
        def get(i):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            connection.connect()
            barrier.wait()
            connection.request("GET", path)
            response = connection.getresponse()
            results[i] = f"{response.status} {response.read().decode().strip()}"
        threads = [threading.Thread(target=get, args=(i,)) for i in range(n)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print("\\n".join(sorted(set(results))))
        """

    /// 100 concurrent requests over two event loops: one reaches the target.
    @Test func concurrentMissesCollapseIntoOneRequest() async throws {
        let proxy = try await Running.start()
        let python = try require(which("python3"), "python3")
        let script = Self.concurrentGets
        let cached = "/c?cc=max-age%3D60&delay=0.5"
        let result = try await run(python, ["-c", script, String(proxy.http), cached, "100"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n") == ["200 \(cached) #1 lang=-"], "\(result.stdout)")
        #expect(try await proxy.count(cached) == 1)
        // A fill that turns out uncacheable: its waiters go to the target themselves.
        let uncacheable = "/c?cc=no-store&delay=0.3"
        let each = try await run(python, ["-c", script, String(proxy.http), uncacheable, "20"], timeout: 60)
        #expect(each.status == 0, "\(each.stderr)")
        #expect(each.stdout.split(separator: "\n").count == 20, "\(each.stdout)")
        #expect(try await proxy.count(uncacheable) == 20)
        await proxy.stop()
    }

    /// A stale response's fill that finds the target failing: the requests collapsed behind it
    /// get the stale response too where `stale-if-error` allows, as the fill's own request
    /// does, and none of them goes to the failing target.
    @Test func collapsedRequestsGetTheStaleResponseWhenTheFillFails() async throws {
        let proxy = try await Running.start()
        let python = try require(which("python3"), "python3")
        // The target answers the first request (after 0.5 s), then 503 (after 0.5 s too).
        let target = "/cf?cc=max-age%3D1%2Cstale-if-error%3D60&fail=1&delay=0.5"
        let first = try await proxy.fetch(target)
        #expect(Self.status(first.head) == 200)
        try await Task.sleep(for: .milliseconds(2200))
        let result = try await run(python, ["-c", Self.concurrentGets, String(proxy.http), target, "20"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n") == ["200 \(first.body.trimmingCharacters(in: .whitespacesAndNewlines))"], "\(result.stdout)")
        #expect(try await proxy.count(target) == 2)
        // Without stale-if-error the collapsed requests go to the target themselves, as before.
        let strict = "/cs?cc=max-age%3D1&fail=1&delay=0.5"
        _ = try await proxy.fetch(strict)
        try await Task.sleep(for: .milliseconds(2200))
        let failing = try await run(python, ["-c", Self.concurrentGets, String(proxy.http), strict, "5"], timeout: 60)
        #expect(failing.stdout.split(separator: "\n") == ["503 down"], "\(failing.stdout)")
        #expect(try await proxy.count(strict) == 6)
        await proxy.stop()
    }

    @Test func purgeByMethodAndThroughTheAdminAPI() async throws {
        let proxy = try await Running.start()
        let target = "/p/one?cc=max-age%3D60"
        _ = try await proxy.fetch(target)
        let purged = try await proxy.fetch(target, ["-X", "PURGE"])
        #expect(Self.status(purged.head) == 200 && purged.body == "{\"purged\":1}\n", "\(purged)")
        #expect(Self.status(try await proxy.fetch(target, ["-X", "PURGE"]).head) == 404)
        _ = try await proxy.fetch(target)
        #expect(try await proxy.count(target) == 2)
        // Only from the addresses purge.allow lists.
        let locked = "/locked/x?cc=max-age%3D60"
        _ = try await proxy.fetch(locked)
        #expect(Self.status(try await proxy.fetch(locked, ["-X", "PURGE"]).head) == 403)
        _ = try await proxy.fetch(locked)
        #expect(try await proxy.count(locked) == 1)
        // By path prefix and by tag, for every route.
        for path in ["/assets/a.css?cc=max-age%3D60", "/assets/b.js?cc=max-age%3D60", "/other?cc=max-age%3D60&tag=red%20blue"] {
            _ = try await proxy.fetch(path)
        }
        let byPrefix = try await proxy.admin("DELETE", "/cache?prefix=/assets/")
        #expect(byPrefix.contains("\"purged\" : 2"), "\(byPrefix)")
        let byTag = try await proxy.admin("DELETE", "/cache?tag=blue")
        #expect(byTag.contains("\"purged\" : 1"), "\(byTag)")
        #expect(try await proxy.admin("DELETE", "/cache").contains("exactly one"))
        for path in ["/assets/a.css?cc=max-age%3D60", "/other?cc=max-age%3D60&tag=red%20blue"] {
            _ = try await proxy.fetch(path)
            #expect(try await proxy.count(path) == 2, "\(path)")
        }
        // What was done shows in the metrics.
        let metrics = try await proxy.admin("GET", "/metrics")
        for (route, result) in [("main", "miss"), ("main", "purge"), ("locked", "hit")] {
            #expect(metrics.contains("portcullis_cache_requests_total{route=\"\(route)\",result=\"\(result)\"}"), "\(result): \(metrics)")
        }
        #expect(metrics.contains("portcullis_requests_refused_total{listener=\"plain\",route=\"locked\",reason=\"purge_forbidden\",action=\"refused\"} 1"))
        #expect(metrics.contains("portcullis_cache_bytes{listener=\"plain\",route=\"main\",tier=\"memory\"}"), "\(metrics)")
        await proxy.stop()
    }

    @Test func http2ClientsGetTheSameStoredResponses() async throws {
        let proxy = try await Running.start()
        let target = "/h2?cc=max-age%3D60"
        let first = try await proxy.fetch(target, ["--http2-prior-knowledge"])
        #expect(first.head.hasPrefix("HTTP/2 200"), "\(first.head)")
        let second = try await proxy.fetch(target, ["--http2-prior-knowledge"])
        let third = try await proxy.fetch(target)
        #expect(second.head.hasPrefix("HTTP/2 200") && second.body == first.body)
        #expect(Self.field("Cache-Status", in: second.head)?.hasPrefix("portcullis; hit") == true, "\(second.head)")
        #expect(third.body == first.body)
        #expect(try await proxy.count(target) == 1)
        await proxy.stop()
    }

    /// The memory bound: with room for about one response, the least recently used goes.
    @Test func theMemoryTierEvictsTheLeastRecentlyUsed() async throws {
        let proxy = try await Running.start()
        let pad = String(repeating: "p", count: 400)
        let a = "/small/a?cc=max-age%3D60&pad=\(pad)"
        let b = "/small/b?cc=max-age%3D60&pad=\(pad)"
        _ = try await proxy.fetch(a)
        _ = try await proxy.fetch(b)
        _ = try await proxy.fetch(a)
        #expect(try await proxy.count(a) == 2)
        #expect(try await proxy.count(b) == 1)
        let metrics = try await proxy.admin("GET", "/metrics")
        #expect(metrics.contains("portcullis_cache_evictions_total{listener=\"plain\",route=\"small\",tier=\"memory\"}"), "\(metrics)")
        await proxy.stop()
    }
}
