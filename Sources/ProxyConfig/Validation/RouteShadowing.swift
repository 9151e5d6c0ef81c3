/// Warns about routes that can never match because an earlier route of the same listener
/// matches every request they would.
///
/// Route A covers route B when A has no host condition or the same host (or a wildcard that
/// covers B's host), and A has no path prefix or one that B's prefix starts with.
enum RouteShadowing {
    static func check(_ routes: [ParsedRoute], into problems: inout DiagnosticCollector) {
        for (index, later) in routes.enumerated() {
            guard let earlier = routes[..<index].first(where: { Self.covers($0.route.value, later.route.value) }) else {
                continue
            }
            let reason =
                earlier.route.value.isCatchAll
                ? "it has no match conditions and matches every request"
                : "it matches every request this route would"
            problems.warn(
                at: later.route,
                "route \"\(later.route.value.name)\" can never match: route \"\(earlier.route.value.name)\" (line \(earlier.route.line)) comes first and \(reason)"
            )
        }
    }

    static func covers(_ earlier: RouteConfiguration, _ later: RouteConfiguration) -> Bool {
        Self.hostCovers(earlier.host, later.host) && Self.pathCovers(earlier.pathPrefix, later.pathPrefix)
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

    private static func pathCovers(_ earlier: String?, _ later: String?) -> Bool {
        guard let earlier else { return true }
        guard let later else { return false }
        return later.hasPrefix(earlier)
    }
}
