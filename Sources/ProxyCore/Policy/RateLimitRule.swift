import NIOHTTP1

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
        let window = max(1, Int((Double(limiter.burst) / ratePerSecond).rounded(.up)))
        self.policyField = "\"\(key.kind)\";q=\(limiter.burst);w=\(window)"
    }

    /// The bucket's key for a request, or `nil` when the request has none (no such header or
    /// claim): this limit does not apply to it.
    func keyHash(clientAddress: String, fields: HTTPHeaders, claim: (String) -> String?) -> UInt64? {
        var hash = StableHash()
        switch self.key {
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
