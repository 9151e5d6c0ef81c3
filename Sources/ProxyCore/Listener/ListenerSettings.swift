public import NIOCore
public import ProxyDefaults

/// Limits that protect a listener from slow or oversized requests.
///
/// Configuration keys (`listeners[].limits`): `header_bytes`, `body_bytes`, `header_timeout`,
/// `idle_timeout`, `body_timeout`, `send_timeout`, `tunnel_idle_timeout`. See
/// `docs/configuration.md`. The defaults are ``Defaults/Limits``, shared with the configuration
/// (decision 0015).
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
    /// Longest wait for the next piece of a request body once its head is in. Slower clients get
    /// `408` (when no response has started) and are closed; the upstream request is abandoned.
    public var bodyTimeout: TimeAmount
    /// Longest a client may go without taking any of what we have queued for it (a response, or
    /// tunnel bytes). Then the connection is closed and its target connection is not reused.
    public var sendTimeout: TimeAmount
    /// Longest a tunnel (after `101 Switching Protocols`) may carry no byte either way.
    public var tunnelIdleTimeout: TimeAmount

    public init(
        headerBytes: Int = Defaults.Limits.headerBytes,
        bodyBytes: Int? = Defaults.Limits.bodyBytes,
        headerTimeout: TimeAmount = TimeAmount(Defaults.Limits.headerTimeout),
        idleTimeout: TimeAmount = TimeAmount(Defaults.Limits.idleTimeout),
        bodyTimeout: TimeAmount = TimeAmount(Defaults.Limits.bodyTimeout),
        sendTimeout: TimeAmount = TimeAmount(Defaults.Limits.sendTimeout),
        tunnelIdleTimeout: TimeAmount = TimeAmount(Defaults.Limits.tunnelIdleTimeout)
    ) {
        self.headerBytes = headerBytes
        self.bodyBytes = bodyBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.sendTimeout = sendTimeout
        self.tunnelIdleTimeout = tunnelIdleTimeout
    }
}

/// Everything a listener's connections need to know, resolved from configuration.
///
/// Immutable and shared by every connection of the listener on every event loop.
public struct ListenerSettings: Sendable {
    /// The listener's name, for logs.
    public var name: String
    /// `https` or `http`: how clients reached us. Sent upstream as `X-Forwarded-Proto`.
    public var scheme: String {
        didSet { self.makeRewriters() }
    }
    /// Whether a peer address belongs to a trusted proxy whose `X-Forwarded-For` we believe.
    public var isTrustedProxy: @Sendable (String) -> Bool {
        didSet { self.makeRewriters() }
    }
    /// Our own `Server` response header, or `nil` to send none.
    public var serverHeader: String? {
        didSet {
            self.makeRewriters()
            self.localResponses = LocalResponses(router: self.router, serverHeader: self.serverHeader, fixedFields: self.fixedResponseFields)
        }
    }
    /// Response headers removed so backends stay anonymous. Compared case-insensitively.
    public var stripResponseHeaders: [String] {
        didSet { self.makeRewriters() }
    }
    /// Added to every response after `Server`: `Strict-Transport-Security` (HTTPS listeners) and
    /// the listener's response header rules' lines without variables.
    public var fixedResponseFields: [(String, String)] {
        didSet {
            self.makeRewriters()
            self.localResponses = LocalResponses(router: self.router, serverHeader: self.serverHeader, fixedFields: self.fixedResponseFields)
        }
    }
    /// Whether an `X-Request-Id` is made for a request that comes without one (`request_id`);
    /// then a target's own `X-Request-Id` response field is replaced by the request's.
    public var requestID: Bool {
        didSet { self.makeRewriters() }
    }
    /// The path checks before routing (`request_hygiene`).
    public var hygiene: RequestHygiene
    /// The listener's own edge policy (access list, rate limits, header rules), applied to every
    /// request before its route's; `nil` for none.
    public var policy: EdgePolicy?
    /// The header rewriters of the listener's connections, made from the fields above once per
    /// listener (not once per connection).
    public private(set) var requestRewriter: RequestHeaderRewriter
    public private(set) var responseRewriter: ResponseHeaderRewriter
    public var limits: RequestLimits
    /// Picks the target group for each request.
    public var router: Router {
        didSet { self.localResponses = LocalResponses(router: self.router, serverHeader: self.serverHeader, fixedFields: self.fixedResponseFields) }
    }
    /// The fixed responses and the `404`, made once from ``router`` and ``serverHeader``.
    public private(set) var localResponses: LocalResponses
    /// The process's HTTP-01 challenges, answered before routing (plain listeners); `nil`: none.
    public var acmeHTTPChallenges: ACMEHTTPChallenges?
    /// Whether a failed forward is answered with ``DevelopmentErrorPage`` (which names the
    /// target's port) instead of the plain status text. Only `portcullis dev` turns it on.
    public var developmentErrorPages: Bool

    public init(
        name: String,
        scheme: String,
        isTrustedProxy: @escaping @Sendable (String) -> Bool = { _ in false },
        serverHeader: String? = Defaults.Listener.serverHeader,
        stripResponseHeaders: [String] = ListenerSettings.defaultStrippedResponseHeaders,
        limits: RequestLimits = RequestLimits(),
        fixedResponseFields: [(String, String)] = [],
        requestID: Bool = Defaults.Policy.requestID,
        hygiene: RequestHygiene = RequestHygiene(),
        policy: EdgePolicy? = nil,
        developmentErrorPages: Bool = false,
        router: Router
    ) {
        self.name = name
        self.scheme = scheme
        self.isTrustedProxy = isTrustedProxy
        self.serverHeader = serverHeader
        self.stripResponseHeaders = stripResponseHeaders
        self.limits = limits
        self.fixedResponseFields = fixedResponseFields
        self.requestID = requestID
        self.hygiene = hygiene
        self.policy = policy
        self.developmentErrorPages = developmentErrorPages
        self.router = router
        self.requestRewriter = RequestHeaderRewriter(scheme: scheme, isTrustedProxy: isTrustedProxy)
        self.responseRewriter = ResponseHeaderRewriter(
            stripResponseHeaders: stripResponseHeaders + (requestID ? ["X-Request-Id"] : []),
            serverHeader: serverHeader,
            fixedFields: fixedResponseFields
        )
        self.localResponses = LocalResponses(router: router, serverHeader: serverHeader, fixedFields: fixedResponseFields)
    }

    private mutating func makeRewriters() {
        self.requestRewriter = RequestHeaderRewriter(scheme: self.scheme, isTrustedProxy: self.isTrustedProxy)
        self.responseRewriter = ResponseHeaderRewriter(
            stripResponseHeaders: self.stripResponseHeaders + (self.requestID ? ["X-Request-Id"] : []),
            serverHeader: self.serverHeader,
            fixedFields: self.fixedResponseFields
        )
    }

    /// Headers that reveal what software a backend runs.
    public static let defaultStrippedResponseHeaders = Defaults.Listener.strippedResponseHeaders
}
