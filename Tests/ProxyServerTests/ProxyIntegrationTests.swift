import Foundation
import ProxyTLS
import Testing

/// End to end over loopback: curl and openssl s_client (independent of our TLS code) talk to the
/// proxy on an ephemeral port, which forwards to an in-process target.
@Suite(.serialized)
struct ProxyIntegrationTests {
    /// Over HTTP/1.1 and over HTTP/2 (ALPN offers both; curl takes h2 unless told otherwise).
    @Test(arguments: [("--http1.1", "HTTP/1.1"), ("--http2", "HTTP/2")])
    func getPassesThroughAndBackendIdentityIsGone(flag: String, version: String) async throws {
        let fixture = try await ProxyFixture.start()
        let result = try await fixture.curl([flag, "--include", "\(fixture.url)/"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(version) 200"))
        #expect(result.stdout.hasSuffix("\r\n\r\nhello"))
        let lower = result.stdout.lowercased()
        #expect(!lower.contains("backendserver"))
        #expect(!lower.contains("x-powered-by"))
        #expect(!lower.contains("x-aspnet-version"))
        #expect(lower.contains("server: portcullis"))
        await fixture.stop()
    }

    @Test func forwardedHeadersReachTheBackend() async throws {
        let fixture = try await ProxyFixture.start()
        let result = try await fixture.curl(["-H", "X-Forwarded-For: 6.6.6.6", "\(fixture.url)/headers"])
        #expect(result.stdout.contains("X-Forwarded-For: 127.0.0.1\n"))
        #expect(!result.stdout.contains("6.6.6.6"))
        #expect(result.stdout.contains("X-Forwarded-Proto: https\n"))
        #expect(result.stdout.contains("X-Forwarded-Host: localhost:\(fixture.port)\n"))
        #expect(result.stdout.contains("Forwarded: for=127.0.0.1;host=\"localhost:\(fixture.port)\";proto=https\n"))
        await fixture.stop()
    }

    @Test func postWithBodyAndChunkedUpload() async throws {
        let fixture = try await ProxyFixture.start()
        let payload = fixture.directory + "/payload.bin"
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: payload))
        var fnv: UInt64 = 1469598103934665603
        for byte in bytes { fnv = (fnv ^ UInt64(byte)) &* 1099511628211 }

        let sized = try await fixture.curl(["--data-binary", "@\(payload)", "\(fixture.url)/echo"])
        #expect(sized.stdout == "bytes=300000 fnv=\(fnv) framing=length", "\(sized.stderr)")

        let chunked = try await fixture.curl(["-H", "Transfer-Encoding: chunked", "--data-binary", "@\(payload)", "\(fixture.url)/echo"])
        #expect(chunked.stdout == "bytes=300000 fnv=\(fnv) framing=chunked", "\(chunked.stderr)")
        await fixture.stop()
    }

    @Test func largeDownloadStreamsInBoundedMemory() async throws {
        let fixture = try await ProxyFixture.start()
        let size = 64 * 1024 * 1024
        let baseline = currentRSS()
        let peak = PeakSampler()
        let sampler = Task.detached {
            while !Task.isCancelled {
                peak.record(currentRSS())
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // A slow reader (~32 MB/s): without backpressure the proxy would queue most of the body.
        let result = try await fixture.curl(
            ["--limit-rate", "32M", "--output", "/dev/null", "--write-out", "%{size_download} %{http_code}", "\(fixture.url)/big?bytes=\(size)"],
            timeout: 120
        )
        sampler.cancel()
        #expect(result.stdout == "\(size) 200", "\(result.stderr)")
        let growth = peak.value - baseline
        #expect(growth < 32 * 1024 * 1024, "proxy memory grew by \(growth / 1024 / 1024) MiB for a 64 MiB body")
        await fixture.stop()
    }

    @Test func sequentialRequestsOnOneClientConnectionUseOneUpstreamConnection() async throws {
        let fixture = try await ProxyFixture.start()
        let urls = (0..<10).map { "\(fixture.url)/?n=\($0)" }
        let result = try await fixture.curl(urls.flatMap { ["--output", "/dev/null", $0] })
        #expect(result.status == 0, "\(result.stderr)")
        #expect(fixture.backend.requestsServed == 10)
        #expect(fixture.backend.connectionsAccepted == 1)
        await fixture.stop()
    }

    @Test(arguments: [("--http1.1", "HTTP/1.1"), ("--http2", "HTTP/2")])
    func deadBackendIs502WithoutAddress(flag: String, version: String) async throws {
        let dead = try DeadPort()
        let deadPort = dead.port
        let fixture = try await ProxyFixture.start(targetPort: deadPort)
        defer { withExtendedLifetime(dead) {} }
        let result = try await fixture.curl([flag, "--include", "\(fixture.url)/"])
        #expect(result.stdout.hasPrefix("\(version) 502"))
        #expect(!result.stdout.contains("127.0.0.1"))
        #expect(!result.stdout.contains(String(deadPort)))
        await fixture.stop()
    }

    @Test func tls11IsRefused() async throws {
        let openssl = try require(which("openssl"), "openssl")
        let fixture = try await ProxyFixture.start()
        // SECLEVEL=0 so the client really offers TLS 1.1 and it is our server that says no.
        let old = try await run(
            openssl,
            ["s_client", "-connect", "127.0.0.1:\(fixture.port)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost"],
            timeout: 20,
            stdin: ""
        )
        #expect(old.status != 0)
        #expect((old.stdout + old.stderr).contains("alert protocol version"), "\(old.stderr)")
        let modern = try await run(
            openssl,
            ["s_client", "-connect", "127.0.0.1:\(fixture.port)", "-tls1_2", "-servername", "localhost", "-CAfile", fixture.certificates.caCertificate],
            timeout: 20,
            stdin: ""
        )
        #expect(modern.stdout.contains("Verify return code: 0 (ok)"), "\(modern.stdout)")
        #expect(modern.stdout.contains("TLSv1.2"))
        await fixture.stop()
    }

    @Test func malformedRequestIs400AndNeverForwarded() async throws {
        let fixture = try await ProxyFixture.start()
        let openssl = try require(which("openssl"), "openssl")
        let smuggle = "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        let result = try await run(
            openssl,
            ["s_client", "-quiet", "-connect", "127.0.0.1:\(fixture.port)", "-servername", "localhost", "-CAfile", fixture.certificates.caCertificate],
            timeout: 20,
            stdin: smuggle
        )
        #expect(result.stdout.hasPrefix("HTTP/1.1 400"), "\(result.stdout) \(result.stderr)")
        #expect(fixture.backend.requestsServed == 0)
        await fixture.stop()
    }
}

/// Thread-safe running maximum.
final class PeakSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    func record(_ value: Int) { self.lock.lock(); self.peak = max(self.peak, value); self.lock.unlock() }
    var value: Int { self.lock.lock(); defer { self.lock.unlock() }; return self.peak }
}

/// A loopback port nobody listens on, held for as long as the value lives: the socket stays
/// bound without listening, so a connect is refused and no other test (running in parallel)
/// can be given the same port meanwhile.
final class DeadPort {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // A sockaddr_in as bytes (family, port 0, 127.0.0.1): its fields are not named, because
        // which C module owns `sockaddr_in` depends on the compiler's batch (CNIOLinux or Glibc),
        // and MemberImportVisibility then refuses the field names now and then.
        var address: [UInt8] = [UInt8(truncatingIfNeeded: AF_INET), UInt8(truncatingIfNeeded: AF_INET >> 8), 0, 0, 127, 0, 0, 1]
            + [UInt8](repeating: 0, count: 8)
        var length = socklen_t(address.count)
        let bound = address.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
        _ = address.withUnsafeMutableBytes { getsockname(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) }
        let port = Int(address[2]) << 8 | Int(address[3])
        guard fd >= 0, bound == 0, port != 0 else {
            if fd >= 0 { close(fd) }
            throw MissingTool(description: "cannot reserve a loopback port")
        }
        self.fd = fd
        self.port = port
    }

    deinit {
        close(self.fd)
    }
}
