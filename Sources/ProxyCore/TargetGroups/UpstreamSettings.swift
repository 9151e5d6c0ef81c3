public import NIOCore
public import ProxyDefaults

/// How a target group talks to its targets.
///
/// Configuration keys (`target_groups.<name>.upstream`): `connect_timeout`, `response_timeout`,
/// `max_idle_per_target`, `idle_timeout`. The defaults are ``Defaults/Upstream``, shared with the
/// configuration (decision 0015).
public struct UpstreamSettings: Sendable, Hashable {
    /// Time allowed for the TCP connect. A timeout is answered with `504`.
    public var connectTimeout: TimeAmount
    /// Time allowed between sending the request and receiving the response head. `504` after.
    public var responseTimeout: TimeAmount
    /// The most idle keep-alive connections kept per target and event loop. `0` disables reuse.
    public var maxIdlePerTarget: Int
    /// How long an idle pooled connection is kept before we close it.
    public var idleTimeout: TimeAmount
    /// `proxy_protocol: v2`: each connection starts with a PROXY v2 header naming the client,
    /// and serves that one request only (never pooled for another client).
    public var proxyProtocol = false
    /// `target_groups.<name>.protocol`: HTTP/1.1 keep-alive connections, or prior-knowledge
    /// HTTP/2 (`h2c`) connections that carry many requests at once (docs/http2.md).
    public var targetProtocol = TargetProtocol.http1
    /// `h2c` only: the most streams one connection carries at once (the target's own limit may
    /// be lower).
    public var maxStreamsPerConnection = Defaults.Upstream.h2cMaxStreamsPerConnection

    public init(
        connectTimeout: TimeAmount = TimeAmount(Defaults.Upstream.connectTimeout),
        responseTimeout: TimeAmount = TimeAmount(Defaults.Upstream.responseTimeout),
        maxIdlePerTarget: Int = Defaults.Upstream.maxIdlePerTarget,
        idleTimeout: TimeAmount = TimeAmount(Defaults.Upstream.idleTimeout)
    ) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxIdlePerTarget = maxIdlePerTarget
        self.idleTimeout = idleTimeout
    }
}
