/// A target as parsed, with the places that the duplicate checks of its group point at.
struct ParsedTarget {
    var target: TargetConfiguration
    /// The address value (the whole item for the `"host:port"` form).
    var address: ConfigNode
    /// The name; located at the `name` value, or at the target when it was defaulted. `nil` when
    /// the name was malformed (already reported).
    var name: Located<String>?
    /// Whether the name was made up from the position because the file gave none.
    var nameIsDefault: Bool
}
