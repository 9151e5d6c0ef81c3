import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Rewrites, header templates and rules, request ids, and the order of the policy's decisions.
struct PolicyPartsTests {
    @Test(arguments: [
        (PathRewrite.stripPrefix("/api"), "/api/users?x=1", Optional("/users?x=1")),
        (.stripPrefix("/api"), "/api", "/"),
        (.stripPrefix("/api"), "/api?q", "/?q"),
        (.stripPrefix("/api/"), "/api/v", "/v"),
        (.stripPrefix("/api"), "/apis", nil),
        (.stripPrefix("/api"), "/other", nil),
        (.replacePrefix(from: "/v1", to: "/v2"), "/v1/users", "/v2/users"),
        (.replacePrefix(from: "/v1", to: "/"), "/v1/users", "/users"),
        (.replacePrefix(from: "/old", to: "/new/"), "/old", "/new/"),
    ])
    func rewrites(rewrite: PathRewrite, uri: String, expected: String?) {
        #expect(rewrite.apply(to: uri) == expected)
    }

    @Test func templatesRenderTheirVariables() {
        let variables = HeaderTemplate.Variables(clientIP: "192.0.2.1", requestID: "abc", host: "example.com", scheme: "https")
        #expect(HeaderTemplate("plain").staticValue == "plain")
        #expect(HeaderTemplate("${client_ip} ${scheme}://${host} #${request_id}").render(variables) == "192.0.2.1 https://example.com #abc")
        #expect(HeaderTemplate("cost: $$5").render(variables) == "cost: $5")
        #expect(HeaderTemplate("cost: $$5").staticValue == "cost: $5")
    }

    @Test func requestIDsAreUniqueHex() {
        let generator = RequestIDGenerator(prefix: 0xABCD)
        let first = generator.next().description
        let second = generator.next().description
        #expect(first.count == 32 && first.hasPrefix("000000000000abcd"))
        #expect(first != second)
        #expect(RequestIDGenerator.isAcceptable("trace-1"))
        #expect(!RequestIDGenerator.isAcceptable("has space") && !RequestIDGenerator.isAcceptable(String(repeating: "a", count: 201)))
    }

    /// The id's digits, made eight at a time, match `String(_:radix:)` for every digit value and
    /// both halves, in the access log's text and in the written line.
    @Test func requestIDHexMatchesStringRadix() {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 0xFF, 0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, UInt64.max, 0x8000_0000_0000_0000, 0xA0A0_0909_FAFA_0F0F]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 { values.append(generator.next()) }
        for (prefix, counter) in zip(values, values.reversed()) {
            let id = RequestID.made(prefix: prefix, counter: counter)
            #expect(id.description == hex(prefix) + hex(counter))
            var line = ByteBuffer()
            id.writeLine(into: &line)
            #expect(String(buffer: line) == "X-Request-Id: \(hex(prefix))\(hex(counter))\r\n")
        }
    }

    /// The request rules act in the rewriter's one pass, on parsed heads and on raw field lines.
    @Test func requestRulesDropAndAddInTheRewritersPass() throws {
        let rules = HeaderRules(
            dropping: ["X-Debug", "X-Env"],
            lines: [.init(name: "X-Env", value: HeaderTemplate("prod")), .init(name: "X-Client", value: HeaderTemplate("${client_ip}/${request_id}"))]
        )
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/x")
        head.headers.add(name: "Host", value: "example.com")
        head.headers.add(name: "x-debug", value: "1")
        head.headers.add(name: "X-Env", value: "dev")
        head.headers.add(name: "X-Request-Id", value: "bad id")
        head.headers.add(name: "Accept", value: "*/*")
        var cache = RequestHeaderRewriter.ForwardedCache()
        let rewriter = RequestHeaderRewriter(scheme: "https")
        let result = rewriter.rewrite(
            head,
            peerAddress: "192.0.2.7",
            cache: &cache,
            uri: "/rewritten",
            rules: rules,
            addedFields: [.init("X-User", "alice")],
            requestIDs: RequestIDGenerator(prefix: 1)
        )
        let text = String(buffer: result.head.bytes)
        #expect(text.hasPrefix("GET /rewritten HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n"))
        #expect(!text.contains("x-debug") && !text.contains("dev") && !text.contains("bad id"))
        let id = try #require(result.requestID).description
        #expect(text.contains("X-Request-Id: \(id)\r\nX-Env: prod\r\nX-Client: 192.0.2.7/\(id)\r\nX-User: alice\r\n"))
    }

    @Test func aClientsRequestIDIsKept() {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        head.headers.add(name: "X-Request-Id", value: "trace-7")
        var cache = RequestHeaderRewriter.ForwardedCache()
        let result = RequestHeaderRewriter(scheme: "http").rewrite(head, peerAddress: "192.0.2.7", cache: &cache, requestIDs: RequestIDGenerator())
        #expect(result.requestID == .client("trace-7"))
        let text = String(buffer: result.head.bytes)
        #expect(text.contains("X-Request-Id: trace-7\r\n"))
        #expect(text.split(separator: "\r\n").filter { $0.hasPrefix("X-Request-Id") }.count == 1)
    }

    /// A route's response rewriter as ListenerPlan makes it: the rules' names stripped with the
    /// identity headers, their static lines after `Server`.
    @Test func responseRulesStripAndAddOnce() {
        let rules = HeaderRules(dropping: ["X-Frame-Options", "X-Powered-By"], lines: [.init(name: "X-Frame-Options", value: HeaderTemplate("DENY"))])
        let route = ResponseHeaderRewriter(stripResponseHeaders: ["Server"] + rules.droppedNames, serverHeader: "p", fixedFields: rules.staticLines)
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "X-Powered-By", value: "php")
        head.headers.add(name: "X-Frame-Options", value: "ALLOW")
        head.headers.add(name: "Content-Length", value: "0")
        let rewritten = route.rewrite(head, clientVersion: .http1_1)
        #expect(rewritten.headers.map { "\($0.name): \($0.value)" } == ["Content-Length: 0", "Server: p", "X-Frame-Options: DENY"])
    }

    struct FixedAuthenticator: RequestAuthenticator {
        var passes: Bool
        func authenticate(_ fields: HTTPHeaders, now: Int64) -> Authentication {
            passes
                ? .passed(claims: ["sub": fields.first(name: "x-who") ?? "-"], fields: [.init("X-User", "u")])
                : .refused(PolicyRefusal(status: .unauthorized, reason: "auth_failed", detail: "no"))
        }
    }

    /// Access list, then authentication, then rate limits (keyed by a claim here).
    @Test func thePolicyDecidesInOrder() {
        func policy(allow: Bool, passes: Bool) -> EdgePolicy {
            EdgePolicy(
                access: AccessList(allow: { _ in allow }),
                auth: FixedAuthenticator(passes: passes),
                rateLimits: [RateLimitRule(key: .jwtClaim("sub"), limiter: RateLimiter(ratePerSecond: 1, burst: 1, maxKeys: 16), ratePerSecond: 1, name: "r")]
            )
        }
        var limitFields: [PolicyRefusal.Field] = []
        var authFields: [PolicyRefusal.Field] = []
        var claims: [String: String] = [:]
        var fields = HTTPHeaders()
        fields.add(name: "x-who", value: "alice")
        func admit(_ policy: EdgePolicy) -> PolicyRefusal? {
            policy.admit(clientAddress: "192.0.2.1", fields: fields, now: 1_000, unixTime: 0, rateLimitFields: &limitFields, authFields: &authFields, claims: &claims)
        }
        #expect(admit(policy(allow: false, passes: true))?.reason == "access_denied")
        #expect(admit(policy(allow: true, passes: false))?.reason == "auth_failed")
        let limited = policy(allow: true, passes: true)
        #expect(admit(limited) == nil)
        #expect(authFields == [.init("X-User", "u")])
        #expect(limitFields.map(\.name) == ["RateLimit-Policy", "RateLimit"])
        let refusal = admit(limited)
        #expect(refusal?.status == .tooManyRequests && refusal?.rateLimitKey == "jwt_claim")
        fields.replaceOrAdd(name: "x-who", value: "bob")  // another claim: another bucket
        #expect(admit(limited) == nil)
    }
}
