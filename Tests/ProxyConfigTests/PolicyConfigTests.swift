import Testing

@testable import ProxyConfig

/// The edge-policy keys (docs/security.md): what they read into, and every mistake reported
/// at once with its place.
struct PolicyConfigTests {
    @Test func everyPolicyKeyIsRead() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("keys.txt", String(repeating: "ab", count: 32) + "  ci\n")
        let configuration = try fixture.parse(
            """
            global: {redis: {address: "127.0.0.1:6390"}}
            listeners:
              - bind: "127.0.0.1:8443"
                tls: {certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}], hsts: {max_age: 2d, include_subdomains: true}}
                request_id: false
                request_hygiene: {mode: monitor, encoded_slash: false}
                proxy_protocol: {trusted: [10.0.0.0/8]}
                limits: {connections_per_ip: 50}
                allow: [10.0.0.0/8]
                deny: [10.9.0.0/16]
                rate_limits: [{rate: 600/m}]
                request_headers: {set: {X-Env: prod}, remove: [X-Debug]}
                response_headers: {add: {X-Frame-Options: DENY, X-Served-For: "${client_ip}"}}
                routes:
                  - match: {path_prefix: /api}
                    rewrite: {strip_prefix: /api}
                    auth: {api_key: {keys_file: keys.txt}}
                    rate_limits: [{key: "header:X-Tenant", rate: 10/s, burst: 40, max_keys: 1000, shared: true}]
                    forward: web
                  - rewrite: {replace_prefix: {from: /v1, to: /v2}}
                    forward: web
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
            """
        )
        let listener = configuration.listeners[0]
        #expect(configuration.global.redis == BindAddress(host: "127.0.0.1", port: 6390))
        #expect(listener.tls?.hsts == HSTSConfiguration(maxAge: .seconds(172_800), includeSubdomains: true))
        #expect(!listener.requestID)
        #expect(listener.requestHygiene == RequestHygieneConfiguration(mode: .monitor, encodedSlash: false))
        #expect(listener.proxyProtocol?.trusted.map(\.description) == ["10.0.0.0/8"])
        #expect(listener.limits.connectionsPerIP == 50)
        #expect(listener.policy.allow.map(\.description) == ["10.0.0.0/8"] && listener.policy.deny.map(\.description) == ["10.9.0.0/16"])
        #expect(listener.policy.rateLimits.first?.ratePerSecond == 10 && listener.policy.rateLimits.first?.burst == 10)
        #expect(listener.policy.requestHeaders == HeaderRulesConfiguration(set: [.init(name: "X-Env", value: "prod")], remove: ["X-Debug"]))
        #expect(listener.policy.responseHeaders.add.map(\.value) == ["DENY", "${client_ip}"])
        let api = listener.routes[0]
        #expect(api.rewrite == .stripPrefix("/api"))
        #expect(api.auth?.method == .apiKey(header: "X-API-Key", keysFile: fixture.directory + "/keys.txt"))
        let limit = try #require(api.policy.rateLimits.first)
        #expect(limit.key == .header("x-tenant") && limit.burst == 40 && limit.maxKeys == 1000 && limit.shared)
        #expect(listener.routes[1].rewrite == .replacePrefix(from: "/v1", to: "/v2"))
    }

    @Test func theDefaultsAreOn() throws {
        let fixture = try ConfigFixture()
        let listener = try fixture.parse(
            """
            listeners:
              - {bind: "127.0.0.1:8443", tls: {certificates: [{cert: certs/localhost.pem, key: certs/localhost-key.pem}]}, routes: [{fixed_response: {status: 200}}]}
            """
        ).listeners[0]
        #expect(listener.tls?.hsts?.fieldValue == "max-age=31536000")
        #expect(listener.requestID)
        #expect(listener.requestHygiene == RequestHygieneConfiguration())
        #expect(listener.policy == PolicyConfiguration())
    }

    @Test func everyPolicyMistakeIsReportedAtOnce() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("bad-keys.txt", "not-a-digest\n")
        try fixture.writeFile("empty.jwks", #"{"keys": []}"#)
        let errors = fixture.errors(
            """
            listeners:
              - bind: "127.0.0.1:8080"
                allow: [10.0.0.300/8]
                rate_limits: [{rate: 10/d}, {key: cookie, rate: 1/s}, {burst: 3}, {rate: 1/s, shared: true}]
                request_headers: {set: {Content-Length: "0"}, add: {X-A: "${nope}"}, remove: ["bad name"]}
                response_headers: {set: {X-B: "$x"}}
                request_hygiene: {mode: strict}
                proxy_protocol: {}
                routes:
                  - fixed_response: {status: 200}
                    rewrite: {strip_prefix: api}
                  - match: {path_prefix: /k}
                    auth: {api_key: {keys_file: bad-keys.txt}}
                    forward: web
                  - match: {path_prefix: /j}
                    auth: {jwt: {jwks_file: empty.jwks, algorithms: [HS256]}}
                    forward: web
                  - auth: {basic: {users_file: x}}
                    forward: web
            target_groups:
              web: {targets: ["127.0.0.1:9"]}
            """
        )
        let expected = [
            "test.yaml:3:13: listeners[0].allow[0]: \"10.0.0.300/8\" is not an IP address or CIDR (such as 10.0.0.0/8 or fd00::/8)",
            "test.yaml:4:26: listeners[0].rate_limits[0].rate: expected requests per second, minute or hour, such as 100/s, 600/m or 1000/h (got \"10/d\")",
            "test.yaml:4:39: listeners[0].rate_limits[1].key: must be client_ip, header:NAME or jwt_claim:NAME (got \"cookie\")",
            "test.yaml:4:59: listeners[0].rate_limits[2].rate: missing required key \"rate\" (such as 100/s, 600/m or 1000/h)",
            "test.yaml:4:91: listeners[0].rate_limits[3].shared: a shared rate limit keeps its bucket in Redis: add global.redis: {address: host:port}",
            "test.yaml:5:29: listeners[0].request_headers.set.Content-Length: Content-Length frames the message or is hop-by-hop: the proxy sets it, a rule cannot",
            "test.yaml:5:62: listeners[0].request_headers.add.X-A: unknown variable ${nope} (known: ${client_ip}, ${request_id}, ${host}, ${scheme})",
            "test.yaml:5:83: listeners[0].request_headers.remove[0]: \"bad name\" is not a valid header name",
            "test.yaml:6:35: listeners[0].response_headers.set.X-B: a \"$\" must start a variable such as ${client_ip} (write $$ for a literal $)",
            "test.yaml:7:29: listeners[0].request_hygiene.mode: unknown mode \"strict\" (expected one of: enforce, monitor)",
            "test.yaml:8:21: listeners[0].proxy_protocol.trusted: missing required key \"trusted\" (the CIDRs of the load balancers that send the PROXY header)",
            "test.yaml:11:33: listeners[0].routes[0].rewrite.strip_prefix: must be a path starting with \"/\", visible ASCII, without a query (got \"api\")",
        ]
        for line in expected {
            #expect(errors.contains(line), "missing: \(line)\nall: \(errors.joined(separator: "\n"))")
        }
        #expect(errors.contains { $0.hasPrefix("test.yaml:13:37: listeners[0].routes[1].auth.api_key.keys_file: \(fixture.directory)/bad-keys.txt: line 1:") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:16:58: listeners[0].routes[2].auth.jwt.algorithms[0]: unknown algorithm \"HS256\"") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:16:33: listeners[0].routes[2].auth.jwt.jwks_file: \(fixture.directory)/empty.jwks:") && $0.contains("key") })
        #expect(errors.contains("test.yaml:18:36: listeners[0].routes[3].auth.basic.users_file: file not found: \(fixture.directory)/x"))
    }
}
