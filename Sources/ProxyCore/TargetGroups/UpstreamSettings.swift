public import NIOCore

/// How a target group talks to its targets.
///
/// Configuration keys (`target_groups.<name>.upstream`): `connect_timeout`, `response_timeout`,
/// `max_idle_per_target`, `idle_timeout`.
public struct UpstreamSettings: Sendable, Hashable {
    /// Time allowed for the TCP connect. A timeout is answered with `504`.
    public var connectTimeout: TimeAmount
    /// Time allowed between sending the request and receiving the response head. `504` after.
    public var responseTimeout: TimeAmount
    /// Idle keep-alive connections kept per target and event loop. `0` disables reuse.
    public var maxIdlePerTarget: Int
    /// How long an idle pooled connection is kept before we close it.
    public var idleTimeout: TimeAmount

    public init(
        connectTimeout: TimeAmount = .seconds(5),
        responseTimeout: TimeAmount = .seconds(60),
        maxIdlePerTarget: Int = 32,
        idleTimeout: TimeAmount = .seconds(60)
    ) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxIdlePerTarget = maxIdlePerTarget
        self.idleTimeout = idleTimeout
    }
}
