/// `routes[].rewrite`: the path a forwarding route's target sees.
public enum PathRewrite: Sendable, Hashable {
    case stripPrefix(String)
    case replacePrefix(from: String, to: String)

    /// The rewritten request target, or `nil` when the path does not start with the prefix
    /// (at a segment boundary) and stays as it is. The query is kept.
    public func apply(to uri: String) -> String? {
        let (from, to): (String, String)
        switch self {
        case .stripPrefix(let prefix): (from, to) = (prefix, "")
        case .replacePrefix(let prefix, let replacement): (from, to) = (prefix, replacement)
        }
        let trimmed = from.hasSuffix("/") && from.count > 1 ? String(from.dropLast()) : from
        guard uri.hasPrefix(trimmed) else { return nil }
        let rest = uri.dropFirst(trimmed.count)
        // `/api` strips from `/api`, `/api/x` and `/api?q`, not from `/apis`.
        guard rest.isEmpty || rest.first == "/" || rest.first == "?" || trimmed == "/" else { return nil }
        var path = (to.hasSuffix("/") && rest.first == "/" ? String(to.dropLast()) : to) + rest
        if path.isEmpty || path.first == "?" {
            path = "/" + path
        } else if path.first != "/" {
            path = "/" + path
        }
        return path
    }
}
