/// Command-line options that change a loaded configuration, applied with
/// ``ProxyConfiguration/applying(_:)``.
///
/// - `listen`: the n-th value replaces the bind of the n-th listener. A value is `host:port`, or
///   `http://host:port` / `https://host:port` to also set the protocol.
/// - `to`: replaces the targets of the target group that the first listener's default route
///   forwards to. Each value is `host:port`, or `:port` for `127.0.0.1:port` (weight 1); the
///   targets are named `t1`, `t2`, ….
/// - `certificate` and `privateKey`: together, replace the first listener's certificates with
///   this one pair. Relative paths are taken relative to the current directory.
/// - `eventLoops`: replaces `global.event_loops`.
/// - `policy` (`--policy`): a ``BalancingPolicyName`` raw value, such as `least_connections`, for
///   the group `to` changes.
/// - `healthPath` (`--health-path`): a path starting with `/`; switches that group's health check
///   to an enabled `http` check of this path.
/// - `healthInterval` (`--health-interval`): a duration such as `10s` (1s...1h) for that group's
///   health check. A check whose timeout is the default (5s) gets a timeout of at most half the
///   interval; a timeout set to another value is kept, and the interval must be longer than it.
public struct CommandLineOverrides: Sendable {
    public var listen: [String]
    public var to: [String]
    public var certificate: String?
    public var privateKey: String?
    public var eventLoops: Int?
    public var policy: String?
    public var healthPath: String?
    public var healthInterval: String?

    public init() {
        self.listen = []
        self.to = []
        self.certificate = nil
        self.privateKey = nil
        self.eventLoops = nil
        self.policy = nil
        self.healthPath = nil
        self.healthInterval = nil
    }
}
