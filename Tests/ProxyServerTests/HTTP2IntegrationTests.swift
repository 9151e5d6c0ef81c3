import Foundation
import NIOCore
import ProxyServer
import ProxyTLS
import Testing

/// HTTP/2 to clients, end to end over loopback, with clients independent of our code: curl and
/// nghttp2's `nghttp` and `h2load` (Debian's `nghttp2-client`), and `Peers/h2_frames.py`, which
/// writes frames itself (HPACK from Python's `hpack`, which `make test` installs with `h2`) to
/// play the attacks. See docs/http2.md.
@Suite(.serialized)
struct HTTP2IntegrationTests {
    // MARK: - Negotiation

    @Test func alpnChoosesH2ByDefaultAndHTTP1WhenTheClientAsks() async throws {
        let fixture = try await ProxyFixture.start()
        let h2 = try await fixture.curl(["-o", "/dev/null", "-w", "%{http_version}", fixture.url + "/"])
        #expect(h2.stdout == "2")
        let h1 = try await fixture.curl(["--http1.1", "-o", "/dev/null", "-w", "%{http_version}", fixture.url + "/"])
        #expect(h1.stdout == "1.1")
        await fixture.stop()
    }

    @Test func alpnWithoutH2TurnsHTTP2Off() async throws {
        let fixture = try await ProxyFixture.start(extraListenerYAML: "      alpn: [http/1.1]")
        let result = try await fixture.curl(["--http2", "-o", "/dev/null", "-w", "%{http_version}", fixture.url + "/"])
        #expect(result.stdout == "1.1")
        await fixture.stop()
    }

    // MARK: - Requests both ways

    @Test func getIsTranslatedForAnHTTP1Target() async throws {
        let fixture = try await ProxyFixture.start()
        let result = try await fixture.curl([
            "--http2", "-H", "cookie: a=1", "-H", "cookie: b=2", "-H", "X-Forwarded-For: 6.6.6.6", fixture.url + "/headers?q=1",
        ])
        await fixture.stop()
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // The target gets HTTP/1.1 with a Host from :authority, one cookie field, our forwarding fields.
        #expect(lines.first == "GET /headers?q=1 HTTP/1.1")
        #expect(lines.contains("host: localhost:\(fixture.port)"))
        #expect(lines.contains("cookie: a=1; b=2"))
        #expect(lines.contains("X-Forwarded-Proto: https"))
        #expect(lines.contains("X-Forwarded-For: 127.0.0.1"))  // the client's own value is not believed
        #expect(!lines.contains { $0.lowercased().hasPrefix("te:") || $0.lowercased().hasPrefix("transfer-encoding") })
    }

    @Test func postBodiesGoThroughWithTheirLengthOrChunked() async throws {
        // A debug build on a busy machine may take seconds over 3 MiB: the response timeout counts it.
        let fixture = try await ProxyFixture.start(responseTimeout: "60s")
        let file = fixture.directory + "/upload.bin"
        try Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: file))
        let h1 = try await fixture.curl(["--http1.1", "--data-binary", "@" + file, fixture.url + "/echo"])
        let h2 = try await fixture.curl(["--http2", "--data-binary", "@" + file, fixture.url + "/echo"])
        // From standard input curl knows no length: an HTTP/2 body without content-length, sent
        // chunked to the target.
        let chunked = try await fixture.curl(["--http2", "-T", "-", "-X", "POST", fixture.url + "/echo"], stdin: String(repeating: "z", count: 100_000))
        await fixture.stop()
        #expect(h1.stdout.hasPrefix("bytes=3145728 "))
        #expect(h2.stdout == h1.stdout)
        #expect(chunked.stdout.hasPrefix("bytes=100000 ") && chunked.stdout.hasSuffix("framing=chunked"))
    }

    @Test func aBodyPastTheLimitIs413OnItsStreamAndNeverCompletedUpstream() async throws {
        let fixture = try await ProxyFixture.start(extraListenerYAML: "    limits: { body_bytes: 1KiB }")
        // Without a length: refused when the DATA passes 1 KiB, after the head went upstream.
        let streamed = try await fixture.curl(
            ["--http2", "-T", "-", "-X", "POST", "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/echo"],
            stdin: String(repeating: "z", count: 100_000)
        )
        // With one: refused from the head.
        let declared = try await fixture.curl(
            ["--http2", "--data-binary", String(repeating: "y", count: 5000), "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/echo"]
        )
        let after = try await fixture.curl(["--http2", fixture.url + "/"])
        await fixture.stop()
        #expect(streamed.stdout == "413")
        #expect(declared.stdout == "413")
        #expect(after.stdout == "hello")
        #expect(fixture.backend.requestsServed == 1)  // only "/": no refused body reached its end upstream
    }

    @Test func aThreeMebibyteUploadThroughASixteenKibibyteWindow() async throws {
        let fixture = try await ProxyFixture.start(
            extraListenerYAML: "    http2: { initial_window: 16KiB, connection_window: 64KiB }",
            responseTimeout: "60s"
        )
        let file = fixture.directory + "/upload.bin"
        try Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: file))
        let h1 = try await fixture.curl(["--http1.1", "--data-binary", "@" + file, fixture.url + "/echo"])
        let h2 = try await fixture.curl(["--http2", "--data-binary", "@" + file, fixture.url + "/echo"])
        await fixture.stop()
        #expect(h1.stdout.hasPrefix("bytes=3145728 "))
        #expect(h2.stdout == h1.stdout)
    }

    @Test func fiftyStreamsMultiplexedOnOneConnection() async throws {
        let fixture = try await ProxyFixture.start()
        let nghttp = try require(which("nghttp"), "nghttp (nghttp2-client)")
        // -n: discard bodies; -s: one statistics line per stream; -m 50: the URI 50 times, on one connection.
        let result = try await run(nghttp, ["-n", "-s", "-m", "50", fixture.url + "/slow?ms=200"], timeout: 60)
        await fixture.stop()
        let served = result.stdout.split(separator: "\n").filter { $0.contains(" 200 ") && $0.contains("/slow") }
        #expect(served.count == 50, "\(result.stdout)\n\(result.stderr)")
        // Fifty 200 ms responses in well under fifty times 200 ms: they were multiplexed.
        #expect(fixture.backend.requestsServed == 50)
    }

    /// A browser: headless Chromium (Debian's `chromium`, which `make test` installs) loads a page
    /// through the proxy with h2 negotiated by default. It trusts exactly the fixture's key
    /// (`--ignore-certificate-errors-spki-list`), nothing else.
    @Test func chromiumLoadsAPageOverH2() async throws {
        let fixture = try await ProxyFixture.start()
        let chromium = try require(which("chromium") ?? which("chromium-browser"), "chromium")
        let spki = try await run(
            "/bin/sh",
            [
                "-c",
                "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
                "spki", fixture.certificates.certificate,
            ]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let page = try await run(
            chromium,
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--ignore-certificate-errors-spki-list=\(spki)", "--user-data-dir=\(fixture.directory)/chromium",
                "--dump-dom", fixture.url + "/headers",
            ],
            timeout: 90
        )
        let metrics = try await fixture.metrics()
        await fixture.stop()
        #expect(!spki.isEmpty)
        #expect(page.stdout.contains("GET /headers HTTP/1.1"), "\(page.stdout) \(page.stderr.suffix(2000))")
        #expect(page.stdout.lowercased().contains("user-agent: mozilla"))
        #expect(metrics.contains(#"route="default",target_group="web""#) && metrics.contains(#"protocol="h2"} "#))
    }

    @Test func h2loadCompletesEveryRequest() async throws {
        let fixture = try await ProxyFixture.start()
        let h2load = try require(which("h2load"), "h2load (nghttp2-client)")
        let result = try await run(h2load, ["-n", "2000", "-c", "4", "-m", "10", fixture.url + "/"], timeout: 120)
        await fixture.stop()
        #expect(result.stdout.contains("2000 succeeded, 0 failed, 0 errored"), "\(result.stdout)")
        #expect(result.stdout.contains("Application protocol: h2"))
    }

    // MARK: - Cancels and flow control

    @Test func aResetMidResponseLeavesTheConnectionServing() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "reset-mid-response", "/big?bytes=20000000")
        await fixture.stop()
        #expect(report.status["3"] == 200)
        #expect(report.data["3"] == 5)  // "hello"
        #expect(report.goaway == nil)
    }

    @Test func aSlowStreamDoesNotHoldUpTheOthers() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "slow-reader", "/big?bytes=20000000")
        await fixture.stop()
        // Stream 1 is never read past its 16 KiB window; stream 3 is answered meanwhile.
        #expect(report.status["3"] == 200)
        #expect((report.data["1"] ?? 0) <= 16384)
        #expect(report.ended.contains(3) && !report.ended.contains(1))
    }

    @Test func aStreamKeptAtAZeroWindowIsResetAfterTheSendTimeout() async throws {
        let fixture = try await ProxyFixture.start(extraListenerYAML: "    limits: { send_timeout: 1s }")
        let report = try await H2Frames.run(fixture, "zero-window", "/big?bytes=2000000")
        let metrics = try await fixture.metrics()
        await fixture.stop()
        #expect(report.resets["1"] == "CANCEL")
        #expect(report.status["3"] == 200)
        #expect(metrics.contains(#"portcullis_http2_defences_total{listener="test",reason="send_timeout"} 1"#))
    }

    @Test func aClientGoawayClosesTheConnectionOnceItsStreamsAreDone() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "client-goaway")
        await fixture.stop()
        #expect(report.status["1"] == 200)
        #expect(report.extra["closed_after_goaway"] as? Bool == true)
    }

    @Test func anIdleConnectionGetsGoawayAfterTheIdleTimeout() async throws {
        let fixture = try await ProxyFixture.start(extraListenerYAML: "    limits: { idle_timeout: 1s }")
        let report = try await H2Frames.run(fixture, "idle", "5")
        await fixture.stop()
        #expect(report.goaway?.error == "NO_ERROR")
        #expect(report.goaway?.lastStream == 1)
        #expect(report.closed)
    }

    // MARK: - Defences

    @Test func dataOnStreamZeroIsAProtocolError() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "data-on-stream-0")
        await fixture.stop()
        #expect(report.goaway?.error == "PROTOCOL_ERROR")
        #expect(report.closed)
    }

    @Test func aRapidResetBurstGetsEnhanceYourCalmAndOthersAreStillServed() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "rapid-reset", "1000")
        let after = try await fixture.curl(["--http2", "-o", "/dev/null", "-w", "%{http_code}", fixture.url + "/"])
        let metrics = try await fixture.metrics()
        await fixture.stop()
        #expect(report.goaway?.error == "ENHANCE_YOUR_CALM")
        #expect(report.closed)
        #expect(after.stdout == "200")
        #expect(metrics.contains(#"portcullis_http2_defences_total{listener="test",reason="rapid_reset"} 1"#))
    }

    @Test func aContinuationFloodIsCutShort() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "continuation-flood", "10000")
        await fixture.stop()
        #expect(report.goaway?.error == "ENHANCE_YOUR_CALM")
        #expect(report.closed)
        #expect((report.extra["continuation_frames_sent"] as? Int ?? .max) < 100)
    }

    @Test func aHeaderListPastTheLimitIs431AndTheConnectionGoesOn() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "big-header", "20000")
        await fixture.stop()
        #expect(report.status["1"] == 431)
        #expect(report.resets["1"] == nil)  // the client had ended its side: nothing to reset
        #expect(report.status["3"] == 200)
        #expect(report.goaway == nil)
    }

    @Test func aHundredKilobyteHeaderBlockClosesTheConnection() async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, "big-header", "100000")
        await fixture.stop()
        #expect(report.goaway != nil)
        #expect(report.status["1"] == nil)
        #expect(report.closed)
    }

    @Test(arguments: ["ping-flood", "settings-flood", "priority-flood", "empty-data-flood"])
    func aControlFrameFloodGetsEnhanceYourCalm(scenario: String) async throws {
        let fixture = try await ProxyFixture.start()
        let report = try await H2Frames.run(fixture, scenario, "2000")
        await fixture.stop()
        #expect(report.goaway?.error == "ENHANCE_YOUR_CALM")
        #expect(report.closed)
    }

    @Test func tooManyConcurrentStreamsAreRefused() async throws {
        let fixture = try await ProxyFixture.start(extraListenerYAML: "    http2: { max_concurrent_streams: 5 }")
        let nghttp = try require(which("nghttp"), "nghttp (nghttp2-client)")
        // nghttp keeps to the advertised limit: 20 requests, at most 5 at a time, all answered.
        let result = try await run(nghttp, ["-n", "-s", "-m", "20", fixture.url + "/slow?ms=100"], timeout: 60)
        let settings = try await run(nghttp, ["-v", "-n", fixture.url + "/"], timeout: 30)
        await fixture.stop()
        #expect(result.stdout.split(separator: "\n").filter { $0.contains(" 200 ") }.count == 20)
        #expect(settings.stdout.contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):5"))
    }

    // MARK: - Shutdown

    @Test func shutdownSendsGoawayAndTheStreamInFlightFinishes() async throws {
        let fixture = try await ProxyFixture.start()
        let peer = try PeerProcess(
            try H2Frames.python(),
            [H2Frames.script, "127.0.0.1", String(fixture.port), fixture.certificates.caCertificate, "in-flight", "/slow?ms=1000"]
        )
        _ = try await peer.line(where: { $0 == "sent" })
        try await Task.sleep(for: .milliseconds(200))
        await fixture.server.shutdown()
        let line = try await peer.line(where: { $0.hasPrefix("{") }, timeout: .seconds(20))
        await peer.stop()
        await fixture.backend.stop()
        let report = try H2Frames.Report(line ?? "{}")
        #expect(report.status["1"] == 200)
        #expect(report.data["1"] == 4)  // "slow"
        #expect(report.goaway?.error == "NO_ERROR")
    }

    // MARK: - h2c

    /// A plain listener (`listener` holds its extra keys, such as `h2c: true`) in front of one backend.
    static func plainYAML(_ listener: String) -> String {
        """
        global: { event_loops: 1, shutdown_grace: 2s, access_log: false }
        admin: { bind: "127.0.0.1:0" }
        listeners:
          - name: plain
            bind: "127.0.0.1:0"
        \(listener)
            routes:
              - forward: web
        target_groups:
          web:
            targets: ["127.0.0.1:{B0}"]
            health_check: { enabled: false }
        """
    }


    @Test func priorKnowledgeH2cOnAPlainListenerThatAllowsIt() async throws {
        let fixture = try await AdminFixture.start(
            backends: 1,
            yaml: Self.plainYAML("    h2c: true")
        )
        let curl = try require(which("curl"), "curl")
        let url = "http://127.0.0.1:\(fixture.port)/"
        let h2 = try await run(curl, ["-sS", "--http2-prior-knowledge", "-w", " %{http_version}", url])
        let h1 = try await run(curl, ["-sS", "-w", " %{http_version}", url])
        // `Upgrade: h2c` is never honoured: curl asks, the answer stays HTTP/1.1.
        let upgrade = try await run(curl, ["-sS", "--http2", "-w", " %{http_version} %{http_code}", url])
        await fixture.stop()
        #expect(h2.stdout == "hello 2")
        #expect(h1.stdout == "hello 1.1")
        #expect(upgrade.stdout == "hello 1.1 200")
    }

    @Test func aPartPrefaceThatStallsIsClosedAfterTheHeaderTimeout() async throws {
        let fixture = try await AdminFixture.start(
            backends: 1,
            yaml: Self.plainYAML("    h2c: true\n    limits: { header_timeout: 1s }")
        )
        // Half the preface, then nothing: the protocol cannot be told, and the wait is bounded.
        let script = """
            import socket, time
            s = socket.create_connection(("127.0.0.1", \(fixture.port)))
            s.sendall(b"PRI * HTTP/2")
            s.settimeout(10)
            started = time.time()
            closed = s.recv(1) == b""
            print("closed" if closed else "open", round(time.time() - started, 1))
            """
        let result = try await run(try H2Frames.python(), ["-c", script], timeout: 30)
        await fixture.stop()
        let words = result.stdout.split(separator: " ")
        #expect(words.first == "closed", "\(result.stdout) \(result.stderr)")
        #expect((Double(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 5)
    }

    @Test func priorKnowledgeOnAPlainListenerWithoutH2cIsRefused() async throws {
        let fixture = try await AdminFixture.start(
            backends: 1,
            yaml: Self.plainYAML("")
        )
        let curl = try require(which("curl"), "curl")
        let result = try await run(curl, ["-sS", "--http2-prior-knowledge", "http://127.0.0.1:\(fixture.port)/"])
        await fixture.stop()
        #expect(result.status != 0)
        #expect(fixture.backends[0].requestsServed == 0)
    }
}

/// `Peers/h2_frames.py`: one scenario per run, one JSON line of what the server did.
enum H2Frames {
    static let script = WebSocketPeers.directory + "/h2_frames.py"

    /// python3 with the `hpack` package (installed with `h2`); missing, it is an error.
    static func python() throws -> String {
        try require(which("python3"), "python3")
    }

    struct Report {
        struct GoAway {
            var error: String
            var lastStream: Int
        }
        var goaway: GoAway?
        var resets: [String: String]
        var status: [String: Int]
        var data: [String: Int]
        /// The first 200 bytes of each stream's body.
        var body: [String: String]
        var ended: [Int]
        var closed: Bool
        var extra: [String: Any]

        init(_ line: String) throws {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SubprocessError(description: "not a report: \(line)")
            }
            if let goaway = object["goaway"] as? [String: Any] {
                self.goaway = GoAway(error: goaway["error"] as? String ?? "?", lastStream: goaway["last_stream"] as? Int ?? -1)
            }
            self.resets = object["resets"] as? [String: String] ?? [:]
            self.status = object["status"] as? [String: Int] ?? [:]
            self.data = object["data"] as? [String: Int] ?? [:]
            self.body = object["body"] as? [String: String] ?? [:]
            self.ended = object["ended"] as? [Int] ?? []
            self.closed = object["closed"] as? Bool ?? false
            self.extra = object
        }
    }

    static func run(_ fixture: ProxyFixture, _ scenario: String, _ argument: String? = nil) async throws -> Report {
        let arguments = [script, "127.0.0.1", String(fixture.port), fixture.certificates.caCertificate, scenario] + (argument.map { [$0] } ?? [])
        let result = try await ProxyServerTests.run(try python(), arguments, timeout: 60)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last else {
            throw SubprocessError(description: "h2_frames.py \(scenario) failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return try Report(String(line))
    }
}

extension ProxyFixture {
    /// The Prometheus text of the admin API.
    func metrics() async throws -> String {
        guard let port = self.server.adminAddress?.port else { throw SubprocessError(description: "no admin listener") }
        let curl = try require(which("curl"), "curl")
        return try await ProxyServerTests.run(curl, ["-sS", "http://127.0.0.1:\(port)/metrics"]).stdout
    }
}

/// HTTP/2 through a reload: the connection stays, the streams after it follow the new routes.
@Suite(.serialized)
struct HTTP2ReloadTests {
    static func yaml(group: String) -> String {
        """
        global: { event_loops: 1, shutdown_grace: 2s, access_log: false }
        admin: { bind: "127.0.0.1:0" }
        listeners:
          - name: plain
            bind: "127.0.0.1:0"
            h2c: true
            routes:
              - name: who
                forward: \(group)
        target_groups:
          web:
            targets: ["127.0.0.1:{B0}"]
            health_check: { enabled: false }
          other:
            targets: ["127.0.0.1:{B1}"]
            health_check: { enabled: false }
        """
    }

    @Test func streamsAfterAReloadFollowTheNewRoutesOnTheSameConnection() async throws {
        try await AdminFixture.with(yaml: Self.yaml(group: "web")) { fixture in
            let peer = try PeerProcess(try H2Frames.python(), [H2Frames.script, "127.0.0.1", String(fixture.port), "plain", "two-requests", "/whoami"])
            let first = try H2Frames.Report(try await peer.line(where: { $0.hasPrefix("{") }) ?? "{}")
            try fixture.rewrite(Self.yaml(group: "other"))
            #expect(try await fixture.adminCall("POST", "/reload").status == 200)
            #expect(peer.send("/whoami"))
            let second = try H2Frames.Report(try await peer.line(where: { $0.hasPrefix("{") }) ?? "{}")
            peer.closeInput()
            await peer.stop()
            #expect(first.body["1"] == "b0")
            #expect(second.body["3"] == "b1")
            #expect(second.goaway == nil && !second.closed)
        }
    }
}
