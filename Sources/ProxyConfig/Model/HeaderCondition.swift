/// One request-header condition of a route: `match.headers.<name>: <value>`.
///
/// Header names compare case-insensitively; values compare exactly (case-sensitive).
public struct HeaderCondition: Sendable, Hashable {
    /// A field name (RFC 9110 token), as written in the file.
    public var name: String
    /// The value the header must have; `nil` means the header only has to be present
    /// (written `true` or `"*"`).
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Whether every request that meets `other` also meets this condition.
    func isImplied(by other: HeaderCondition) -> Bool {
        self.name.lowercased() == other.name.lowercased() && (self.value == nil || self.value == other.value)
    }
}
