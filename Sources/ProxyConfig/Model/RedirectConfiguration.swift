/// A route action that answers with a redirect instead of forwarding: the `redirect` block.
///
/// The `Location` is the request's URL with the configured parts replaced; a part left out keeps
/// the request's value. The query is always kept.
///
/// Configuration keys (at least one of `scheme`, `host`, `port`, `path`):
/// - `scheme` (`http` or `https`).
/// - `host` (host name or IPv4 address, no port): stored lowercased.
/// - `port` (1...65535).
/// - `path` (starts with `/`; no spaces, `?` or `#`).
/// - `status` (one of 301, 302, 303, 307, 308; default 301).
public struct RedirectConfiguration: Sendable, Hashable {
    /// The status used when none is configured: 301 Moved Permanently.
    public static let defaultStatus = 301
    /// The redirect statuses a route may answer with.
    public static let allowedStatuses = [301, 302, 303, 307, 308]

    public var scheme: String?
    public var host: String?
    public var port: Int?
    public var path: String?
    public var status: Int

    public init(
        scheme: String? = nil,
        host: String? = nil,
        port: Int? = nil,
        path: String? = nil,
        status: Int = RedirectConfiguration.defaultStatus
    ) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.status = status
    }
}
