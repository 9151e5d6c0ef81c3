/// Command-line options that change a loaded configuration, applied with
/// ``ProxyConfiguration/applying(_:)``.
///
/// - `listen`: the n-th value replaces the bind of the n-th listener. A value is `host:port`, or
///   `http://host:port` / `https://host:port` to also set the protocol.
/// - `to`: replaces the targets of the target group that the first listener's default route
///   forwards to. Each value is `host:port` (weight 1).
/// - `certificate` and `privateKey`: together, replace the first listener's certificates with
///   this one pair. Relative paths are taken relative to the current directory.
/// - `eventLoops`: replaces `global.event_loops`.
public struct CommandLineOverrides: Sendable {
    public var listen: [String]
    public var to: [String]
    public var certificate: String?
    public var privateKey: String?
    public var eventLoops: Int?

    public init() {
        self.listen = []
        self.to = []
        self.certificate = nil
        self.privateKey = nil
        self.eventLoops = nil
    }
}
