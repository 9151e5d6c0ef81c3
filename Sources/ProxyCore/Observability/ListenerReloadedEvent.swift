/// Sent down every open connection of a listener after a configuration reload.
///
/// The connection takes ``settings`` for its next requests. A request in flight on a route
/// named in ``unchangedRoutes`` (same rules, same target group settings) goes on undisturbed
/// and the connection stays open; on any other route the connection closes once the response in
/// flight has ended.
public struct ListenerReloadedEvent: Sendable {
    public var settings: ListenerSettings
    public var unchangedRoutes: Set<String>

    public init(settings: ListenerSettings, unchangedRoutes: Set<String>) {
        self.settings = settings
        self.unchangedRoutes = unchangedRoutes
    }
}
