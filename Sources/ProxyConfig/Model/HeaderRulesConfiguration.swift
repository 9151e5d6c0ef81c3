/// `request_headers` or `response_headers` of a listener or a route: fields set, added and removed
/// on the way through.
///
/// Configuration keys:
/// - `set` (mapping name → value): the field is replaced (every field of that name the other side
///   sent is removed, then this one is added).
/// - `add` (mapping name → value): the field is added beside those already there.
/// - `remove` (list of names): every field of that name is removed.
///
/// Values may use `${client_ip}`, `${request_id}`, `${host}` and `${scheme}`; `$$` is a literal `$`.
/// Framing and hop-by-hop names (`Content-Length`, `Transfer-Encoding`, `Connection`, `Host`, …)
/// cannot be named: the proxy owns them. A route's rules win over its listener's for the same
/// name; the listener's other rules still apply.
public struct HeaderRulesConfiguration: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var set: [Field]
    public var add: [Field]
    public var remove: [String]

    public init(set: [Field] = [], add: [Field] = [], remove: [String] = []) {
        self.set = set
        self.add = add
        self.remove = remove
    }

    public var isEmpty: Bool { self.set.isEmpty && self.add.isEmpty && self.remove.isEmpty }

    /// Every name these rules act on, lowercased.
    public var names: Set<String> {
        Set((self.set.map(\.name) + self.add.map(\.name) + self.remove).map { $0.lowercased() })
    }

    /// These rules over `base` (a listener's): for every name these rules act on, `base`'s rules
    /// for it are dropped; `base`'s other rules stay.
    public func over(_ base: HeaderRulesConfiguration) -> HeaderRulesConfiguration {
        let mine = self.names
        let kept: (Field) -> Bool = { !mine.contains($0.name.lowercased()) }
        return HeaderRulesConfiguration(
            set: base.set.filter(kept) + self.set,
            add: base.add.filter(kept) + self.add,
            remove: base.remove.filter { !mine.contains($0.lowercased()) } + self.remove
        )
    }
}
