/// Process-wide settings: the `global` section.
///
/// Configuration keys (all optional):
/// - `event_loops` (`auto` or integer ≥ 1, default `auto`): number of NIO event loops.
///   `auto` means one per CPU core.
/// - `shutdown_grace` (duration, default `30s`): how long to wait for in-flight requests to
///   finish after SIGTERM or SIGINT before connections are closed.
/// - `shutdown_delay` (duration, default `0s`): after SIGTERM, how long `/ready` fails while
///   the listeners still accept, so an outer load balancer stops sending first.
/// - `log_level` (`trace`…`critical`, default `info`).
/// - `access_log` (bool, or a mapping with `enabled`, `format` and `path`; default `true`): one
///   line per request. `format`: `text` (default), `json`, `combined` or `dev` (short and
///   coloured on a terminal); `path`: a file
///   (reopened on SIGUSR1 for log rotation) or `-` for standard output (the default).
/// - `redis` (mapping `{address: host:port}`, optional): the Redis that `shared: true` rate
///   limits keep their buckets in (docs/security.md).
/// - `resolvers` (list of `host` or `host:port`, optional): the DNS servers that resolve `dns:`
///   and `srv:` targets; absent: the `nameserver`s of `/etc/resolv.conf` (decision 0032).
public struct GlobalSettings: Sendable, Equatable {
    public var eventLoops: EventLoopCount
    public var shutdownGrace: Duration
    public var shutdownDelay: Duration
    public var logLevel: LogLevel
    public var accessLog: Bool
    public var accessLogFormat: AccessLogFormat
    /// Absolute path of the access-log file; `nil` for standard output.
    public var accessLogPath: String?
    /// `global.redis.address`; `nil` without Redis.
    public var redis: BindAddress?
    /// `global.resolvers`; empty: those of `/etc/resolv.conf`.
    public var resolvers: [BindAddress] = []

    public init(
        eventLoops: EventLoopCount = .automatic,
        shutdownGrace: Duration = .seconds(30),
        shutdownDelay: Duration = .zero,
        logLevel: LogLevel = .info,
        accessLog: Bool = true,
        accessLogFormat: AccessLogFormat = .text,
        accessLogPath: String? = nil,
        redis: BindAddress? = nil
    ) {
        self.eventLoops = eventLoops
        self.shutdownGrace = shutdownGrace
        self.shutdownDelay = shutdownDelay
        self.logLevel = logLevel
        self.accessLog = accessLog
        self.accessLogFormat = accessLogFormat
        self.accessLogPath = accessLogPath
        self.redis = redis
    }
}

/// How many event loops to run.
public enum EventLoopCount: Sendable, Hashable {
    /// One event loop per CPU core (`event_loops: auto`).
    case automatic
    /// Exactly this many event loops, at least 1.
    case fixed(Int)
}

/// The minimum severity of log messages. The raw values are the config spellings and match
/// swift-log's `Logger.Level` names.
public enum LogLevel: String, Sendable, Hashable, CaseIterable {
    case trace
    case debug
    case info
    case notice
    case warning
    case error
    case critical
}
