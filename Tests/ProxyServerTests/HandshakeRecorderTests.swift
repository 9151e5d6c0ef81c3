import ProxyCore
import ProxyTLS
import Testing

@testable import ProxyServer

/// The handshake observer each TLS connection gets: log fields and handshake counters.
struct HandshakeRecorderTests {
    @Test func recordsVersionAndCountsFullResumedAndFailedHandshakes() {
        let metrics = ServerMetrics()
        let info = ClientConnectionInfo()
        let recorder = ClientPipeline.recorder(info: info, metrics: metrics, listener: "edge")
        recorder.completed(TLSHandshakeSummary(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", serverName: "a.example", applicationProtocol: nil, resumed: false))
        recorder.completed(TLSHandshakeSummary(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", serverName: nil, applicationProtocol: nil, resumed: true))
        recorder.completed(TLSHandshakeSummary(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", serverName: nil, applicationProtocol: nil, resumed: true))
        recorder.failed("no shared cipher")
        #expect(info.tlsVersion == "TLSv1.3")
        let text = metrics.emit()
        #expect(text.contains(#"portcullis_tls_handshakes_total{listener="edge",version="TLSv1.3",kind="full"} 1"#))
        #expect(text.contains(#"portcullis_tls_handshakes_total{listener="edge",version="TLSv1.3",kind="resumed"} 2"#))
        #expect(text.contains(#"portcullis_tls_handshake_failures_total{listener="edge"} 1"#))
    }
}
