import ProxyDefaults
import Testing

@testable import ProxyConfig

/// `routes[].compression` (docs/content.md): the defaults, every key read, and every mistake
/// reported at once with its place.
struct CompressionConfigTests {
    @Test func onByDefaultWithTheDefaults() throws {
        let fixture = try ConfigFixture()
        let route = try fixture.parse(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:9"]}
            """
        ).listeners[0].routes[0]
        #expect(route.compression.enabled)
        #expect(route.compression.encodings == [.zstd, .br, .gzip])
        #expect(route.compression.minBytes == 1024)
        #expect(route.compression.types == Defaults.Compression.types)
        #expect(route.compression.types.contains("application/json") && route.compression.types.contains("text/*"))
        #expect(route.compression.gzipLevel == 1 && route.compression.brotliLevel == 1 && route.compression.zstdLevel == 3)
    }

    @Test func everyKeyIsRead() throws {
        let fixture = try ConfigFixture()
        let routes = try fixture.parse(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                routes:
                  - match: {path_prefix: /a}
                    compression: {encodings: [gzip, zstd], min_bytes: 4KiB, types: [Text/HTML, application/*], level: {gzip: 6, br: 11, zstd: 19}}
                    forward: web
                  - match: {path_prefix: /b}
                    compression: false
                    forward: web
                  - match: {path_prefix: /c}
                    compression: true
                    forward: web
                  - match: {path_prefix: /d}
                    compression: {level: {br: 0}}
                    forward: web
                  - fixed_response: {status: 200}
                    compression: false
            target_groups:
              web: {targets: ["127.0.0.1:9"]}
            """
        ).listeners[0].routes
        let a = routes[0].compression
        #expect(a.enabled && a.encodings == [.gzip, .zstd] && a.minBytes == 4096)
        #expect(a.types == ["text/html", "application/*"])
        #expect(a.gzipLevel == 6 && a.brotliLevel == 11 && a.zstdLevel == 19)
        #expect(!routes[1].compression.enabled)
        #expect(routes[2].compression == CompressionConfiguration())
        #expect(routes[3].compression.brotliLevel == 0 && routes[3].compression.gzipLevel == 1)
        #expect(!routes[4].compression.enabled)
    }

    @Test func everyMistakeAtOnce() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                routes:
                  - match: {path_prefix: /a}
                    compression: {encodings: [gzip, deflate, gzip], min_bytes: lots, types: [json, "text/html; charset=utf-8"], level: 5, speed: 1}
                    forward: web
                  - match: {path_prefix: /b}
                    compression: {encodings: [], types: [], level: {gzip: 10, br: 12, zstd: 0, lz4: 1}}
                    forward: web
                  - fixed_response: {status: 200}
                    compression: true
                  - compression: yes please
                    forward: web
            target_groups:
              web: {targets: ["127.0.0.1:9"]}
            """
        )
        let expected = [
            "listeners[0].routes[0].compression.speed: unknown key \"speed\"",
            "listeners[0].routes[0].compression.encodings[1]: unknown encoding \"deflate\" (expected one of: zstd, br, gzip)",
            "listeners[0].routes[0].compression.encodings[2]: gzip is listed twice",
            "listeners[0].routes[0].compression.min_bytes: invalid size \"lots\"",
            "listeners[0].routes[0].compression.types[0]: \"json\" is not a media type (type/subtype, or type/* for a whole type; no parameters)",
            "listeners[0].routes[0].compression.types[1]: \"text/html; charset=utf-8\" is not a media type",
            "listeners[0].routes[0].compression.level: a level is set per encoding, each on its library's scale: such as {gzip: 6, br: 5, zstd: 3} (gzip 1...9, br 0...11, zstd 1...19)",
            "listeners[0].routes[1].compression.encodings: needs at least one of zstd, br, gzip (write compression: false to turn compression off)",
            "listeners[0].routes[1].compression.types: needs at least one media type",
            "listeners[0].routes[1].compression.level.gzip: must be in 1...9 (got 10)",
            "listeners[0].routes[1].compression.level.br: must be in 0...11 (got 12)",
            "listeners[0].routes[1].compression.level.zstd: must be in 1...19 (got 0)",
            "listeners[0].routes[1].compression.level.lz4: unknown key \"lz4\"",
            "listeners[0].routes[2].compression: only a route that forwards compresses its responses (this one answers itself)",
            "listeners[0].routes[3].compression: expected a mapping, got",
        ]
        for fragment in expected {
            #expect(errors.contains { $0.contains(fragment) }, "missing: \(fragment)\nall: \(errors.joined(separator: "\n"))")
        }
        // Each with its place: `file:line:column: key: message`.
        #expect(errors.contains { $0.hasPrefix("test.yaml:5:41: listeners[0].routes[0].compression.encodings[1]: ") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:8:63: listeners[0].routes[1].compression.level.gzip: ") })
        #expect(errors.count == expected.count, "all: \(errors.joined(separator: "\n"))")
    }
}
