import Foundation
import ProxyDefaults
import Testing

@testable import ProxyConfig

/// `routes[].cache` (docs/content.md): off by default, every key read, every mistake at once.
struct CacheConfigTests {
    @Test func offByDefaultAndEveryKeyRead() throws {
        let fixture = try ConfigFixture()
        let routes = try fixture.parse(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                routes:
                  - {match: {path_prefix: /a}, cache: {memory: 64MiB, max_object: 1MiB, default_ttl: 30s, purge: {allow: [10.0.0.0/8]}}, forward: web}
                  - {match: {path_prefix: /b}, cache: true, forward: web}
                  - {match: {path_prefix: /c}, cache: {memory: 1MiB}, forward: web}
                  - {forward: web}
                  - {match: {path_prefix: /d}, cache: {disk: {path: cache/d}}, forward: web}
                  - {match: {path_prefix: /e}, cache: {disk: {path: /tmp/../tmp/portcullis-e, size: 1GiB}}, forward: web}
            target_groups:
              web: {targets: ["127.0.0.1:9"]}
            """
        ).listeners[0].routes
        let a = try #require(routes[0].cache)
        #expect(a.memoryBytes == 64 << 20 && a.maxObjectBytes == 1 << 20 && a.defaultTTL == .seconds(30))
        #expect(a.purgeAllow.map(\.description) == ["10.0.0.0/8"])
        #expect(routes[1].cache == CacheConfiguration())
        #expect(routes[1].cache?.memoryBytes == Defaults.Cache.memoryBytes && routes[1].cache?.purgeAllow.count == 2)
        // A memory tier smaller than the default max_object caps it.
        #expect(routes[2].cache?.maxObjectBytes == 1 << 20)
        #expect(routes[3].cache == nil)
        #expect(routes[0].cache?.disk == nil)
        // Relative to the configuration file's directory; made when the tier starts, not by the check.
        #expect(routes[4].cache?.disk == CacheConfiguration.Disk(path: fixture.directory + "/cache/d", sizeBytes: Defaults.Cache.diskBytes))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/cache/d"))
        #expect(routes[5].cache?.disk == CacheConfiguration.Disk(path: "/tmp/portcullis-e", sizeBytes: 1 << 30))
    }

    @Test func everyMistakeAtOnce() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                routes:
                  - {match: {path_prefix: /a}, cache: {memory: lots, max_object: 2MiB, default_ttl: soon, purge: {allow: [nowhere]}, colour: red}, forward: web}
                  - {match: {path_prefix: /b}, cache: {memory: 1MiB, max_object: 2MiB, disk: {path: certs/localhost.pem, size: 1GiB}}, forward: web}
                  - {match: {path_prefix: /c}, cache: true, fixed_response: {status: 200}}
                  - {match: {path_prefix: /d}, cache: {disk: {size: huge}}, forward: web}
                  - {match: {path_prefix: /e}, cache: {disk: {path: certs/localhost.pem/below, colour: red}}, forward: web}
                  - {match: {path_prefix: /f}, cache: {disk: {path: ""}}, forward: web}
            target_groups:
              web: {targets: ["127.0.0.1:9"]}
            """
        )
        for fragment in [
            "routes[0].cache.memory: ",
            "routes[0].cache.default_ttl: ",
            "routes[0].cache.purge.allow[0]: ",
            "routes[0].cache.colour: unknown key",
            "routes[1].cache.max_object: max_object (2097152 bytes) is larger than memory (1048576 bytes)",
            "routes[1].cache.disk.path: is not a directory: \(fixture.directory)/certs/localhost.pem",
            "routes[3].cache.disk.size: ",
            "routes[3].cache.disk: path is required",
            "routes[4].cache.disk.colour: unknown key",
            "routes[4].cache.disk.path: cannot be made: \(fixture.directory)/certs/localhost.pem is not a directory",
            "routes[5].cache.disk.path: must not be empty",
            "routes[2].cache: only a route that forwards has a cache",
        ] {
            #expect(errors.contains { $0.contains(fragment) }, "missing: \(fragment)\nall: \(errors.joined(separator: "\n"))")
        }
        #expect(errors.contains { $0.hasPrefix("test.yaml:5:") && $0.contains("routes[1].cache.max_object") }, "\(errors)")
    }
}
