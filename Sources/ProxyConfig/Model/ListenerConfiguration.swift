public import ProxyDefaults

/// One listening socket and what to do with the requests that arrive on it.
///
/// Configuration keys:
/// - `name` (string, default `<protocol>-<port>`): unique; used in logs.
/// - `bind` (`host:port`, required): `0.0.0.0:443`, `[::]:443`, `127.0.0.1:8080`; `*:443` or
///   `:443` listens on all interfaces.
/// - `protocol` (`http` or `https`, default `https` when a `tls` block is present, else `http`).
/// - `tls` (mapping, required for `https`, not allowed for `http`): see ``ListenerTLS``.
/// - `trusted_proxies` (list of CIDRs, default empty): peers whose `X-Forwarded-For` is believed.
/// - `server_header` (string or `false`, default `portcullis`): the `Server` response header;
///   `false`, `null` or `""` sends none.
/// - `strip_response_headers` (list of header names, default
///   `[Server, X-Powered-By, X-AspNet-Version, X-AspNetMvc-Version]`): removed from upstream responses.
/// - `limits` (mapping): see ``ListenerLimits``.
/// - `http2` (mapping): the limits of HTTP/2 connections; see ``ListenerHTTP2``.
/// - `h2c` (bool, default `false`): a plain listener also takes prior-knowledge HTTP/2
///   (`PRI * HTTP/2.0`). `Upgrade: h2c` is never honoured.
/// - `request_id` (bool, default `true`): an `X-Request-Id` is made for a request that comes
///   without one (32 hex digits); it goes to the target, into the access log, and back to the client.
/// - `proxy_protocol` (mapping `{trusted: [CIDRs]}`, optional): see ``ProxyProtocolConfiguration``.
/// - `request_hygiene` (mapping): see ``RequestHygieneConfiguration``.
/// - `allow`, `deny`, `rate_limits`, `request_headers`, `response_headers`: the listener's edge
///   policy, applied to every request; see ``PolicyConfiguration``.
/// - `routes` (list, required, at least one): see ``RouteConfiguration``.
///
/// Not a configuration key: ``developmentErrorPages``, which only `portcullis dev` sets.
public struct ListenerConfiguration: Sendable, Equatable {
    /// The response headers removed by default: they tell attackers what runs behind the proxy.
    public static let defaultStrippedResponseHeaders = Defaults.Listener.strippedResponseHeaders
    /// The `Server` header sent by default.
    public static let defaultServerHeader = Defaults.Listener.serverHeader

    public var name: String
    public var bind: BindAddress
    public var `protocol`: ListenerProtocol
    /// Present exactly when ``protocol`` is ``ListenerProtocol/https``.
    public var tls: ListenerTLS?
    public var trustedProxies: [CIDR]
    /// `nil` means the proxy sends no `Server` header.
    public var serverHeader: String?
    /// Header names as written, compare case-insensitively.
    public var stripResponseHeaders: [String]
    public var limits: ListenerLimits
    public var http2: ListenerHTTP2
    /// A plain listener that also takes prior-knowledge HTTP/2.
    public var h2c: Bool
    /// One listening socket per event loop (`SO_REUSEPORT`): the kernel spreads new
    /// connections over the loops, and each loop accepts its own. Off by default: with it, a
    /// second process that also asks for it can bind the same address without an error.
    public var reusePort: Bool
    public var requestID: Bool
    public var proxyProtocol: ProxyProtocolConfiguration?
    public var requestHygiene: RequestHygieneConfiguration
    public var policy: PolicyConfiguration
    /// In evaluation order: by ``RouteConfiguration/priority`` (routes without one last), ties in
    /// file order. The first matching route wins; a request that matches none gets 404.
    public var routes: [RouteConfiguration]
    /// A failed forward is answered with an HTML page that names the target's port, instead of
    /// a status text that names no internal address. Not a configuration key: only the
    /// configuration `portcullis dev` builds turns it on (decision 0024).
    public var developmentErrorPages: Bool = false

    public init(
        name: String,
        bind: BindAddress,
        protocol: ListenerProtocol,
        tls: ListenerTLS? = nil,
        trustedProxies: [CIDR] = [],
        serverHeader: String? = ListenerConfiguration.defaultServerHeader,
        stripResponseHeaders: [String] = ListenerConfiguration.defaultStrippedResponseHeaders,
        limits: ListenerLimits = ListenerLimits(),
        http2: ListenerHTTP2 = ListenerHTTP2(),
        h2c: Bool = false,
        reusePort: Bool = false,
        requestID: Bool = Defaults.Policy.requestID,
        proxyProtocol: ProxyProtocolConfiguration? = nil,
        requestHygiene: RequestHygieneConfiguration = RequestHygieneConfiguration(),
        policy: PolicyConfiguration = PolicyConfiguration(),
        routes: [RouteConfiguration]
    ) {
        self.name = name
        self.bind = bind
        self.protocol = `protocol`
        self.tls = tls
        self.trustedProxies = trustedProxies
        self.serverHeader = serverHeader
        self.stripResponseHeaders = stripResponseHeaders
        self.limits = limits
        self.http2 = http2
        self.h2c = h2c
        self.reusePort = reusePort
        self.requestID = requestID
        self.proxyProtocol = proxyProtocol
        self.requestHygiene = requestHygiene
        self.policy = policy
        self.routes = routes
    }

    /// The route that receives requests no other route claims: the first route (in evaluation
    /// order) without conditions, or the first route when every route has conditions.
    public var defaultRoute: RouteConfiguration? {
        self.routes.first(where: \.isCatchAll) ?? self.routes.first
    }
}
