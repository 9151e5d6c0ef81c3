/// Cookie-based session affinity of a target group: the `stickiness` block.
///
/// When enabled, the proxy sets a cookie holding the name of the target that served a client, and
/// sends that client's later requests to the same target while it is healthy.
///
/// Configuration keys (all optional):
/// - `enabled` (bool, default `false`).
/// - `cookie` (RFC 6265 token, default `portcullis_sticky`): the cookie name.
/// - `ttl` (duration, default `1h`, at most `9600h` (400 days)): the cookie's lifetime (`Max-Age`).
///   `0` or `null` makes it a session cookie, which the browser drops when it closes.
public struct StickinessConfiguration: Sendable, Equatable {
    /// The cookie name used when none is configured.
    public static let defaultCookieName = "portcullis_sticky"
    /// The longest `ttl` accepted: 400 days, the limit browsers apply to cookie lifetimes.
    public static let maximumTTL = Duration.seconds(400 * 24 * 3600)

    public var enabled: Bool
    /// An RFC 6265 token: visible ASCII without separators such as `;`, `=`, `,` or spaces.
    public var cookieName: String
    /// The cookie's `Max-Age`; `nil` means a session cookie (no `Max-Age`).
    public var ttl: Duration?

    public init(
        enabled: Bool = false,
        cookieName: String = StickinessConfiguration.defaultCookieName,
        ttl: Duration? = .seconds(3600)
    ) {
        self.enabled = enabled
        self.cookieName = cookieName
        self.ttl = ttl
    }
}
