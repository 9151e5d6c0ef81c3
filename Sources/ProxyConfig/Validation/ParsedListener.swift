/// A listener as parsed, with the places of the values that cross-section checks point at.
struct ParsedListener {
    /// The listener's name; located at the `name` value, or at the listener when it was defaulted.
    var name: Located<String>
    /// Whether the name was made up from protocol and port because the file gave none.
    var nameIsDefault: Bool
    /// `nil` when the bind was missing or malformed (already reported).
    var bind: Located<BindAddress>?
    /// In evaluation order, like ``ListenerConfiguration/routes``.
    var routes: [ParsedRoute]
}

/// A route as parsed.
struct ParsedRoute {
    /// Located at the route's mapping, keyed `listeners[i].routes[j]`.
    var route: Located<RouteConfiguration>
    /// The `forward` value; `nil` when the route has another action, or when it was missing or
    /// malformed (already reported).
    var forward: Located<String>?
    /// The `priority` value; `nil` when there is none or it was malformed (already reported).
    var priority: Located<Int>?
}
