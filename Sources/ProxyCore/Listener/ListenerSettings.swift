public import NIOCore

/// Limits that protect a listener from slow or oversized requests.
///
/// Configuration keys (`listeners[].limits`): `header_bytes`, `body_bytes`, `header_timeout`,
/// `idle_timeout`. See `docs/configuration.md`.
public struct RequestLimits: Sendable, Hashable {
    /// Request line plus headers, in bytes. Larger heads get `431`.
    public var headerBytes: Int
    /// Request body, in bytes; `nil` means unlimited. Larger bodies get `413`.
    public var bodyBytes: Int?
    /// Time allowed to receive a complete request head once it has started (and for the first
    /// request, since the connection was accepted). Slower clients get `408` and are closed.
    public var headerTimeout: TimeAmount
    /// Time a keep-alive connection may sit idle between requests before it is closed.
    public var idleTimeout: TimeAmount

    public init(
        headerBytes: Int = 16 * 1024,
        bodyBytes: Int? = 1 << 30,
        headerTimeout: TimeAmount = .seconds(10),
        idleTimeout: TimeAmount = .seconds(60)
    ) {
        self.headerBytes = headerBytes
        self.bodyBytes = bodyBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }
}

/// Everything a listener's connections need to know, resolved from configuration.
///
/// Immutable and shared by every connection of the listener on every event loop.
public struct ListenerSettings: Sendable {
    /// The listener's name, for logs.
    public var name: String
    /// `https` or `http`: how clients reached us. Sent upstream as `X-Forwarded-Proto`.
    public var scheme: String
    /// Whether a peer address belongs to a trusted proxy whose `X-Forwarded-For` we believe.
    public var isTrustedProxy: @Sendable (String) -> Bool
    /// Our own `Server` response header, or `nil` to send none.
    public var serverHeader: String?
    /// Response headers removed so backends stay anonymous. Compared case-insensitively.
    public var stripResponseHeaders: [String] {
        didSet { self.lowercasedStripResponseHeaders = self.stripResponseHeaders.map { $0.lowercased() } }
    }
    /// ``stripResponseHeaders`` lowercased once for the listener, not once per connection.
    public private(set) var lowercasedStripResponseHeaders: [String]
    public var limits: RequestLimits
    /// Picks the target group for each request.
    public var router: Router

    public init(
        name: String,
        scheme: String,
        isTrustedProxy: @escaping @Sendable (String) -> Bool = { _ in false },
        serverHeader: String? = "portcullis",
        stripResponseHeaders: [String] = ListenerSettings.defaultStrippedResponseHeaders,
        limits: RequestLimits = RequestLimits(),
        router: Router
    ) {
        self.name = name
        self.scheme = scheme
        self.isTrustedProxy = isTrustedProxy
        self.serverHeader = serverHeader
        self.stripResponseHeaders = stripResponseHeaders
        self.lowercasedStripResponseHeaders = stripResponseHeaders.map { $0.lowercased() }
        self.limits = limits
        self.router = router
    }

    /// Headers that reveal what software a backend runs.
    public static let defaultStrippedResponseHeaders = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"]
}
