import Foundation
import Logging
import NIOCore
import NIOPosix
import ProxyConfig
import ProxyServer
import ProxyTLS
import Testing

/// The edge policy through real listeners, with curl (and raw sockets from Python for the PROXY
/// protocol v2): HSTS, header rules both ways, request ids, rewrites, rate limits, access lists,
/// request hygiene (enforced and monitored), 405, the PROXY protocol, connections per address.
@Suite(.serialized)
struct EdgePolicyIntegrationTests {
    /// A proxy from `yaml` (`BACKEND` stands for the test backend's port, `CERT`/`KEY` for a
    /// dev certificate) with an admin listener; its listeners' ports in order.
    struct Running {
        let server: ProxyServer
        let backend: TestBackend
        let ports: [Int]
        let directory: String
        let certificates: DevCertificatePaths

        /// - Parameter groups: More target groups, as YAML lines under `target_groups`.
        static func start(_ yaml: String, groups: String = "") async throws -> Running {
            let directory = try makeTemporaryDirectory()
            let certificates = try DevCertificateAuthority.ensure(directory: directory)
            let backend = try await TestBackend()
            let text = """
                global: {event_loops: 2, shutdown_grace: 1s, access_log: false}
                admin: {bind: "127.0.0.1:0"}
                \(yaml)
                target_groups:
                  web:
                    targets: ["127.0.0.1:\(backend.port)"]
                    health_check: {enabled: false}
                \(groups)
                """
                .replacingOccurrences(of: "CERT", with: certificates.certificate)
                .replacingOccurrences(of: "KEY", with: certificates.privateKey)
            let configuration = try ProxyConfiguration.parse(yaml: text, file: "edge.yaml", baseDirectory: directory)
            let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let listeners = try await server.start()
            return Running(server: server, backend: backend, ports: listeners.map(\.port), directory: directory, certificates: certificates)
        }

        func stop() async {
            await self.server.shutdown()
            await self.backend.stop()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        func curl(_ arguments: [String]) async throws -> ProcessResult {
            let curl = try require(which("curl"), "curl")
            return try await run(curl, ["--silent", "--show-error", "--cacert", self.certificates.caCertificate] + arguments, timeout: 30)
        }

        func metrics() async throws -> String {
            guard let port = self.server.adminAddress?.port else { throw SubprocessError(description: "no admin listener") }
            return try await self.curl(["http://127.0.0.1:\(port)/metrics"]).stdout
        }
    }

    /// The value of the response field `name` in curl's `--include` output.
    static func field(_ name: String, in output: String) -> String? {
        for line in output.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    static func status(_ output: String) -> Int? {
        output.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
    }

    @Test func hstsIsSentOnHTTPSAndNeverOnPlainHTTP() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - {name: secure, bind: "127.0.0.1:0", tls: {certificates: [{cert: CERT, key: KEY}], hsts: {max_age: 2d, include_subdomains: true}}, routes: [{forward: web}]}
              - {name: plain, bind: "127.0.0.1:0", routes: [{forward: web}]}
              - {name: default-hsts, bind: "127.0.0.1:0", tls: {certificates: [{cert: CERT, key: KEY}]}, routes: [{fixed_response: {status: 200, body: "ok"}}]}
              - {name: dead, bind: "127.0.0.1:0", tls: {certificates: [{cert: CERT, key: KEY}]}, routes: [{forward: dead}]}
              - {name: to-https, bind: "127.0.0.1:0", routes: [{redirect: {scheme: https, status: 308}}]}
            """,
            groups: "  dead: {targets: [\"127.0.0.1:1\"], health_check: {enabled: false}}"
        )
        let secure = try await proxy.curl(["--include", "https://localhost:\(proxy.ports[0])/"])
        #expect(Self.field("Strict-Transport-Security", in: secure.stdout) == "max-age=172800; includeSubDomains")
        let plain = try await proxy.curl(["--include", "http://127.0.0.1:\(proxy.ports[1])/"])
        #expect(Self.status(plain.stdout) == 200)
        #expect(Self.field("Strict-Transport-Security", in: plain.stdout) == nil)
        // The default, on a response the proxy makes itself.
        let local = try await proxy.curl(["--include", "https://localhost:\(proxy.ports[2])/"])
        #expect(Self.field("Strict-Transport-Security", in: local.stdout) == "max-age=31536000")
        // And on an error the proxy answers for a dead target, with the request's id.
        let dead = try await proxy.curl(["--include", "https://localhost:\(proxy.ports[3])/"])
        #expect(Self.status(dead.stdout) == 502, "\(dead.stdout)")
        #expect(Self.field("Strict-Transport-Security", in: dead.stdout) == "max-age=31536000")
        #expect(Self.field("X-Request-Id", in: dead.stdout)?.count == 32)
        #expect(!dead.stdout.contains("127.0.0.1:1"))
        // Plain HTTP to HTTPS, as the embedded default's :80 listener does: 308, path and query kept.
        let redirect = try await proxy.curl(["--include", "-H", "Host: shop.example", "http://127.0.0.1:\(proxy.ports[4])/cart?x=1"])
        #expect(Self.status(redirect.stdout) == 308)
        #expect(Self.field("Location", in: redirect.stdout) == "https://shop.example/cart?x=1")
        #expect(Self.field("Strict-Transport-Security", in: redirect.stdout) == nil)
        await proxy.stop()
    }

    @Test func headerRulesActBothWaysAndEveryRequestHasAnID() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l1
                bind: "127.0.0.1:0"
                strip_response_headers: [Server]
                request_headers: {set: {X-Env: listener}, add: {X-Edge: portcullis}}
                response_headers: {add: {X-Frame-Options: SAMEORIGIN}}
                routes:
                  - name: app
                    forward: web
                    request_headers: {set: {X-Env: prod}, add: {X-Client: "${client_ip} via ${scheme}"}, remove: [X-Debug]}
                    response_headers:
                      set: {X-AspNet-Version: hidden, X-Frame-Options: DENY}
                      add: {X-Request: "${request_id}"}
                      remove: [X-Powered-By]
            """
        )
        let url = "http://127.0.0.1:\(proxy.ports[0])/headers"
        let result = try await proxy.curl(["--include", "-H", "X-Debug: 1", "-H", "X-Env: dev", url])
        let output = result.stdout
        #expect(Self.status(output) == 200, "\(output)")
        // To the target: set replaces, add adds (the listener's too), remove removes.
        #expect(output.contains("X-Env: prod\n"))
        #expect(!output.contains("X-Env: dev") && !output.contains("X-Env: listener"))
        #expect(output.contains("X-Edge: portcullis\n"))
        #expect(output.contains("X-Client: 127.0.0.1 via http\n"))
        #expect(!output.contains("X-Debug"))
        // A request id was made, went to the target, and came back.
        let id = try #require(Self.field("X-Request-Id", in: output))
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        #expect(output.contains("X-Request-Id: \(id)\n"))
        #expect(Self.field("X-Request", in: output) == id)
        // From the target: the route's rules over the listener's.
        #expect(Self.field("X-AspNet-Version", in: output) == "hidden")
        #expect(Self.field("X-Frame-Options", in: output) == "DENY")
        #expect(Self.field("X-Powered-By", in: output) == nil)
        #expect(Self.field("Server", in: output) == "portcullis")
        // A client's own id is kept end to end.
        let own = try await proxy.curl(["--include", "-H", "X-Request-Id: trace-abc-123", url])
        #expect(own.stdout.contains("X-Request-Id: trace-abc-123\n"))
        #expect(Self.field("X-Request-Id", in: own.stdout) == "trace-abc-123")
        await proxy.stop()
    }

    @Test func rewritesChangeThePathTheTargetSees() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l2
                bind: "127.0.0.1:0"
                routes:
                  - {match: {path_prefix: /api}, rewrite: {strip_prefix: /api}, forward: web}
                  - {match: {path_prefix: /v1}, rewrite: {replace_prefix: {from: /v1, to: /headers}}, forward: web}
                  - {forward: web}
            """
        )
        let base = "http://127.0.0.1:\(proxy.ports[0])"
        let stripped = try await proxy.curl(["\(base)/api/headers?x=1"])
        #expect(stripped.stdout.hasPrefix("GET /headers?x=1 HTTP/1.1\n"), "\(stripped.stdout)")
        let replaced = try await proxy.curl(["\(base)/v1"])
        #expect(replaced.stdout.hasPrefix("GET /headers HTTP/1.1\n"), "\(replaced.stdout)")
        // Not at a segment boundary: left alone.
        let apis = try await proxy.curl(["\(base)/apis"])
        #expect(apis.stdout == "hello")
        await proxy.stop()
    }

    @Test func aRateLimitAnswers429AfterTheBurst() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l3
                bind: "127.0.0.1:0"
                routes:
                  - {match: {path_prefix: /limited}, rate_limits: [{rate: 1/m, burst: 3}], forward: web}
                  - {match: {path_prefix: /by-key}, rate_limits: [{key: "header:X-API-Key", rate: 1/m, burst: 1}], forward: web}
                  - {forward: web}
            """
        )
        let url = "http://127.0.0.1:\(proxy.ports[0])/limited"
        for remaining in [2, 1, 0] {
            let allowed = try await proxy.curl(["--include", url])
            #expect(Self.status(allowed.stdout) == 200)
            #expect(Self.field("RateLimit", in: allowed.stdout)?.hasPrefix("\"client_ip\";r=\(remaining);") == true, "\(allowed.stdout)")
        }
        let refused = try await proxy.curl(["--include", url])
        #expect(Self.status(refused.stdout) == 429)
        let retryAfter = try #require(Self.field("Retry-After", in: refused.stdout).flatMap { Int($0) })
        #expect((1...60).contains(retryAfter))
        #expect(Self.field("RateLimit-Policy", in: refused.stdout) == "\"client_ip\";q=3;w=180")
        // Another route is not limited.
        #expect(Self.status(try await proxy.curl(["--include", "http://127.0.0.1:\(proxy.ports[0])/other"]).stdout) == 200)
        // By header: each key has its bucket; no header, no limit.
        let byKey = "http://127.0.0.1:\(proxy.ports[0])/by-key"
        #expect(Self.status(try await proxy.curl(["--include", "-H", "X-API-Key: a", byKey]).stdout) == 200)
        #expect(Self.status(try await proxy.curl(["--include", "-H", "X-API-Key: a", byKey]).stdout) == 429)
        #expect(Self.status(try await proxy.curl(["--include", "-H", "X-API-Key: b", byKey]).stdout) == 200)
        #expect(Self.status(try await proxy.curl(["--include", byKey]).stdout) == 200)
        let metrics = try await proxy.metrics()
        #expect(metrics.contains("portcullis_rate_limited_total{") && metrics.contains("key=\"client_ip\""))
        #expect(metrics.contains("reason=\"rate_limited\""))
        await proxy.stop()
    }

    @Test func accessListsRefuseWith403() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l4
                bind: "127.0.0.1:0"
                routes:
                  - {match: {path_prefix: /office}, allow: [10.0.0.0/8, "fd00::/8"], forward: web}
                  - {match: {path_prefix: /blocked}, deny: [127.0.0.0/8], forward: web}
                  - {match: {path_prefix: /local}, allow: [127.0.0.1], forward: web}
                  - {forward: web}
              - name: l5
                bind: "127.0.0.1:0"
                deny: [127.0.0.1/32]
                routes: [{forward: web}]
            """
        )
        let base = "http://127.0.0.1:\(proxy.ports[0])"
        #expect(Self.status(try await proxy.curl(["--include", "\(base)/office"]).stdout) == 403)
        #expect(Self.status(try await proxy.curl(["--include", "\(base)/blocked"]).stdout) == 403)
        #expect(Self.status(try await proxy.curl(["--include", "\(base)/local"]).stdout) == 200)
        // A listener's list covers every request, even one no route takes.
        #expect(Self.status(try await proxy.curl(["--include", "http://127.0.0.1:\(proxy.ports[1])/"]).stdout) == 403)
        #expect(proxy.backend.requestsServed == 1)
        #expect(try await proxy.metrics().contains("reason=\"access_denied\""))
        await proxy.stop()
    }

    @Test func pathsThatClimbOrHideSlashesAre400AndMonitorModeLetsThemThrough() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l6
                bind: "127.0.0.1:0"
                routes: [{forward: web}]
              - name: l7
                bind: "127.0.0.1:0"
                request_hygiene: {mode: monitor}
                routes: [{forward: web}]
              - name: l8
                bind: "127.0.0.1:0"
                routes: [{match: {path: /only, methods: [GET, HEAD]}, forward: web}]
            """
        )
        let base = "http://127.0.0.1:\(proxy.ports[0])"
        for path in ["/a/../../etc/passwd", "/a%2Fb", "/a%00b", "/%C0%AE%C0%AE/x", "/a%zz"] {
            let result = try await proxy.curl(["--include", "--path-as-is", "\(base)\(path)"])
            #expect(Self.status(result.stdout) == 400, "\(path): \(result.stdout)")
        }
        #expect(proxy.backend.requestsServed == 0)
        // Normalised once: the target sees the resolved, decoded path.
        let normalized = try await proxy.curl(["--path-as-is", "\(base)/x/../%68eaders/./"])
        #expect(normalized.stdout.hasPrefix("GET /headers/ HTTP/1.1\n") || normalized.stdout == "hello", "\(normalized.stdout)")
        let resolved = try await proxy.curl(["--path-as-is", "\(base)/x/../head%65rs"])
        #expect(resolved.stdout.hasPrefix("GET /headers HTTP/1.1\n"), "\(resolved.stdout)")
        // Monitor mode: through, counted.
        let monitored = try await proxy.curl(["--include", "--path-as-is", "http://127.0.0.1:\(proxy.ports[1])/a%2Fb"])
        #expect(Self.status(monitored.stdout) == 200)
        let metrics = try await proxy.metrics()
        #expect(metrics.contains("reason=\"encoded_slash\"") && metrics.contains("action=\"monitored\""))
        #expect(metrics.contains("reason=\"path_traversal\"") && metrics.contains("action=\"refused\""))
        // A method no route takes where another would: 405 with Allow.
        let post = try await proxy.curl(["--include", "-X", "POST", "http://127.0.0.1:\(proxy.ports[2])/only"])
        #expect(Self.status(post.stdout) == 405)
        #expect(Self.field("Allow", in: post.stdout) == "GET, HEAD")
        #expect(Self.status(try await proxy.curl(["--include", "http://127.0.0.1:\(proxy.ports[2])/else"]).stdout) == 404)
        await proxy.stop()
    }

    @Test func theProxyProtocolGivesTheClientAddressAndUntrustedPeersAreRefused() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l9
                bind: "127.0.0.1:0"
                proxy_protocol: {trusted: [127.0.0.0/8]}
                routes:
                  - {match: {path_prefix: /office}, allow: [192.0.2.0/24], rewrite: {strip_prefix: /office}, forward: web}
                  - {forward: web}
              - name: l10
                bind: "127.0.0.1:0"
                proxy_protocol: {trusted: [10.0.0.0/8]}
                routes: [{forward: web}]
              - name: l11
                bind: "127.0.0.1:0"
                proxy_protocol: {trusted: [127.0.0.1]}
                tls: {certificates: [{cert: CERT, key: KEY}]}
                routes: [{forward: web}]
            """
        )
        // v1 from curl (the source it sends is its own address).
        let v1 = try await proxy.curl(["--haproxy-protocol", "http://127.0.0.1:\(proxy.ports[0])/headers"])
        #expect(v1.stdout.contains("X-Forwarded-For: 127.0.0.1\n"), "\(v1.stdout)")
        // v2 with another source, written by Python; allowed by the route's list only through it.
        let python = try require(which("python3"), "python3")
        let script = """
            import socket, struct, sys
            port, path = int(sys.argv[1]), sys.argv[2]
            sig = b"\\r\\n\\r\\n\\x00\\r\\nQUIT\\n"
            body = socket.inet_aton("192.0.2.9") + socket.inet_aton("127.0.0.1") + struct.pack("!HH", 40000, port)
            header = sig + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(header + f"GET {path} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            sys.stdout.write(data.decode(errors="replace"))
            """
        let v2 = try await run(python, ["-c", script, String(proxy.ports[0]), "/office/headers"], timeout: 20)
        #expect(v2.stdout.hasPrefix("HTTP/1.1 200 OK"), "\(v2.stdout) \(v2.stderr)")
        #expect(v2.stdout.contains("X-Forwarded-For: 192.0.2.9\n"))
        // Without the header on a PROXY listener: closed, nothing answered.
        let missing = try await proxy.curl(["--max-time", "5", "http://127.0.0.1:\(proxy.ports[0])/"])
        #expect(missing.status != 0)
        // From a peer that is not trusted: closed at accept.
        let untrusted = try await proxy.curl(["--haproxy-protocol", "--max-time", "5", "http://127.0.0.1:\(proxy.ports[1])/"])
        #expect(untrusted.status != 0)
        // Before TLS.
        let tls = try await proxy.curl(["--haproxy-protocol", "https://localhost:\(proxy.ports[2])/whoami"])
        #expect(tls.stdout == "backend", "\(tls.stderr)")
        let metrics = try await proxy.metrics()
        #expect(metrics.contains("portcullis_connections_refused_total{") && metrics.contains("reason=\"proxy_protocol_untrusted\""))
        await proxy.stop()
    }

    @Test func targetsCanBeToldTheClientWithAProxyProtocolHeader() async throws {
        let python = try require(which("python3"), "python3")
        let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path
        let target = try PeerProcess(python, [peers + "/proxy_protocol_target.py"])
        guard let line = try await target.line(timeout: .seconds(20)), let targetPort = Int(line) else {
            await target.stop()
            throw SubprocessError(description: "the PROXY target did not start: \(target.stderr)")
        }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let yaml = """
            global: {event_loops: 1, shutdown_grace: 1s, access_log: false}
            listeners:
              - {name: in, bind: "127.0.0.1:0", routes: [{forward: behind}]}
            target_groups:
              behind:
                targets: ["127.0.0.1:\(targetPort)"]
                health_check: {enabled: false}
                upstream: {proxy_protocol: v2}
            """
        let configuration = try ProxyConfiguration.parse(yaml: yaml, file: "pp.yaml", baseDirectory: directory)
        let server = try ProxyServer(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let port = try await server.start()[0].port
        let curl = try require(which("curl"), "curl")
        // Two requests on one client connection: each gets its own target connection and header.
        let result = try await run(curl, ["-sS", "http://127.0.0.1:\(port)/a", "-w", "\n", "http://127.0.0.1:\(port)/b"])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(result.stdout) \(result.stderr)")
        for line in lines {
            #expect(line.hasPrefix("src=127.0.0.1:") && line.contains(" dst=127.0.0.1:\(port) "), "\(line)")
        }
        let connections: Set<String> = Set(lines.compactMap { line -> String? in line.split(separator: " ").last.map(String.init) })
        #expect(connections == ["conn=1", "conn=2"])
        await server.shutdown()
        await target.stop()
    }

    @Test func connectionsPerAddressAreCappedAtAccept() async throws {
        let proxy = try await Running.start(
            """
            listeners:
              - name: l12
                bind: "127.0.0.1:0"
                limits: {connections_per_ip: 2}
                routes: [{forward: web}]
            """
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var held: [any Channel] = []
        for _ in 0..<2 {
            held.append(try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: proxy.ports[0]).get())
        }
        try await Task.sleep(for: .milliseconds(200))
        let refused = try await proxy.curl(["--max-time", "5", "http://127.0.0.1:\(proxy.ports[0])/"])
        #expect(refused.status != 0)
        for channel in held { try await channel.close() }
        held.removeAll()
        try await Task.sleep(for: .milliseconds(200))
        let allowed = try await proxy.curl(["http://127.0.0.1:\(proxy.ports[0])/"])
        #expect(allowed.stdout == "hello", "\(allowed.stderr)")
        #expect(try await proxy.metrics().contains("reason=\"connections_per_ip\""))
        try await group.shutdownGracefully()
        await proxy.stop()
    }
}

/// Route authentication through a real listener with curl: API keys (digests made by
/// `sha256sum`) and JWTs (keys and tokens made by Python and the openssl command).
@Suite(.serialized)
struct AuthenticationIntegrationTests {
    static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path

    @Test func apiKeysAndTokensAreCheckedBeforeAnythingIsForwarded() async throws {
        let python = try require(which("python3"), "python3")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sha256sum = try require(which("sha256sum"), "sha256sum")
        let digest = try await run(sha256sum, [], stdin: "s3cret-key").stdout.split(separator: " ")[0]
        try "# test keys\n\(digest)  ci-bot\n".write(toFile: directory + "/keys.txt", atomically: true, encoding: .utf8)
        _ = try await run(python, [Self.peers + "/jwt_tool.py", "keygen", directory])
        let now = Int(Date().timeIntervalSince1970)
        func token(_ claims: String, alg: String = "ES256") async throws -> String {
            try await run(python, [Self.peers + "/jwt_tool.py", "token", directory, claims, alg]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let good = try await token(#"{"sub":"alice","iss":"https://id.example","aud":"api","exp":\#(now + 600)}"#)
        let expired = try await token(#"{"sub":"alice","iss":"https://id.example","aud":"api","exp":\#(now - 600)}"#)
        let wrongAudience = try await token(#"{"sub":"alice","iss":"https://id.example","aud":"other","exp":\#(now + 600)}"#)
        let unsigned = try await token(#"{"sub":"alice","iss":"https://id.example","aud":"api","exp":\#(now + 600)}"#, alg: "none")
        let tampered = good.split(separator: ".").enumerated().map { index, part in
            index == 1 ? Substring(base64URL(#"{"sub":"mallory","iss":"https://id.example","aud":"api","exp":\#(now + 600)}"#)) : part
        }.joined(separator: ".")

        let proxy = try await EdgePolicyIntegrationTests.Running.start(
            """
            listeners:
              - name: api
                bind: "127.0.0.1:0"
                routes:
                  - match: {path_prefix: /keyed}
                    auth: {api_key: {header: X-API-Key, keys_file: \(directory)/keys.txt}}
                    rewrite: {strip_prefix: /keyed}
                    forward: web
                  - match: {path_prefix: /jwt}
                    auth:
                      jwt:
                        jwks_file: \(directory)/jwks.json
                        issuer: https://id.example
                        audience: api
                        algorithms: [ES256]
                        claims_to_headers: {sub: X-User}
                    rate_limits: [{key: "jwt_claim:sub", rate: 1/m, burst: 2}]
                    rewrite: {strip_prefix: /jwt}
                    forward: web
                  - forward: web
            """
        )
        let base = "http://127.0.0.1:\(proxy.ports[0])"
        typealias T = EdgePolicyIntegrationTests
        // API key.
        let noKey = try await proxy.curl(["--include", "\(base)/keyed/headers"])
        #expect(T.status(noKey.stdout) == 401)
        #expect(T.field("WWW-Authenticate", in: noKey.stdout) == "APIKey header=\"X-API-Key\"")
        #expect(T.status(try await proxy.curl(["--include", "-H", "X-API-Key: wrong", "\(base)/keyed/headers"]).stdout) == 401)
        let keyed = try await proxy.curl(["--include", "-H", "X-API-Key: s3cret-key", "\(base)/keyed/headers"])
        #expect(T.status(keyed.stdout) == 200)
        #expect(!keyed.stdout.contains("s3cret-key"), "the key is not forwarded")
        // JWT.
        let bearer = { (token: String) in ["--include", "-H", "Authorization: Bearer \(token)", "-H", "X-User: root", "\(base)/jwt/headers"] }
        let passed = try await proxy.curl(bearer(good))
        #expect(T.status(passed.stdout) == 200, "\(passed.stdout)")
        #expect(passed.stdout.contains("X-User: alice\n") && !passed.stdout.contains("X-User: root"))
        for (token, why) in [(expired, "expired"), (wrongAudience, "audience"), (unsigned, "none"), (tampered, "signature"), ("not.a.jwt", "malformed")] {
            let refused = try await proxy.curl(bearer(token))
            #expect(T.status(refused.stdout) == 401, "\(why): \(refused.stdout)")
            #expect(T.field("WWW-Authenticate", in: refused.stdout)?.hasPrefix("Bearer error=\"invalid_token\"") == true, "\(why)")
        }
        #expect(T.status(try await proxy.curl(["--include", "\(base)/jwt/headers"]).stdout) == 401)
        // The rate limit is keyed by the verified subject: alice has had one of her two.
        #expect(T.status(try await proxy.curl(bearer(good)).stdout) == 200)
        #expect(T.status(try await proxy.curl(bearer(good)).stdout) == 429)
        #expect(proxy.backend.requestsServed == 3)
        let metrics = try await proxy.metrics()
        #expect(metrics.contains("reason=\"auth_failed\"") && metrics.contains("reason=\"auth_missing\""))
        await proxy.stop()
    }

    @Test func basicAuthChecksPasswordsOffTheEventLoop() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let openssl = try require(which("openssl"), "openssl")
        let hash = try await run(openssl, ["passwd", "-6", "correct horse"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try "alice:\(hash)\n".write(toFile: directory + "/users", atomically: true, encoding: .utf8)
        let proxy = try await EdgePolicyIntegrationTests.Running.start(
            """
            listeners:
              - name: site
                bind: "127.0.0.1:0"
                routes:
                  - {auth: {basic: {users_file: \(directory)/users, realm: Staff}}, forward: web}
            """
        )
        typealias T = EdgePolicyIntegrationTests
        let url = "http://127.0.0.1:\(proxy.ports[0])/headers"
        let none = try await proxy.curl(["--include", url])
        #expect(T.status(none.stdout) == 401)
        #expect(T.field("WWW-Authenticate", in: none.stdout) == "Basic realm=\"Staff\", charset=\"UTF-8\"")
        #expect(T.status(try await proxy.curl(["--include", "-u", "alice:wrong", url]).stdout) == 401)
        #expect(T.status(try await proxy.curl(["--include", "-u", "bob:correct horse", url]).stdout) == 401)
        // Twice: the second is remembered (no hash); the credentials never reach the target.
        for _ in 0..<2 {
            let passed = try await proxy.curl(["--include", "-u", "alice:correct horse", url])
            #expect(T.status(passed.stdout) == 200, "\(passed.stdout)")
            #expect(!passed.stdout.contains("Authorization"))
        }
        // A body sent with the request waits for the check and arrives whole.
        let upload = try await proxy.curl(["-u", "alice:correct horse", "--data-binary", String(repeating: "x", count: 100_000), "http://127.0.0.1:\(proxy.ports[0])/echo"])
        #expect(upload.stdout.hasPrefix("bytes=100000 "), "\(upload.stdout)")
        #expect(proxy.backend.requestsServed == 3)
        await proxy.stop()
    }

    @Test func forwardAuthAsksAnAuthServiceFirst() async throws {
        let python = try require(which("python3"), "python3")
        let service = try PeerProcess(python, [Self.peers + "/auth_service.py"])
        guard let line = try await service.line(timeout: .seconds(20)), let port = Int(line) else {
            await service.stop()
            throw SubprocessError(description: "the auth service did not start: \(service.stderr)")
        }
        let proxy = try await EdgePolicyIntegrationTests.Running.start(
            """
            listeners:
              - name: app
                bind: "127.0.0.1:0"
                routes:
                  - {match: {path_prefix: /down}, auth: {forward: {url: "http://127.0.0.1:1/auth"}}, forward: web}
                  - auth: {forward: {url: "http://127.0.0.1:\(port)/check?v=1", copy_headers: [X-User, X-Seen-Uri], timeout: 1s}}
                    forward: web
            """
        )
        typealias T = EdgePolicyIntegrationTests
        let base = "http://127.0.0.1:\(proxy.ports[0])"
        let passed = try await proxy.curl(["--include", "-H", "Authorization: Token good", "-H", "X-User: mallory", "\(base)/headers?q=1"])
        #expect(T.status(passed.stdout) == 200, "\(passed.stdout)")
        #expect(passed.stdout.contains("X-User: alice\n") && !passed.stdout.contains("mallory"))
        #expect(passed.stdout.contains("X-Seen-Uri: /headers?q=1\n"))
        // Refused: the client gets the service's own answer.
        let refused = try await proxy.curl(["--include", "-H", "Authorization: Token bad", "\(base)/headers"])
        #expect(T.status(refused.stdout) == 401)
        #expect(T.field("WWW-Authenticate", in: refused.stdout) == "Token realm=\"test\"")
        #expect(T.field("Content-Type", in: refused.stdout) == "application/json")
        #expect(refused.stdout.hasSuffix("\r\n\r\n{\"error\":\"denied\"}"))
        // Too slow: 504; unreachable: 503. Never through.
        #expect(T.status(try await proxy.curl(["--include", "-H", "Authorization: Token slow", "\(base)/headers"]).stdout) == 504)
        let down = try await proxy.curl(["--include", "-H", "Authorization: Token good", "\(base)/down"])
        #expect(T.status(down.stdout) == 503)
        #expect(!down.stdout.contains("127.0.0.1:1"))
        #expect(proxy.backend.requestsServed == 1)
        // The service saw the method and the original URI.
        #expect(service.stderr.contains("GET /check?v=1 GET /headers?q=1"))
        await proxy.stop()
        await service.stop()
    }

    func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
