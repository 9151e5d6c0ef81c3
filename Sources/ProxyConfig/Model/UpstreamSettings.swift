/// How a target group talks to its targets: the `upstream` block.
///
/// Configuration keys (all optional):
/// - `connect_timeout` (duration, default `5s`): TCP connect; failing it gives the client 502.
/// - `response_timeout` (duration, default `60s`): from the request sent to the response head; 504.
/// - `max_idle_per_target` (integer 0...10000, default 32): idle keep-alive connections kept per
///   target and event loop. 0 disables reuse.
/// - `idle_timeout` (duration, default `60s`): idle upstream connections older than this are closed.
public struct UpstreamSettings: Sendable, Equatable {
    public var connectTimeout: Duration
    public var responseTimeout: Duration
    public var maxIdlePerTarget: Int
    public var idleTimeout: Duration

    public init(
        connectTimeout: Duration = .seconds(5),
        responseTimeout: Duration = .seconds(60),
        maxIdlePerTarget: Int = 32,
        idleTimeout: Duration = .seconds(60)
    ) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxIdlePerTarget = maxIdlePerTarget
        self.idleTimeout = idleTimeout
    }
}
