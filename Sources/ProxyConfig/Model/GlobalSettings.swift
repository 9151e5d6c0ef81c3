/// Process-wide settings: the `global` section.
///
/// Configuration keys (all optional):
/// - `event_loops` (`auto` or integer ≥ 1, default `auto`): number of NIO event loops.
///   `auto` means one per CPU core.
/// - `shutdown_grace` (duration, default `30s`): how long to wait for in-flight requests to
///   finish after SIGTERM or SIGINT before connections are closed.
/// - `log_level` (`trace`…`critical`, default `info`).
/// - `access_log` (bool, default `true`): log one line per request.
public struct GlobalSettings: Sendable, Equatable {
    public var eventLoops: EventLoopCount
    public var shutdownGrace: Duration
    public var logLevel: LogLevel
    public var accessLog: Bool

    public init(
        eventLoops: EventLoopCount = .automatic,
        shutdownGrace: Duration = .seconds(30),
        logLevel: LogLevel = .info,
        accessLog: Bool = true
    ) {
        self.eventLoops = eventLoops
        self.shutdownGrace = shutdownGrace
        self.logLevel = logLevel
        self.accessLog = accessLog
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
