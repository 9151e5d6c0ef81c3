public import ProxyDefaults

/// Per-connection and per-request limits of a listener: the `limits` block.
///
/// Configuration keys (all optional; the defaults are ``Defaults/Limits``):
/// - `header_bytes` (size, default `16KiB`, 1KiB...1MiB): request line plus headers; more is
///   answered with 431.
/// - `body_bytes` (size or `unlimited`, default `1GiB`): request body; more is answered with 413.
/// - `header_timeout` (duration, default `10s`): time to receive the complete request head;
///   slower clients (slowloris) get 408.
/// - `idle_timeout` (duration, default `60s`): how long a keep-alive connection may sit idle.
/// - `body_timeout` (duration, default `60s`): the longest wait for the next piece of a request
///   body; slower clients get 408.
/// - `send_timeout` (duration, default `60s`): the longest a client may take none of what is
///   queued for it; then the connection is closed and its target connection is not reused.
/// - `tunnel_idle_timeout` (duration, default `1h`): an upgraded connection (a WebSocket) that
///   carries no byte either way for this long is closed.
/// - `connections_per_ip` (integer, default none): the most connections one client address may
///   have open on the listener (over every event loop); more are closed at accept and counted.
public struct ListenerLimits: Sendable, Equatable {
    public var headerBytes: Int
    /// `nil` means unlimited.
    public var bodyBytes: Int?
    public var headerTimeout: Duration
    public var idleTimeout: Duration
    public var bodyTimeout: Duration
    public var sendTimeout: Duration
    public var tunnelIdleTimeout: Duration
    /// `nil`: no limit.
    public var connectionsPerIP: Int?

    public init(
        headerBytes: Int = Defaults.Limits.headerBytes,
        bodyBytes: Int? = Defaults.Limits.bodyBytes,
        headerTimeout: Duration = Defaults.Limits.headerTimeout,
        idleTimeout: Duration = Defaults.Limits.idleTimeout,
        bodyTimeout: Duration = Defaults.Limits.bodyTimeout,
        sendTimeout: Duration = Defaults.Limits.sendTimeout,
        tunnelIdleTimeout: Duration = Defaults.Limits.tunnelIdleTimeout,
        connectionsPerIP: Int? = nil
    ) {
        self.headerBytes = headerBytes
        self.bodyBytes = bodyBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.sendTimeout = sendTimeout
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.connectionsPerIP = connectionsPerIP
    }
}
