public import NIOHTTP1

/// One `rate_limits` entry at run time: what the bucket is keyed by, and its buckets.
public struct RateLimitRule: Sendable {
    public enum Key: Sendable, Hashable {
        case clientIP
        /// Lowercased field name.
        case header(String)
        case jwtClaim(String)

        /// For metrics: `client_ip`, `header`, `jwt_claim`.
        public var kind: String {
            switch self {
            case .clientIP: "client_ip"
            case .header: "header"
            case .jwtClaim: "jwt_claim"
            }
        }
    }

    public var key: Key
    public var limiter: RateLimiter
    /// Where it was configured (`routes[0].rate_limits[1]`), for logs.
    public var name: String
    /// `RateLimit-Policy` (IETF httpapi draft): `"client_ip";q=200;w=2`.
    public let policyField: String

    public init(key: Key, limiter: RateLimiter, ratePerSecond: Double, name: String) {
        self.key = key
        self.limiter = limiter
        self.name = name
        self.policyField = key.policyField(burst: limiter.burst, ratePerSecond: ratePerSecond)
    }
}

extension RateLimitRule.Key {
    /// `RateLimit-Policy` (IETF httpapi draft): `"client_ip";q=200;w=2` (quota, window).
    public func policyField(burst: Int, ratePerSecond: Double) -> String {
        let window = max(1, Int((Double(burst) / ratePerSecond).rounded(.up)))
        return "\"\(self.kind)\";q=\(burst);w=\(window)"
    }

    /// A limit's answer, the same for the in-process and the shared (Redis) buckets: `nil`
    /// with the `RateLimit` fields for the response when the request may pass, else the `429`.
    public func outcome(
        _ decision: RateLimiter.Decision,
        policyField: String,
        limitName: String,
        responseFields: inout [PolicyRefusal.Field]
    ) -> PolicyRefusal? {
        let state = "\"\(self.kind)\";r=\(decision.remaining);t=\(decision.resetSeconds)"
        guard decision.allowed else {
            return PolicyRefusal(
                status: .tooManyRequests,
                reason: "rate_limited",
                detail: "\(limitName) (\(self.kind))",
                fields: [.init("Retry-After", String(decision.retryAfterSeconds)), .init("RateLimit-Policy", policyField), .init("RateLimit", state)],
                rateLimitKey: self.kind
            )
        }
        responseFields = [.init("RateLimit-Policy", policyField), .init("RateLimit", state)]
        return nil
    }

    /// The bucket's key for a request (a hash the same in every instance), or `nil` when the
    /// request has none (no such header or claim): the limit does not apply to it.
    public func hash(clientAddress: String, fields: HTTPHeaders, claim: (String) -> String?) -> UInt64? {
        var hash = StableHash()
        switch self {
        case .clientIP:
            hash.combine(clientAddress)
        case .header(let name):
            guard let value = fields.first(name: name) else { return nil }
            hash.combine(value)
        case .jwtClaim(let name):
            guard let value = claim(name) else { return nil }
            hash.combine(value)
        }
        return hash.finalize()
    }
}
