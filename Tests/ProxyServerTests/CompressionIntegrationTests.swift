import Foundation
import Logging
import NIOCore
import ProxyConfig
import ProxyServer
import ProxyTLS
import Testing

/// Response compression through real listeners (docs/content.md), against an independent Python
/// target (Peers/compression_target.py) and independent clients and decoders: curl
/// `--compressed` (its own zlib, brotli and zstd), raw `Accept-Encoding` values decoded by
/// Python's gzip and the `brotli` and `zstd` tools, HTTP/2 through curl and nghttp.
@Suite(.serialized)
struct CompressionIntegrationTests {
    /// The proxy (plain HTTP and HTTPS with h2) in front of the Python target.
    struct Running {
        let server: ProxyServer
        let target: PeerProcess
        let http: Int
        let https: Int
        let directory: String
        let certificates: DevCertificatePaths
        let peers: String

        static func start(compression: String = "") async throws -> Running {
            let python = try require(which("python3"), "python3")
            let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path
            let target = try PeerProcess(python, [peers + "/compression_target.py"])
            guard let line = try await target.line(timeout: .seconds(20)), let targetPort = Int(line) else {
                await target.stop()
                throw SubprocessError(description: "the compression target did not start: \(target.stderr)")
            }
            let directory = try makeTemporaryDirectory()
            let certificates = try DevCertificateAuthority.ensure(directory: directory)
            let yaml = """
                global: {event_loops: 1, shutdown_grace: 1s, access_log: false}
                admin: {bind: "127.0.0.1:0"}
                listeners:
                  - name: plain
                    bind: "127.0.0.1:0"
                    routes:
                      - {match: {path_prefix: /off}, compression: false, rewrite: {strip_prefix: /off}, forward: app}
                      - {\(compression.isEmpty ? "" : "compression: \(compression), ")forward: app}
                  - name: secure
                    bind: "127.0.0.1:0"
                    tls: {certificates: [{cert: \(certificates.certificate), key: \(certificates.privateKey)}]}
                    routes: [{forward: app}]
                target_groups:
                  app:
                    targets: ["127.0.0.1:\(targetPort)"]
                    health_check: {enabled: false}
                """
            let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "compression.yaml", baseDirectory: directory)
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let ports = try await server.start().map(\.port)
            return Running(server: server, target: target, http: ports[0], https: ports[1], directory: directory, certificates: certificates, peers: peers)
        }

        func stop() async {
            await self.server.shutdown()
            await self.target.stop()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        var base: String { "http://127.0.0.1:\(self.http)" }

        func curl(_ arguments: [String], timeout: TimeInterval = 60) async throws -> ProcessResult {
            let curl = try require(which("curl"), "curl")
            return try await run(curl, ["--silent", "--show-error", "--cacert", self.certificates.caCertificate] + arguments, timeout: timeout)
        }

        /// The response head (curl `--include` with the body to a file) and the raw body bytes.
        func fetch(_ path: String, _ extra: [String] = [], url: String? = nil) async throws -> (head: String, body: Data) {
            let file = self.directory + "/body-\(UUID().uuidString)"
            let result = try await self.curl(["--dump-header", "-", "--output", file] + extra + [url ?? self.base + path])
            #expect(result.status == 0, "\(result.stderr)")
            let body = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            try? FileManager.default.removeItem(atPath: file)
            return (result.stdout, body)
        }

        /// What the target sends for /json, read from the peer itself.
        func json() async throws -> Data {
            let python = try require(which("python3"), "python3")
            let result = try await run(python, [self.peers + "/compression_target.py", "json"])
            return Data(result.stdout.utf8)
        }

        /// `bytes` decoded with an independent decoder for `coding`.
        func decode(_ bytes: Data, _ coding: String) async throws -> Data {
            let file = self.directory + "/encoded-\(UUID().uuidString)"
            try bytes.write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let command: [String]
            switch coding {
            case "gzip": command = [try require(which("python3"), "python3"), "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],'rb').read()))", file]
            case "br": command = [try require(which("brotli"), "brotli (make test installs it)"), "--decompress", "--stdout", file]
            case "zstd": command = [try require(which("zstd"), "zstd (make test installs it)"), "--decompress", "--stdout", "--quiet", file]
            default: throw SubprocessError(description: "no decoder for \(coding)")
            }
            let result = try await run(command[0], Array(command.dropFirst()))
            #expect(result.status == 0, "\(coding) decoder: \(result.stderr)")
            return Data(result.stdout.utf8)
        }

        func metrics() async throws -> String {
            guard let port = self.server.adminAddress?.port else { throw SubprocessError(description: "no admin listener") }
            return try await self.curl(["http://127.0.0.1:\(port)/metrics"]).stdout
        }
    }

    static func field(_ name: String, in head: String) -> String? {
        EdgePolicyIntegrationTests.field(name, in: head)
    }

    static func status(_ head: String) -> Int? {
        EdgePolicyIntegrationTests.status(head)
    }

    @Test func curlCompressedGetsEachCodingAndDecodesTheOriginal() async throws {
        let proxy = try await Running.start()
        let original = try await proxy.json()
        #expect(original.count == 100 * 1024)
        for coding in ["gzip", "br", "zstd"] {
            // curl asks for one coding and decodes it itself (its own zlib, brotli, zstd).
            let decoded = try await proxy.fetch("/json", ["--compressed", "-H", "Accept-Encoding: \(coding)"])
            #expect(Self.field("Content-Encoding", in: decoded.head) == coding, "\(decoded.head)")
            #expect(decoded.body == original, "\(coding): curl decoded \(decoded.body.count) bytes")
            // The raw bytes, decoded by another program.
            let raw = try await proxy.fetch("/json", ["-H", "Accept-Encoding: \(coding)"])
            #expect(raw.body.count < original.count / 4, "\(coding): \(raw.body.count) bytes")
            #expect(try await proxy.decode(raw.body, coding) == original)
            // The head of a compressed response.
            #expect(Self.field("Content-Length", in: raw.head) == nil)
            #expect(Self.field("Transfer-Encoding", in: raw.head) == "chunked")
            #expect(Self.field("ETag", in: raw.head) == "W/\"v1\"")
            #expect(Self.field("Vary", in: raw.head) == "Origin, Accept-Encoding")
            #expect(Self.field("Accept-Ranges", in: raw.head) == nil)
        }
        // curl's own --compressed list (deflate, gzip, br, zstd): our preference, zstd.
        let preferred = try await proxy.fetch("/json", ["--compressed"])
        #expect(Self.field("Content-Encoding", in: preferred.head) == "zstd")
        #expect(preferred.body == original)
        // A chunked response is compressed as it comes.
        let chunked = try await proxy.fetch("/json-chunked", ["--compressed", "-H", "Accept-Encoding: gzip"])
        #expect(Self.field("Content-Encoding", in: chunked.head) == "gzip")
        #expect(chunked.body == original)
        let metrics = try await proxy.metrics()
        #expect(metrics.contains("portcullis_compressed_responses_total{encoding=\"gzip\"} 3"), "\(metrics)")
        #expect(metrics.contains("portcullis_compression_bytes_total{direction=\"in\",encoding=\"br\"} 204800"))
        await proxy.stop()
    }

    @Test func acceptEncodingValuesDecide() async throws {
        let proxy = try await Running.start()
        let cases: [(String?, String?)] = [
            (nil, nil),
            ("identity", nil),
            ("gzip;q=0, br;q=0, zstd;q=0", nil),
            ("*;q=0", nil),
            ("compress, lzma", nil),
            ("gzip;q=0.5, identity", nil),
            ("GZIP", "gzip"),
            ("x-gzip", "gzip"),
            ("gzip, br", "br"),
            ("br;q=0.5, gzip", "gzip"),
            ("*", "zstd"),
            ("*, zstd;q=0", "br"),
            ("identity;q=0, gzip;q=0.1", "gzip"),
        ]
        for (accept, expected) in cases {
            let header = accept.map { ["-H", "Accept-Encoding: \($0)"] } ?? []
            let response = try await proxy.fetch("/json", header)
            #expect(Self.status(response.head) == 200)
            #expect(Self.field("Content-Encoding", in: response.head) == expected, "Accept-Encoding: \(accept ?? "(none)")")
            if expected == nil {
                #expect(Self.field("Content-Length", in: response.head) == "102400")
                #expect(Self.field("ETag", in: response.head) == "\"v1\"")
                #expect(response.body.count == 102_400)
            }
        }
        await proxy.stop()
    }

    @Test func whatIsNeverCompressed() async throws {
        let proxy = try await Running.start()
        let accept = ["-H", "Accept-Encoding: gzip, br, zstd"]
        // Already encoded by the target: passed on as it is.
        let encoded = try await proxy.fetch("/encoded", accept)
        #expect(Self.field("Content-Encoding", in: encoded.head) == "gzip")
        #expect(try await proxy.decode(encoded.body, "gzip") == (try await proxy.json()))
        #expect(Self.field("Content-Length", in: encoded.head) == String(encoded.body.count))
        // A 206, no-transform, a type not listed, a body under min_bytes, a route with it off.
        for path in ["/partial", "/no-transform", "/png", "/small", "/off/json"] {
            let response = try await proxy.fetch(path, accept)
            #expect(Self.field("Content-Encoding", in: response.head) == nil, "\(path): \(response.head)")
            #expect(Self.field("Content-Length", in: response.head) != nil, "\(path)")
            #expect(Self.field("Vary", in: response.head) != "Origin, Accept-Encoding", "\(path)")
        }
        // HEAD: the head a GET without compression has.
        let head = try await proxy.curl(["--head", "-H", "Accept-Encoding: gzip", proxy.base + "/json"])
        #expect(Self.status(head.stdout) == 200)
        #expect(Self.field("Content-Encoding", in: head.stdout) == nil && Self.field("Content-Length", in: head.stdout) == "102400")
        // An HTTP/1.0 client: as it is (a compressed body would cost it its connection).
        let old = try await proxy.fetch("/json", ["--http1.0"] + accept)
        #expect(Self.field("Content-Encoding", in: old.head) == nil && old.body.count == 102_400)
        await proxy.stop()
    }

    @Test func http2ClientsGetCompressedDataFrames() async throws {
        let proxy = try await Running.start()
        let original = try await proxy.json()
        let url = "https://localhost:\(proxy.https)/json"
        for coding in ["gzip", "br", "zstd"] {
            let response = try await proxy.fetch("", ["--http2", "--compressed", "-H", "Accept-Encoding: \(coding)"], url: url)
            #expect(response.head.hasPrefix("HTTP/2 200"), "\(response.head)")
            #expect(Self.field("content-encoding", in: response.head) == coding)
            #expect(Self.field("content-length", in: response.head) == nil)
            #expect(Self.field("vary", in: response.head) == "Origin, Accept-Encoding")
            #expect(response.body == original)
        }
        // nghttp (nghttp2's client) with its own gzip decoding (`--get-assets` off, `-a` off).
        let nghttp = try require(which("nghttp"), "nghttp")
        let result = try await run(nghttp, ["-v", "-n", "-H", "accept-encoding: gzip", url], timeout: 30)
        #expect(result.stdout.contains("content-encoding: gzip"), "\(result.stdout.suffix(2000)) \(result.stderr)")
        #expect(result.stdout.contains("END_STREAM"))
        await proxy.stop()
    }

    /// 64 MiB through gzip to a slow reader: the proxy's memory stays far under the body (the
    /// body is base64 of random bytes, so even its compressed form is ~48 MiB: buffering either
    /// would show), and what curl decodes is the target's body, byte for byte.
    @Test func aLongBodyStreamsInBoundedMemory() async throws {
        let proxy = try await Running.start()
        let size = 64 * 1024 * 1024
        let python = try require(which("python3"), "python3")
        let expected = try await run(python, [proxy.peers + "/compression_target.py", "digest", String(size)]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let baseline = currentRSS()
        let peak = PeakSampler()
        let sampler = Task.detached {
            while !Task.isCancelled {
                peak.record(currentRSS())
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let curl = try require(which("curl"), "curl")
        let script = "'\(curl)' -sS --compressed -H 'Accept-Encoding: gzip' --limit-rate 32M -D '\(proxy.directory)/head' '\(proxy.base)/stream?bytes=\(size)'"
            + " | python3 -c 'import hashlib,sys; d=hashlib.sha256(); n=0\nfor b in iter(lambda: sys.stdin.buffer.read(1<<20), b\"\"): d.update(b); n+=len(b)\nprint(d.hexdigest(), n)'"
        let result = try await run("/bin/sh", ["-c", script], timeout: 120)
        sampler.cancel()
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "\(result.stderr)")
        let head = (try? String(contentsOfFile: proxy.directory + "/head", encoding: .utf8)) ?? ""
        #expect(Self.field("Content-Encoding", in: head) == "gzip", "\(head)")
        let growth = peak.value - baseline
        #expect(growth < 24 * 1024 * 1024, "proxy memory grew by \(growth / 1024 / 1024) MiB for a 64 MiB body")
        let metrics = try await proxy.metrics()
        #expect(metrics.contains("portcullis_compression_bytes_total{direction=\"in\",encoding=\"gzip\"} \(size)"), "\(metrics)")
        await proxy.stop()
    }

    @Test func configuredEncodingsAndLevels() async throws {
        let proxy = try await Running.start(compression: "{encodings: [gzip], min_bytes: 200KiB, level: {gzip: 9}}")
        // 100 KiB with a Content-Length under min_bytes: as it is.
        let small = try await proxy.fetch("/json", ["-H", "Accept-Encoding: gzip"])
        #expect(Self.field("Content-Encoding", in: small.head) == nil)
        // Without a length it is compressed, with the only coding offered, at level 9.
        let chunked = try await proxy.fetch("/json-chunked", ["-H", "Accept-Encoding: zstd, br, gzip;q=0.1"])
        #expect(Self.field("Content-Encoding", in: chunked.head) == "gzip")
        let original = try await proxy.json()
        #expect(try await proxy.decode(chunked.body, "gzip") == original)
        let zstdOnly = try await proxy.fetch("/json-chunked", ["-H", "Accept-Encoding: zstd, br"])
        #expect(Self.field("Content-Encoding", in: zstdOnly.head) == nil)
        await proxy.stop()
    }
}
