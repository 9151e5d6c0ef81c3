/// Warns about routes that can never match because a route evaluated before them, in the same
/// listener, matches every request they would.
///
/// Route A covers route B when every condition of A holds for every request B matches:
/// - A has no host condition, or the same host, or a wildcard that covers B's host;
/// - A has no path condition, or a path prefix that B's path prefix or exact path starts with, or
///   the same exact path as B;
/// - A has no methods, or B has methods and all of them are among A's;
/// - each header condition of A is one of B's (a "present" condition of A is met by any
///   condition of B on the same header).
enum RouteShadowing {
    /// - Parameter routes: One listener's routes, in evaluation order.
    static func check(_ routes: [ParsedRoute], into problems: inout DiagnosticCollector) {
        for (index, later) in routes.enumerated() {
            guard let earlier = routes[..<index].first(where: { Self.covers($0.route.value, later.route.value) }) else {
                continue
            }
            let reason =
                earlier.route.value.isCatchAll
                ? "it has no match conditions and matches every request"
                : "it matches every request this route would"
            let place =
                earlier.route.value.priority.map { "line \(earlier.route.line), priority \($0)" }
                ?? "line \(earlier.route.line)"
            problems.warn(
                at: later.route,
                "route \"\(later.route.value.name)\" can never match: route \"\(earlier.route.value.name)\" (\(place)) comes first and \(reason)"
            )
        }
    }

    static func covers(_ earlier: RouteConfiguration, _ later: RouteConfiguration) -> Bool {
        Self.hostCovers(earlier.host, later.host)
            && Self.pathCovers(earlier, later)
            && Self.methodsCover(earlier.methods, later.methods)
            && earlier.headers.allSatisfy { condition in later.headers.contains { condition.isImplied(by: $0) } }
    }

    private static func hostCovers(_ earlier: String?, _ later: String?) -> Bool {
        guard let earlier else { return true }
        guard let later else { return false }
        if earlier == later {
            return true
        }
        // "*.example.com" covers "a.example.com" and "*.a.example.com".
        guard earlier.hasPrefix("*.") else { return false }
        let suffix = earlier.dropFirst(1)
        let laterName = later.hasPrefix("*.") ? String(later.dropFirst(2)) : later
        return laterName.hasSuffix(suffix) && laterName.count > suffix.count
    }

    private static func pathCovers(_ earlier: RouteConfiguration, _ later: RouteConfiguration) -> Bool {
        if let path = earlier.path {
            return later.path == path
        }
        guard let prefix = earlier.pathPrefix else { return true }
        guard let laterPath = later.path ?? later.pathPrefix else { return false }
        return laterPath.hasPrefix(prefix)
    }

    private static func methodsCover(_ earlier: [String], _ later: [String]) -> Bool {
        earlier.isEmpty || (!later.isEmpty && later.allSatisfy(earlier.contains))
    }
}
