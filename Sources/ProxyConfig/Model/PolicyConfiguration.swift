/// The edge policy a listener or a route has (docs/security.md): who may come in, how fast, and
/// what is changed in the fields on the way. A listener's policy applies to every request it
/// takes; a route's to the requests it matches, after the listener's.
///
/// Configuration keys (of `listeners[]` and of `routes[]`):
/// - `allow` (list of CIDRs): only these client addresses may come in; others get 403.
/// - `deny` (list of CIDRs): these client addresses get 403 (checked after `allow`).
/// - `rate_limits` (list, see ``RateLimitConfiguration``): every one must pass; else 429.
/// - `request_headers`, `response_headers` (see ``HeaderRulesConfiguration``).
///
/// The client address is the real one: after `trusted_proxies` and the PROXY protocol.
public struct PolicyConfiguration: Sendable, Hashable {
    public var allow: [CIDR]
    public var deny: [CIDR]
    public var rateLimits: [RateLimitConfiguration]
    public var requestHeaders: HeaderRulesConfiguration
    public var responseHeaders: HeaderRulesConfiguration

    public init(
        allow: [CIDR] = [],
        deny: [CIDR] = [],
        rateLimits: [RateLimitConfiguration] = [],
        requestHeaders: HeaderRulesConfiguration = HeaderRulesConfiguration(),
        responseHeaders: HeaderRulesConfiguration = HeaderRulesConfiguration()
    ) {
        self.allow = allow
        self.deny = deny
        self.rateLimits = rateLimits
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
    }

    /// Whether it has no access list and no rate limit (header rules aside).
    public var admitsEveryone: Bool { self.allow.isEmpty && self.deny.isEmpty && self.rateLimits.isEmpty }

    /// The configuration keys this type reads, beside a listener's or route's own.
    static let keys = ["allow", "deny", "rate_limits", "request_headers", "response_headers"]
}
