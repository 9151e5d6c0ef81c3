/// A rule of a listener: requests that match go to one target group.
public struct Route: Sendable {
    public var name: String
    /// Exact host (`example.com`) or one-label wildcard (`*.example.com`); `nil` matches any host.
    public var host: String?
    /// Path prefix such as `/api`; `nil` matches any path.
    public var pathPrefix: String?
    public var targetGroup: TargetGroup

    public init(name: String, host: String? = nil, pathPrefix: String? = nil, targetGroup: TargetGroup) {
        self.name = name
        self.host = host?.lowercased()
        self.pathPrefix = pathPrefix
        self.targetGroup = targetGroup
    }

    /// Whether this route takes a request for `host` (lowercased, without port) and `path`.
    func matches(host requestHost: String?, path: String) -> Bool {
        if let pattern = self.host {
            guard let requestHost, Self.host(requestHost, matches: pattern) else { return false }
        }
        if let prefix = self.pathPrefix, !path.hasPrefix(prefix) {
            return false
        }
        return true
    }

    static func host(_ host: String, matches pattern: String) -> Bool {
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)  // ".example.com"
            guard host.hasSuffix(suffix) else { return false }
            let label = host.dropLast(suffix.count)
            return !label.isEmpty && !label.contains(".")
        }
        return host == pattern
    }
}
