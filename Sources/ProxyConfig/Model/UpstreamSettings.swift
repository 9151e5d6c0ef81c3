public import ProxyDefaults

/// How a target group talks to its targets: the `upstream` block.
///
/// Configuration keys (all optional; the defaults are ``Defaults/Upstream``):
/// - `connect_timeout` (duration, default `5s`): TCP connect. A connect that does not finish in
///   time gives the client 504; a refused or failed one 502.
/// - `response_timeout` (duration, default `60s`): from the request sent to the response head; 504.
/// - `max_idle_per_target` (integer 0...10000, default 1024): the most idle keep-alive connections
///   kept per target and event loop. Only connections the load opened are kept, each until it has
///   been idle for `idle_timeout`. 0 disables reuse.
/// - `idle_timeout` (duration, default `60s`): idle upstream connections older than this are closed.
/// - `proxy_protocol` (`v2`, optional): each connection to a target starts with a PROXY protocol
///   v2 header naming the client; such a connection serves one client's request only (it is
///   never pooled for another client, as HAProxy's `send-proxy` connections are not).
public struct UpstreamSettings: Sendable, Equatable {
    public var connectTimeout: Duration
    public var responseTimeout: Duration
    public var maxIdlePerTarget: Int
    public var idleTimeout: Duration
    public var proxyProtocol = false

    public init(
        connectTimeout: Duration = Defaults.Upstream.connectTimeout,
        responseTimeout: Duration = Defaults.Upstream.responseTimeout,
        maxIdlePerTarget: Int = Defaults.Upstream.maxIdlePerTarget,
        idleTimeout: Duration = Defaults.Upstream.idleTimeout
    ) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxIdlePerTarget = maxIdlePerTarget
        self.idleTimeout = idleTimeout
    }
}
