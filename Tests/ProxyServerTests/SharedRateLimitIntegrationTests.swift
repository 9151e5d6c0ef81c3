import Foundation
import Testing

/// `shared: true` rate limits: two `portcullis` processes share one bucket through a real
/// `redis-server` (started by the test on a free port), and fail open when Redis goes away.
@Suite(.serialized)
struct SharedRateLimitIntegrationTests {
    /// A `portcullis run` process, spawned from a thread with no signal blocked (so that
    /// SIGTERM stops it; see RedisServer).
    static func portcullis(_ configuration: String) async throws -> PeerProcess {
        let binary = packageRoot + "/.build/debug/portcullis"
        return try await PeerProcess.launch(binary, ["run", "-c", configuration], name: "portcullis")
    }

    static func status(_ url: String) async throws -> Int {
        let curl = try require(which("curl"), "curl")
        let result = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url], timeout: 10)
        return Int(result.stdout) ?? 0
    }

    @Test func twoInstancesShareOneBucketAndFailOpenWithoutRedis() async throws {
        let redis = try await RedisServer.start()
        let backend = try await TestBackend()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var instances: [(process: PeerProcess, port: Int, admin: Int)] = []
        for index in 0..<2 {
            let (port, admin) = (try await stablePort(), try await stablePort())
            let file = directory + "/instance-\(index).yaml"
            try """
                global: {event_loops: 1, access_log: false, shutdown_grace: 1s, redis: {address: "127.0.0.1:\(redis.port)"}}
                admin: {bind: "127.0.0.1:\(admin)"}
                listeners:
                  - name: api
                    bind: "127.0.0.1:\(port)"
                    routes:
                      - {rate_limits: [{rate: 1/m, burst: 3, shared: true}], forward: web}
                target_groups:
                  web: {targets: ["127.0.0.1:\(backend.port)"], health_check: {enabled: false}}
                """.write(toFile: file, atomically: true, encoding: .utf8)
            instances.append((try await Self.portcullis(file), port, admin))
        }
        // Both up (a 200 costs a token: wait on the admin API instead).
        for instance in instances {
            let deadline = ContinuousClock.now + .seconds(20)
            while try await Self.status("http://127.0.0.1:\(instance.admin)/ready") != 200 {
                guard ContinuousClock.now < deadline else {
                    throw SubprocessError(description: "portcullis did not start: \(instance.process.stderr)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        // One bucket of three for both: A, B, A pass; then neither.
        let a = "http://127.0.0.1:\(instances[0].port)/"
        let b = "http://127.0.0.1:\(instances[1].port)/"
        #expect(try await Self.status(a) == 200)
        #expect(try await Self.status(b) == 200)
        #expect(try await Self.status(a) == 200)
        #expect(try await Self.status(b) == 429)
        #expect(try await Self.status(a) == 429)
        let keys = try await redis.cli("--scan", "--pattern", "portcullis:rl:*")
        #expect(keys.split(separator: "\n").count == 1, "one bucket in Redis: \(keys)")

        // Redis gone: the limit lets requests through, and says so.
        await redis.stop()
        #expect(try await Self.status(a) == 200)
        #expect(try await Self.status(b) == 200)
        let curl = try require(which("curl"), "curl")
        let metrics = try await run(curl, ["-s", "http://127.0.0.1:\(instances[0].admin)/metrics"]).stdout
        #expect(metrics.contains("portcullis_rate_limit_redis_errors_total{listener=\"api\"}"), "\(metrics.prefix(2000))")
        #expect(instances[0].process.stderr.contains("shared rate limit: Redis gave no answer"))
        for instance in instances {
            await instance.process.stop()
        }
        await backend.stop()
    }
}
