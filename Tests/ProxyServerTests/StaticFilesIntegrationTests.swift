import Foundation
import Logging
import ProxyConfig
import ProxyServer
import ProxyTLS
import Testing

/// Static routes end to end, with curl as the client: plain HTTP/1 (sendfile), TLS (chunked
/// reads) and HTTP/2; conditions, ranges, precompressed siblings, the SPA fallback, the edge
/// policy, and a large file in bounded memory.
@Suite(.serialized)
struct StaticFilesIntegrationTests {
    /// A proxy with a plain and a TLS listener serving one site, and the files it serves.
    struct Running {
        let directory: String
        let site: String
        let certificates: DevCertificatePaths
        let server: ProxyServer
        let plainPort: Int
        let tlsPort: Int

        var plain: String { "http://127.0.0.1:\(self.plainPort)" }
        var tls: String { "https://localhost:\(self.tlsPort)" }

        /// `extraRoutes`: YAML route items placed first (`$SITE` is the site's directory).
        static func start(extraRoutes: String = "") async throws -> Running {
            let directory = try makeTemporaryDirectory()
            let site = directory + "/site"
            let fm = FileManager.default
            try fm.createDirectory(atPath: site + "/docs", withIntermediateDirectories: true)
            let files = [
                "index.html": "<h1>home</h1>\n", "docs/index.html": "docs\n", "app.js": "console.log('plain')\n",
                "app.js.br": "BROTLI", "app.js.gz": "GZIP", ".env": "SECRET\n", "style.css": "body{}\n",
            ]
            for (name, contents) in files {
                try contents.write(toFile: site + "/" + name, atomically: false, encoding: .utf8)
            }
            try "outside\n".write(toFile: directory + "/outside.txt", atomically: false, encoding: .utf8)
            try fm.createSymbolicLink(atPath: site + "/out", withDestinationPath: directory + "/outside.txt")
            // 1 MiB of bytes that are not all the same, to catch a misplaced range.
            var megabyte = Data(count: 1 << 20)
            for index in 0..<megabyte.count { megabyte[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9) }
            try megabyte.write(to: URL(fileURLWithPath: site + "/big.bin"))
            let certificates = try DevCertificateAuthority.ensure(directory: directory)
            let routes = """
                    routes:
                \(extraRoutes.replacingOccurrences(of: "$SITE", with: site))
                      - name: private
                        match: {path_prefix: /private}
                        deny: [127.0.0.0/8]
                        static: {root: \(site)}
                      - name: assets
                        match: {path_prefix: /static}
                        rewrite: {strip_prefix: /static}
                        response_headers: {add: {X-Served-By: static}}
                        static: {root: \(site), cache_control: "public, max-age=3600"}
                      - name: app
                        static: {root: \(site), try_files: [$uri, $uri.html, /index.html]}
                """
            let yaml = """
                global: {event_loops: 1, shutdown_grace: 1s, access_log: false}
                admin: {bind: "127.0.0.1:0"}
                listeners:
                  - name: plain
                    bind: "127.0.0.1:0"
                    protocol: http
                \(routes)
                  - name: secure
                    bind: "127.0.0.1:0"
                    protocol: https
                    tls:
                      certificates:
                        - cert: \(certificates.certificate)
                          key: \(certificates.privateKey)
                \(routes)
                """
            let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "static.yaml", baseDirectory: directory)
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let listeners = try await server.start()
            return Running(
                directory: directory,
                site: site,
                certificates: certificates,
                server: server,
                plainPort: listeners[0].port,
                tlsPort: listeners[1].port
            )
        }

        func stop() async {
            await self.server.shutdown()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        /// curl with the fixture's CA; `--include` so the head is in `stdout`.
        func curl(_ arguments: [String], timeout: TimeInterval = 30) async throws -> ProcessResult {
            let curl = try require(which("curl"), "curl")
            return try await run(curl, ["--silent", "--show-error", "--cacert", self.certificates.caCertificate] + arguments, timeout: timeout)
        }

        /// The status line, the fields (lower-cased names) and the body of one response.
        func fetch(_ url: String, _ extra: [String] = []) async throws -> (status: String, fields: [String: String], body: String) {
            let result = try await self.curl(["--include"] + extra + [url])
            #expect(result.status == 0, "\(url): \(result.stderr)")
            let parts = result.stdout.components(separatedBy: "\r\n\r\n")
            let lines = parts[0].components(separatedBy: "\r\n")
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let status = lines[0].split(separator: " ").dropFirst().first.map(String.init) ?? ""
            return (status, fields, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
    }

    /// The three ways in: plain HTTP/1.1 (sendfile), HTTPS HTTP/1.1 and HTTPS HTTP/2 (chunked reads).
    private static func clients(_ proxy: Running) -> [(base: String, flags: [String], version: String)] {
        [(proxy.plain, ["--http1.1"], "HTTP/1.1"), (proxy.tls, ["--http1.1"], "HTTP/1.1"), (proxy.tls, ["--http2"], "HTTP/2")]
    }

    @Test func servesFilesWithValidatorsConditionsAndRanges() async throws {
        let proxy = try await Running.start()
        defer { Task { await proxy.stop() } }
        for (base, flags, version) in Self.clients(proxy) {
            let page = try await proxy.fetch(base + "/static/style.css", flags)
            #expect(page.status == "200", "\(version)")
            #expect(page.body == "body{}\n")
            #expect(page.fields["content-type"] == "text/css; charset=utf-8")
            #expect(page.fields["content-length"] == "7")
            #expect(page.fields["cache-control"] == "public, max-age=3600")
            #expect(page.fields["accept-ranges"] == "bytes")
            #expect(page.fields["x-served-by"] == "static")
            let etag = try #require(page.fields["etag"])
            let lastModified = try #require(page.fields["last-modified"])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))

            let revalidated = try await proxy.fetch(base + "/static/style.css", flags + ["-H", "If-None-Match: \(etag)"])
            #expect(revalidated.status == "304" && revalidated.body.isEmpty, "\(version)")
            #expect(revalidated.fields["etag"] == etag)
            let sinceDate = try await proxy.fetch(base + "/static/style.css", flags + ["-H", "If-Modified-Since: \(lastModified)"])
            #expect(sinceDate.status == "304", "\(version)")

            let range = try await proxy.fetch(base + "/static/big.bin", flags + ["-r", "1000-1999"])
            #expect(range.status == "206", "\(version)")
            #expect(range.fields["content-range"] == "bytes 1000-1999/1048576")
            #expect(range.fields["content-length"] == "1000")
            let unsatisfiable = try await proxy.fetch(base + "/static/big.bin", flags + ["-r", "2000000-"])
            #expect(unsatisfiable.status == "416", "\(version)")
            #expect(unsatisfiable.fields["content-range"] == "bytes */1048576")
            let staleIfRange = try await proxy.curl(
                flags + ["-r", "0-9", "-H", "If-Range: \"stale\"", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", base + "/static/big.bin"]
            )
            #expect(staleIfRange.stdout == "200 1048576", "\(version)")

            let head = try await proxy.fetch(base + "/static/big.bin", flags + ["--head"])
            #expect(head.status == "200" && head.fields["content-length"] == "1048576" && head.body.isEmpty, "\(version)")
        }
        // The bytes themselves, whole and in a range, through each path.
        let original = try Data(contentsOf: URL(fileURLWithPath: proxy.site + "/big.bin"))
        for (base, flags, version) in Self.clients(proxy) {
            let whole = proxy.directory + "/whole.bin"
            let part = proxy.directory + "/part.bin"
            _ = try await proxy.curl(flags + ["-o", whole, base + "/static/big.bin"])
            _ = try await proxy.curl(flags + ["-r", "500000-600001", "-o", part, base + "/static/big.bin"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: whole)) == original, "\(version)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: part)) == original[500_000...600_001], "\(version)")
        }
    }

    @Test func indexSpaFallbackAndPrecompressedSiblings() async throws {
        let proxy = try await Running.start()
        defer { Task { await proxy.stop() } }
        for (base, flags, version) in Self.clients(proxy) {
            #expect(try await proxy.fetch(base + "/", flags).body == "<h1>home</h1>\n", "\(version)")
            #expect(try await proxy.fetch(base + "/docs/", flags).body == "docs\n")
            // A directory without its slash: 301 to the slash form (query kept, a rewritten
            // route's client-side path), as nginx answers; curl follows it to the index.
            let bare = try await proxy.fetch(base + "/docs?x=1", flags)
            #expect(bare.status == "301" && bare.fields["location"] == "/docs/?x=1", "\(version)")
            // Leading slashes collapse: `//docs/` in `Location` would send a browser to a host `docs`.
            let doubled = try await proxy.fetch(base + "//docs", flags + ["--path-as-is"])
            #expect(doubled.status == "301" && doubled.fields["location"] == "/docs/", "\(version) \(doubled)")
            let rewritten = try await proxy.fetch(base + "/static/docs", flags)
            #expect(rewritten.status == "301" && rewritten.fields["location"] == "/static/docs/", "\(version)")
            #expect(rewritten.fields["x-served-by"] == "static")
            let followed = try await proxy.curl(flags + ["--location", "-o", "/dev/null", "-w", "%{http_code} %{url_effective}", base + "/static/docs"])
            #expect(followed.stdout == "200 \(base)/static/docs/", "\(version)")
            let fallback = try await proxy.fetch(base + "/app/deep/route", flags)
            #expect(fallback.status == "200" && fallback.body == "<h1>home</h1>\n", "\(version)")
            #expect(fallback.fields["content-type"] == "text/html; charset=utf-8")

            let brotli = try await proxy.fetch(base + "/static/app.js", flags + ["-H", "Accept-Encoding: gzip, br"])
            #expect(brotli.body == "BROTLI" && brotli.fields["content-encoding"] == "br", "\(version)")
            #expect(brotli.fields["vary"] == "Accept-Encoding")
            #expect(brotli.fields["content-type"] == "text/javascript; charset=utf-8")
            let gzip = try await proxy.fetch(base + "/static/app.js", flags + ["-H", "Accept-Encoding: gzip"])
            #expect(gzip.body == "GZIP" && gzip.fields["content-encoding"] == "gzip", "\(version)")
            let none = try await proxy.fetch(base + "/static/app.js", flags)
            #expect(none.body == "console.log('plain')\n" && none.fields["content-encoding"] == nil, "\(version)")
            #expect(none.fields["vary"] == "Accept-Encoding")
            #expect(none.fields["etag"] != brotli.fields["etag"])
        }
    }

    @Test func refusesTraversalDotfilesMethodsAndHonoursThePolicy() async throws {
        let proxy = try await Running.start()
        defer { Task { await proxy.stop() } }
        for (base, flags, version) in Self.clients(proxy) {
            #expect(try await proxy.fetch(base + "/static/.env", flags).status == "404", "\(version)")
            #expect(try await proxy.fetch(base + "/static/out", flags).status == "404", "\(version)")
            // Normalised before routing to `/outside.txt`: the catch-all route, whose root has no
            // such file, answers its SPA fallback; the file outside is never read.
            let normalised = try await proxy.fetch(base + "/static/%2e%2e/outside.txt", flags + ["--path-as-is"])
            #expect(normalised.status == "200" && normalised.body == "<h1>home</h1>\n", "\(version)")
            #expect(try await proxy.fetch(base + "/static/%2e%2e/%2e%2e/outside.txt", flags + ["--path-as-is"]).status == "400", "\(version)")
            #expect(try await proxy.fetch(base + "/static/..%2foutside.txt", flags + ["--path-as-is"]).status == "400", "\(version)")
            #expect(try await proxy.fetch(base + "/static/style.css%00", flags + ["--path-as-is"]).status == "400", "\(version)")
            let post = try await proxy.fetch(base + "/static/style.css", flags + ["-X", "POST", "-d", "x"])
            #expect(post.status == "405" && post.fields["allow"] == "GET, HEAD", "\(version)")
            #expect(try await proxy.fetch(base + "/private/index.html", flags).status == "403", "\(version)")
        }
        // Plain `..` never reaches the files either (request hygiene or the resolver).
        let climb = try await proxy.fetch(proxy.plain + "/static/../../outside.txt", ["--path-as-is"])
        #expect(climb.status == "400")
        #expect(!climb.body.contains("outside"))
    }

    /// A large file over TLS (chunked reads: the path that could buffer) in bounded memory.
    /// A sparse 1 GiB file: about 6 s in a debug build on loopback.
    @Test func aLargeFileOverTLSInBoundedMemory() async throws {
        let proxy = try await Running.start()
        defer { Task { await proxy.stop() } }
        let size = 1024 * 1024 * 1024
        let truncate = try require(which("truncate"), "truncate")
        _ = try await run(truncate, ["-s", "\(size)", proxy.site + "/large.bin"])
        let baseline = currentRSS()
        let peak = PeakSampler()
        let sampler = Task.detached {
            while !Task.isCancelled {
                peak.record(currentRSS())
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let result = try await proxy.curl(
            ["--http1.1", "--output", "/dev/null", "--write-out", "%{size_download} %{http_code}", proxy.tls + "/static/large.bin"],
            timeout: 120
        )
        sampler.cancel()
        #expect(result.stdout == "\(size) 200", "\(result.stderr)")
        let growth = peak.value - baseline
        // Loaded whole, the file alone would add 1 GiB; read ahead without backpressure, most of it.
        #expect(growth < 48 * 1024 * 1024, "proxy memory grew by \(growth / 1024 / 1024) MiB for a 1 GiB file")
    }

    /// The per-loop lookup cache (`cache_valid`): with a long interval a rewritten file is still
    /// served as it was (the cache answered, not the disk); with `0` the new bytes come at once;
    /// with the default (1 s) the new bytes, then a deleted file's `404`, come within a bounded
    /// number of polls. No wall-clock assertion: only "eventually, within the bound".
    @Test func aRewrittenOrDeletedFileIsSeenWithinTheCacheInterval() async throws {
        let proxy = try await Running.start(extraRoutes: """
                  - name: long
                    match: {path_prefix: /long}
                    rewrite: {strip_prefix: /long}
                    static: {root: $SITE, cache_valid: 1h}
                  - name: uncached
                    match: {path_prefix: /uncached}
                    rewrite: {strip_prefix: /uncached}
                    static: {root: $SITE, cache_valid: 0}
            """)
        defer { Task { await proxy.stop() } }
        let file = proxy.site + "/page.html"
        try "version 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        for (base, flags, version) in Self.clients(proxy) {
            for prefix in ["/long", "/uncached", "/static"] {
                #expect(try await proxy.fetch(base + prefix + "/page.html", flags).body == "version 1\n", "\(version) \(prefix)")
                // A HEAD fills the cache as a GET does, with the same head.
                let head = try await proxy.fetch(base + prefix + "/page.html", flags + ["--head"])
                #expect(head.status == "200" && head.fields["content-length"] == "10" && head.body.isEmpty, "\(version) \(prefix)")
            }
        }
        try "version 2, longer\n".write(toFile: file, atomically: true, encoding: .utf8)
        for (base, flags, version) in Self.clients(proxy) {
            let long = try await proxy.fetch(base + "/long/page.html", flags)
            #expect(long.body == "version 1\n" && long.fields["content-length"] == "10", "\(version): served from the cache")
            #expect(try await proxy.fetch(base + "/uncached/page.html", flags).body == "version 2, longer\n", "\(version)")
        }

        /// Polls `path` on every client until each answers `expected`: at most 100 rounds 50 ms apart.
        func eventually(_ path: String, _ expected: (status: String, body: String?)) async throws -> Bool {
            for _ in 0..<100 {
                var all = true
                for (base, flags, _) in Self.clients(proxy) {
                    let answer = try await proxy.fetch(base + path, flags)
                    if answer.status != expected.status || (expected.body.map { $0 != answer.body } ?? false) { all = false }
                }
                if all { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        #expect(try await eventually("/static/page.html", ("200", "version 2, longer\n")), "the rewritten file is served")
        try FileManager.default.removeItem(atPath: file)
        #expect(try await eventually("/static/page.html", ("404", nil)), "the deleted file turns 404")
        #expect(try await proxy.fetch(proxy.plain + "/uncached/page.html", ["--http1.1"]).status == "404")
    }

}
