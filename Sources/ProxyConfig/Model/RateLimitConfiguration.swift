public import ProxyDefaults

/// One entry of `rate_limits` (of a listener or a route): a token bucket per key.
///
/// Configuration keys:
/// - `key` (`client_ip`, `header:NAME` or `jwt_claim:NAME`, default `client_ip`): what a bucket
///   belongs to. A request without the header (or without the claim) is not limited by this entry.
/// - `rate` (`N/s`, `N/m` or `N/h`, required): the bucket refills at this rate.
/// - `burst` (integer, default one second's worth of the rate): the bucket's size; a client may
///   send this many requests at once.
/// - `max_keys` (integer, default 65536): the keys remembered; past it, the least recently
///   limited keys are forgotten (they start again with a full bucket).
/// - `shared` (bool, default `false`): one bucket for every instance, kept in `global.redis`.
public struct RateLimitConfiguration: Sendable, Hashable {
    public enum Key: Sendable, Hashable, CustomStringConvertible {
        case clientIP
        case header(String)
        case jwtClaim(String)

        public var description: String {
            switch self {
            case .clientIP: "client_ip"
            case .header(let name): "header:\(name)"
            case .jwtClaim(let name): "jwt_claim:\(name)"
            }
        }

        /// The kind alone, for metrics: `client_ip`, `header`, `jwt_claim`.
        public var kind: String {
            switch self {
            case .clientIP: "client_ip"
            case .header: "header"
            case .jwtClaim: "jwt_claim"
            }
        }
    }

    public var key: Key
    /// Requests per second the bucket refills with.
    public var ratePerSecond: Double
    /// As written (`100/s`), for messages and the `RateLimit-Policy` field.
    public var rateText: String
    public var burst: Int
    public var maxKeys: Int
    public var shared: Bool
    /// Where it was written, for logs and metrics (`routes[2].rate_limits[0]`).
    public var name: String

    public init(
        key: Key = .clientIP,
        ratePerSecond: Double,
        rateText: String? = nil,
        burst: Int? = nil,
        maxKeys: Int = Defaults.Policy.rateLimitMaxKeys,
        shared: Bool = false,
        name: String = "rate_limit"
    ) {
        self.key = key
        self.ratePerSecond = ratePerSecond
        self.rateText = rateText ?? "\(ratePerSecond)/s"
        self.burst = burst ?? Defaults.Policy.burst(forRatePerSecond: ratePerSecond)
        self.maxKeys = maxKeys
        self.shared = shared
        self.name = name
    }
}
