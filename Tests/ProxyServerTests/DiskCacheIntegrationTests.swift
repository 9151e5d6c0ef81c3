import Foundation
import Logging
import NIOCore
import ProxyConfig
import ProxyServer
import Testing

/// The disk tier of the HTTP cache (`cache.disk`, decision 0029) through a real listener, in
/// front of the recording Python target (Peers/cache_target.py, which counts the requests it
/// gets), with curl as the client: responses kept across a restart of the proxy (a new
/// `ProxyServer` from the same configuration; only the directory carries them over), purges
/// that stay done, and the size bound.
@Suite(.serialized)
struct DiskCacheIntegrationTests {
    final class Running: @unchecked Sendable {
        var server: ProxyServer
        let configuration: ProxyConfiguration
        let target: PeerProcess
        let targetPort: Int
        var http: Int
        let directory: String

        init() async throws {
            let python = try require(which("python3"), "python3")
            let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path
            let target = try PeerProcess(python, [peers + "/cache_target.py"])
            guard let line = try await target.line(timeout: .seconds(20)), let targetPort = Int(line) else {
                await target.stop()
                throw SubprocessError(description: "the cache target did not start: \(target.stderr)")
            }
            self.target = target
            self.targetPort = targetPort
            self.directory = try makeTemporaryDirectory()
            // The paths are relative to the configuration file's directory.
            let yaml = """
                global: {event_loops: 2, shutdown_grace: 1s, access_log: false}
                admin: {bind: "127.0.0.1:0"}
                listeners:
                  - name: plain
                    bind: "127.0.0.1:0"
                    routes:
                      - {name: tiny, match: {path_prefix: /tiny/}, cache: {memory: 1MiB, disk: {path: tiny-cache, size: 3KiB}}, forward: app}
                      - {name: main, cache: {memory: 4MiB, disk: {path: cache/main}}, forward: app}
                target_groups:
                  app:
                    targets: ["127.0.0.1:\(targetPort)"]
                    health_check: {enabled: false}
                """
            self.configuration = try ProxyConfiguration.parse(yaml: yaml, file: "disk.yaml", baseDirectory: self.directory)
            (self.server, self.http) = try await Self.serve(self.configuration)
        }

        static func serve(_ configuration: ProxyConfiguration) async throws -> (ProxyServer, Int) {
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            return (server, try await server.start()[0].port)
        }

        /// Stops the proxy and starts a new one from the same configuration (the target goes on
        /// counting).
        func restart() async throws {
            await self.server.shutdown()
            (self.server, self.http) = try await Self.serve(self.configuration)
        }

        func stop() async {
            await self.server.shutdown()
            await self.target.stop()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        /// The cache tests' client helpers (curl, the target's counts, the admin API) on the proxy running now.
        private var client: CacheIntegrationTests.Running {
            CacheIntegrationTests.Running(server: self.server, target: self.target, targetPort: self.targetPort, http: self.http, directory: self.directory)
        }

        func curl(_ arguments: [String]) async throws -> ProcessResult { try await self.client.curl(arguments) }
        /// A request with a fixed `Host` (part of the key), the same whatever port the proxy listens on.
        func fetch(_ target: String) async throws -> (head: String, body: String) {
            try await self.client.fetch(target, ["-H", "Host: disk.test"])
        }
        func count(_ target: String) async throws -> Int { try await self.client.count(target) }
        func admin(_ method: String, _ path: String) async throws -> String { try await self.client.admin(method, path) }

        /// A `portcullis_cache_*` gauge of the disk tier of `route`.
        func disk(_ metric: String, route: String) async throws -> Double? {
            let prefix = "\(metric){listener=\"plain\",route=\"\(route)\",tier=\"disk\"} "
            let metrics = try await self.admin("GET", "/metrics")
            return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        }

        /// Waits (bounded) until the disk tier of `route` holds `objects` (writes are in the background).
        func waitForDisk(objects: Int, route: String = "main") async throws {
            for _ in 0..<100 {
                if try await self.disk("portcullis_cache_objects", route: route) == Double(objects) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("the disk tier of \(route) did not reach \(objects) objects")
        }
    }

    static func field(_ name: String, in head: String) -> String? { EdgePolicyIntegrationTests.field(name, in: head) }

    @Test func storedResponsesSurviveARestartAndPurgesStayDone() async throws {
        let proxy = try await Running()
        let kept = "/r?cc=max-age%3D600"
        let purged = "/p?cc=max-age%3D600"
        let tagged = "/t?cc=max-age%3D600&tag=gone"
        let first = try await proxy.fetch(kept)
        _ = try await proxy.fetch(purged)
        _ = try await proxy.fetch(tagged)
        try await proxy.waitForDisk(objects: 3)
        #expect(try await proxy.curl(["-X", "PURGE", "-H", "Host: disk.test", "http://127.0.0.1:\(proxy.http)\(purged)"]).stdout.contains("\"purged\":1"))
        #expect(try await proxy.admin("DELETE", "/cache?tag=gone").replacingOccurrences(of: " ", with: "").contains("\"purged\":1"))
        try await proxy.waitForDisk(objects: 1)
        #expect(FileManager.default.fileExists(atPath: proxy.directory + "/cache/main"))

        try await Task.sleep(for: .milliseconds(1100))
        try await proxy.restart()
        try await proxy.waitForDisk(objects: 1)
        let again = try await proxy.fetch(kept)
        #expect(again.body == first.body, "\(again.body)")
        #expect(Self.field("Cache-Status", in: again.head)?.hasPrefix("portcullis; hit; ttl=") == true, "\(again.head)")
        #expect(Self.field("Cache-Status", in: again.head)?.hasSuffix("; detail=disk") == true, "\(again.head)")
        #expect((Self.field("Age", in: again.head).flatMap { Int($0) } ?? 0) >= 1, "\(again.head)")
        #expect(try await proxy.count(kept) == 1)
        // Now in memory again: no second read from disk.
        let third = try await proxy.fetch(kept)
        #expect(Self.field("Cache-Status", in: third.head)?.contains("detail=disk") == false, "\(third.head)")
        #expect(try await proxy.count(kept) == 1)
        // What was purged before the restart stays purged.
        _ = try await proxy.fetch(purged)
        _ = try await proxy.fetch(tagged)
        #expect(try await proxy.count(purged) == 2)
        #expect(try await proxy.count(tagged) == 2)
        await proxy.stop()
    }

    /// Concurrent requests for a key only on disk: one read, no request to the target.
    @Test func concurrentRequestsForAKeyOnDiskReachNoTarget() async throws {
        let proxy = try await Running()
        let target = "/c?cc=max-age%3D600"
        _ = try await proxy.fetch(target)
        try await proxy.waitForDisk(objects: 1)
        try await proxy.restart()
        try await proxy.waitForDisk(objects: 1)
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try await proxy.fetch(target).head }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { Self.field("Cache-Status", in: $0)?.hasPrefix("portcullis; hit") == true }, "\(results)")
        #expect(try await proxy.count(target) == 1)
        await proxy.stop()
    }

    /// `size: 3KiB` holds about three of these records: the least recently used file goes, and
    /// stays gone after a restart.
    @Test func theSizeBoundEvictsTheLeastRecentlyUsedFiles() async throws {
        let proxy = try await Running()
        let pad = String(repeating: "p", count: 300)
        let targets = (0..<4).map { "/tiny/\($0)?cc=max-age%3D600&pad=\(pad)" }
        for target in targets {
            _ = try await proxy.fetch(target)
        }
        var evictions = 0.0
        for _ in 0..<100 where evictions == 0 {
            evictions = try await proxy.disk("portcullis_cache_evictions_total", route: "tiny") ?? 0
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(evictions >= 1)
        #expect((try await proxy.disk("portcullis_cache_bytes", route: "tiny") ?? .infinity) <= 3072)
        try await proxy.restart()
        let newest = try await proxy.fetch(targets[3])
        #expect(Self.field("Cache-Status", in: newest.head)?.hasSuffix("detail=disk") == true, "\(newest.head)")
        let oldest = try await proxy.fetch(targets[0])
        #expect(Self.field("Cache-Status", in: oldest.head)?.hasPrefix("portcullis; fwd=uri-miss") == true, "\(oldest.head)")
        #expect(try await proxy.count(targets[3]) == 1)
        #expect(try await proxy.count(targets[0]) == 2)
        await proxy.stop()
    }
}
