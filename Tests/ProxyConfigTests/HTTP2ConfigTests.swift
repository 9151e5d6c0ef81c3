import ProxyConfig
import ProxyDefaults
import Testing

/// `listeners[].tls.alpn`, `listeners[].h2c` and `listeners[].http2` (docs/http2.md).
@Suite struct HTTP2ConfigTests {
    /// An HTTPS listener with `tls` extras on line 7 and the listener's own extras on line 8.
    private static func https(tls: String = "", listener: String = "") -> String {
        """
        listeners:
          - bind: ":443"
            tls:
              certificates:
                - cert: cert.pem
                  key: key.pem
              \(tls)
            \(listener)
            routes:
              - {forward: web}
        target_groups:
          web: {targets: ["127.0.0.1:8080"]}
        """
    }

    private static func fixture() throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        _ = try fixture.writeFile("cert.pem", "not read by the parser")
        _ = try fixture.writeFile("key.pem", "not read by the parser")
        return fixture
    }

    @Test func httpsOffersH2AndHTTP1ByDefaultWithTheSharedLimits() throws {
        let configuration = try Self.fixture().parse(Self.https())
        let listener = configuration.listeners[0]
        #expect(listener.tls?.alpn == ["h2", "http/1.1"])
        #expect(listener.tls?.alpn == Defaults.TLS.alpn)
        #expect(listener.h2c == false)
        #expect(listener.http2 == ListenerHTTP2())
        #expect(listener.http2.maxConcurrentStreams == 100)
        #expect(listener.http2.maxResetsPerSecond == Defaults.HTTP2.maxResetsPerSecond)
    }

    @Test func alpnOfHTTP1AloneTurnsH2Off() throws {
        let configuration = try Self.fixture().parse(Self.https(tls: "alpn: [http/1.1]"))
        #expect(configuration.listeners[0].tls?.alpn == ["http/1.1"])
    }

    @Test func readsEveryHTTP2Limit() throws {
        let configuration = try Self.fixture().parse(
            Self.https(
                listener: """
                    http2: {max_concurrent_streams: 50, initial_window: 16KiB, connection_window: 4MiB, max_frame_size: 32KiB, max_header_block: 128KiB, max_continuation_frames: 8, max_resets_per_second: 20, max_control_frames_per_second: 30, max_empty_data_frames: 4}
                    """
            )
        )
        let http2 = configuration.listeners[0].http2
        #expect(http2.maxConcurrentStreams == 50)
        #expect(http2.initialWindow == 16 * 1024)
        #expect(http2.connectionWindow == 4 << 20)
        #expect(http2.maxFrameSize == 32 * 1024)
        #expect(http2.maxHeaderBlock == 128 * 1024)
        #expect(http2.maxContinuationFrames == 8)
        #expect(http2.maxResetsPerSecond == 20)
        #expect(http2.maxControlFramesPerSecond == 30)
        #expect(http2.maxEmptyDataFrames == 4)
    }

    @Test func reportsEveryBadHTTP2SettingAtOnce() throws {
        let errors = try Self.fixture().errors(
            Self.https(
                tls: "alpn: [h3, h2, h2]",
                listener: "http2: {max_concurrent_streams: 0, max_frame_size: 1KiB, initial_window: 1GiB, max_reset_per_second: 5}"
            )
        )
        #expect(
            errors == [
                "test.yaml:7:14: listeners[0].tls.alpn[0]: must be \"h2\" or \"http/1.1\" (got \"h3\")",
                "test.yaml:7:22: listeners[0].tls.alpn[2]: \"h2\" is listed twice",
                "test.yaml:8:37: listeners[0].http2.max_concurrent_streams: must be in 1...10000 (got 0)",
                "test.yaml:8:56: listeners[0].http2.max_frame_size: must be in 16KiB...16777215 (got 1KiB)",
                "test.yaml:8:78: listeners[0].http2.initial_window: must be in 1KiB...16MiB (got 1GiB)",
                "test.yaml:8:84: listeners[0].http2.max_reset_per_second: unknown key \"max_reset_per_second\" (did you mean \"max_resets_per_second\"?)",
            ]
        )
    }

    @Test func h2cIsForPlainListenersOnly() throws {
        let fixture = try Self.fixture()
        let errors = fixture.errors(Self.https(listener: "h2c: true"))
        #expect(errors == ["test.yaml:8:10: listeners[0].h2c: h2c is HTTP/2 without TLS, for plain listeners; an https listener offers h2 through tls.alpn"])
        let plain = try fixture.parse(
            """
            listeners:
              - bind: ":8080"
                h2c: true
                routes: [{forward: web}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        #expect(plain.listeners[0].h2c)
    }

    @Test func anEmptyALPNListIsRefused() throws {
        let errors = try Self.fixture().errors(Self.https(tls: "alpn: []"))
        #expect(errors == ["test.yaml:7:13: listeners[0].tls.alpn: needs at least one protocol: [h2, http/1.1], or [http/1.1] for no HTTP/2"])
    }
}
