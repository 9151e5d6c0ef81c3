/// A named set of targets that receive the requests of the routes forwarding to it.
///
/// Immutable; a configuration reload swaps whole target groups.
public struct TargetGroup: Sendable {
    public var name: String
    public var targets: [Target]
    public var upstream: UpstreamSettings

    public init(name: String, targets: [Target], upstream: UpstreamSettings = UpstreamSettings()) {
        self.name = name
        self.targets = targets
        self.upstream = upstream
    }
}
