import Foundation
import Logging
import NIOCore
import ProxyConfig
import ProxyServer
import ProxyTLS
import Testing

/// h2c target groups and gRPC through real listeners (docs/http2.md, "h2c and gRPC targets"),
/// with Python's grpcio (its C core: an HTTP/2 and gRPC implementation independent of ours) as
/// both the target and the client (Peers/grpc_peer.py), and curl for raw HTTP/2 and HTTP/1.1.
@Suite(.serialized)
struct GRPCIntegrationTests {
    /// The proxy in front of a grpcio server: listener `plain` (HTTP/1 and h2c by prior
    /// knowledge) → group `grpc` (h2c) for everything, `down` (h2c, a port nothing listens on)
    /// for `/down.Echo/`; `secure` (TLS, h2) → `grpc`; `checked` (h2c) → group `checked` with a
    /// `grpc` health check that rejects when unhealthy.
    struct Running {
        let server: ProxyServer
        let target: PeerProcess
        let targetPort: Int
        let ports: [Int]
        let directory: String
        let certificates: DevCertificatePaths
        let peer: String

        static func start() async throws -> Running {
            let python = try require(which("python3"), "python3")
            let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path
            let peer = peers + "/grpc_peer.py"
            let target = try PeerProcess(python, [peer, "server"])
            guard let line = try await target.line(timeout: .seconds(20)), let targetPort = Int(line) else {
                await target.stop()
                throw SubprocessError(description: "the gRPC target did not start: \(target.stderr)")
            }
            let directory = try makeTemporaryDirectory()
            let certificates = try DevCertificateAuthority.ensure(directory: directory)
            let yaml = """
                global: {event_loops: 1, shutdown_grace: 1s, access_log: false}
                admin: {bind: "127.0.0.1:0"}
                listeners:
                  - name: plain
                    bind: "127.0.0.1:0"
                    h2c: true
                    routes:
                      - {match: {path_prefix: /down.Echo/}, forward: down}
                      - {forward: grpc}
                  - name: secure
                    bind: "127.0.0.1:0"
                    tls: {certificates: [{cert: \(certificates.certificate), key: \(certificates.privateKey)}]}
                    routes: [{forward: grpc}]
                  - name: checked
                    bind: "127.0.0.1:0"
                    h2c: true
                    routes: [{forward: checked}]
                target_groups:
                  grpc:
                    protocol: h2c
                    targets: ["127.0.0.1:\(targetPort)"]
                    health_check: {enabled: false}
                    upstream: {response_timeout: 10s}
                  down:
                    protocol: h2c
                    targets: ["127.0.0.1:1"]
                    health_check: {enabled: false}
                  checked:
                    protocol: h2c
                    targets: ["127.0.0.1:\(targetPort)"]
                    all_unhealthy: reject
                    health_check: {protocol: grpc, interval: 1s, timeout: 500ms, healthy_threshold: 1, unhealthy_threshold: 1}
                """
            let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "grpc.yaml", baseDirectory: directory)
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let ports = try await server.start().map(\.port)
            return Running(
                server: server, target: target, targetPort: targetPort, ports: ports, directory: directory,
                certificates: certificates, peer: peer
            )
        }

        func stop() async {
            await self.server.shutdown()
            await self.target.stop()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        /// One check of the Python client, its JSON answer.
        func client(_ port: Int, _ check: String, _ options: [String] = []) async throws -> [String: Any] {
            let python = try require(which("python3"), "python3")
            let result = try await run(python, [self.peer, "client", "127.0.0.1:\(port)", check] + options, timeout: 60)
            let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SubprocessError(description: "grpc_peer.py \(check): \(result.stdout) \(result.stderr)")
            }
            return object
        }

        func curl(_ arguments: [String]) async throws -> ProcessResult {
            let curl = try require(which("curl"), "curl")
            return try await run(curl, ["--silent", "--show-error"] + arguments, timeout: 30)
        }

        /// A file holding one gRPC message (uncompressed, length-prefixed) with `payload`.
        func grpcMessageFile(_ payload: String) throws -> String {
            let file = self.directory + "/message-\(UUID().uuidString)"
            var bytes: [UInt8] = [0]
            let count = UInt32(payload.utf8.count)
            bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
            bytes += Array(payload.utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            return file
        }
    }

    @Test func unaryAndServerStreamingCallsWithTrailersThroughAnH2cGroup() async throws {
        let running = try await Running.start()
        let plain = running.ports[0]
        let unary = try await running.client(plain, "unary")
        let stream = try await running.client(plain, "stream")
        let failed = try await running.client(plain, "fail")
        let overTLS = try await running.client(running.ports[1], "unary", ["--tls", running.certificates.caCertificate])
        await running.stop()
        #expect(unary["code"] as? String == "OK", "\(unary)")
        #expect(unary["response"] as? String == "ping")
        #expect((unary["initial"] as? [String: String])?["x-initial"] == "hello")
        #expect((unary["trailing"] as? [String: String])?["x-trailer"] == "yes-ping")
        #expect(stream["code"] as? String == "OK", "\(stream)")
        #expect(stream["messages"] as? [String] == ["msg-0", "msg-1", "msg-2", "msg-3", "msg-4"])
        #expect((stream["trailing"] as? [String: String])?["x-count"] == "5")
        // The target's own status and message travel in its trailers.
        #expect(failed["code"] as? String == "PERMISSION_DENIED", "\(failed)")
        #expect(failed["details"] as? String == "denied by target")
        #expect(overTLS["code"] as? String == "OK", "\(overTLS)")
        #expect((overTLS["trailing"] as? [String: String])?["x-trailer"] == "yes-ping")
    }

    @Test func manyConcurrentCallsShareOneTargetConnection() async throws {
        let running = try await Running.start()
        let concurrent = try await running.client(running.ports[0], "concurrent", ["--count", "40"])
        // Asked of the target directly: how many connections brought it calls.
        let peers = try await running.client(running.targetPort, "peers")
        await running.stop()
        #expect(concurrent["ok"] as? Int == 40, "\(concurrent)")
        // 40 calls at once, each 200 ms: one event loop, streams of one connection (the cap is 100).
        #expect((peers["peers"] as? Int).map { (1...2).contains($0) } == true, "\(peers)")
    }

    @Test func aTargetThatIsDownIsUnavailableNotABare502() async throws {
        let running = try await Running.start()
        let plain = running.ports[0]
        let grpc = try await running.client(plain, "unary", ["--service", "down.Echo"])
        // Raw HTTP/2: a trailers-only answer, :status 200 with grpc-status 14. The request ends
        // with its HEADERS. With a body, the answer (the connect to port 1 is refused at once)
        // can beat curl's DATA and is then followed by RST_STREAM(NO_ERROR) (RFC 9113 §8.1);
        // once, under a loaded CI run, curl printed no head at all that way (the likely cause,
        // not reproduced).
        let raw = try await running.curl([
            "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "-X", "POST", "-H", "content-type: application/grpc", "-H", "te: trailers",
            "http://127.0.0.1:\(plain)/down.Echo/Unary",
        ])
        // Not a gRPC call: the plain 502.
        let plainStatus = try await running.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(plain)/down.Echo/x"])
        await running.stop()
        #expect(grpc["code"] as? String == "UNAVAILABLE", "\(grpc)")
        #expect(grpc["details"] as? String == "upstream connect failed")
        let head = raw.stdout.lowercased()
        #expect(head.hasPrefix("http/2 200"), "\(raw.stdout) \(raw.stderr) exit \(raw.status)")
        #expect(head.contains("grpc-status: 14"))
        #expect(head.contains("content-type: application/grpc"))
        #expect(!head.contains("127.0.0.1:1"))  // no internal address
        #expect(plainStatus.stdout == "502")
    }

    @Test func grpcTimeoutBoundsTheResponseAsDeadlineExceeded() async throws {
        let running = try await Running.start()
        let plain = running.ports[0]
        // The proxy's own answer: grpc-timeout 300m against a 3 s method, no client deadline.
        let message = try running.grpcMessageFile("3000")
        let started = Date()
        let raw = try await running.curl([
            "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "-H", "content-type: application/grpc", "-H", "te: trailers",
            "-H", "grpc-timeout: 300m", "--data-binary", "@" + message, "http://127.0.0.1:\(plain)/test.Echo/Slow",
        ])
        let elapsed = Date().timeIntervalSince(started)
        // And grpcio's own deadline (0.5 s) through the proxy.
        let client = try await running.client(plain, "deadline")
        await running.stop()
        let head = raw.stdout.lowercased()
        #expect(head.contains("grpc-status: 4"), "\(raw.stdout)")
        #expect(elapsed < 2.5, "answered after \(elapsed) s")
        #expect(client["code"] as? String == "DEADLINE_EXCEEDED", "\(client)")
    }

    @Test func anHTTP1ClientReachesAnH2cGroupAndGetsTrailersOnlyWhenItAsks() async throws {
        let running = try await Running.start()
        let plain = running.ports[0]
        let message = try running.grpcMessageFile("hi")
        let arguments = [
            "--http1.1", "-D", "-", "-o", "/dev/null", "-H", "content-type: application/grpc", "--data-binary", "@" + message,
        ]
        let withTE = try await running.curl(arguments + ["-H", "te: trailers", "http://127.0.0.1:\(plain)/test.Echo/Unary"])
        let withoutTE = try await running.curl(arguments + ["http://127.0.0.1:\(plain)/test.Echo/Unary"])
        await running.stop()
        #expect(withTE.stdout.hasPrefix("HTTP/1.1 200"), "\(withTE.stdout) \(withTE.stderr)")
        #expect(withTE.stdout.lowercased().contains("x-trailer: yes-hi"), "\(withTE.stdout)")
        #expect(withTE.stdout.lowercased().contains("grpc-status: 0"))
        #expect(withoutTE.stdout.hasPrefix("HTTP/1.1 200"))
        #expect(!withoutTE.stdout.lowercased().contains("grpc-status"), "\(withoutTE.stdout)")
    }

    @Test func aGRPCHealthCheckMarksANotServingTargetUnhealthy() async throws {
        let running = try await Running.start()
        let checked = running.ports[2]
        func poll(until code: String) async throws -> Bool {
            for _ in 0..<40 {
                if try await running.client(checked, "unary")["code"] as? String == code { return true }
                try await Task.sleep(for: .milliseconds(250))
            }
            return false
        }
        let servingFirst = try await poll(until: "OK")
        _ = try await running.client(running.targetPort, "set-health", ["NOT_SERVING"])
        let rejected = try await poll(until: "UNAVAILABLE")
        _ = try await running.client(running.targetPort, "set-health", ["SERVING"])
        let back = try await poll(until: "OK")
        await running.stop()
        #expect(servingFirst)
        #expect(rejected, "NOT_SERVING never made the target unhealthy")
        #expect(back, "SERVING never made it healthy again")
    }
}
