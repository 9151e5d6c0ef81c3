public import ProxyDefaults

/// `listeners[].tls.hsts`: the `Strict-Transport-Security` field an HTTPS listener adds to every
/// response (RFC 6797). On by default; `hsts: false` sends none. Never sent on plain listeners
/// (browsers ignore it there).
///
/// Configuration keys:
/// - `max_age` (duration, default `365d`): how long browsers remember to use HTTPS only.
/// - `include_subdomains` (bool, default `false`): the rule covers every subdomain too.
/// - `preload` (bool, default `false`): asks to be on the browsers' preload list (which needs
///   `include_subdomains` and a `max_age` of at least a year; `check` warns otherwise).
public struct HSTSConfiguration: Sendable, Equatable {
    public var maxAge: Duration
    public var includeSubdomains: Bool
    public var preload: Bool

    public init(maxAge: Duration = Defaults.HSTS.maxAge, includeSubdomains: Bool = false, preload: Bool = false) {
        self.maxAge = maxAge
        self.includeSubdomains = includeSubdomains
        self.preload = preload
    }

    /// The field value, such as `max-age=31536000; includeSubDomains`.
    public var fieldValue: String {
        var value = "max-age=\(self.maxAge.components.seconds)"
        if self.includeSubdomains { value += "; includeSubDomains" }
        if self.preload { value += "; preload" }
        return value
    }
}
