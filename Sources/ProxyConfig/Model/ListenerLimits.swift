/// Per-connection and per-request limits of a listener: the `limits` block.
///
/// Configuration keys (all optional):
/// - `header_bytes` (size, default `16KiB`, 1KiB...1MiB): request line plus headers; more is
///   answered with 431.
/// - `body_bytes` (size or `unlimited`, default `1GiB`): request body; more is answered with 413.
/// - `header_timeout` (duration, default `10s`): time to receive the complete request head;
///   slower clients (slowloris) get 408.
/// - `idle_timeout` (duration, default `60s`): how long a keep-alive connection may sit idle.
public struct ListenerLimits: Sendable, Equatable {
    public var headerBytes: Int
    /// `nil` means unlimited.
    public var bodyBytes: Int?
    public var headerTimeout: Duration
    public var idleTimeout: Duration

    public init(
        headerBytes: Int = 16 * 1024,
        bodyBytes: Int? = 1024 * 1024 * 1024,
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60)
    ) {
        self.headerBytes = headerBytes
        self.bodyBytes = bodyBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }
}
