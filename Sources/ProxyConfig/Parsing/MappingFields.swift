/// The entries of one YAML mapping, already checked against the keys allowed there.
struct MappingFields {
    /// The mapping itself, for problems about missing keys.
    let node: ConfigNode
    /// Dotted key of the mapping, such as `listeners[0].tls`; empty for the document root.
    let key: String
    private let values: [String: ConfigNode]

    init(node: ConfigNode, key: String, values: [String: ConfigNode]) {
        self.node = node
        self.key = key
        self.values = values
    }

    subscript(name: String) -> ConfigNode? {
        self.values[name]
    }

    /// The dotted key of the entry `name`.
    func key(_ name: String) -> String {
        self.key.isEmpty ? name : "\(self.key).\(name)"
    }
}

extension ConfigParser {
    /// Reads `node` as a mapping whose keys must be among `allowed`.
    ///
    /// Reports a node that is not a mapping, keys that are not strings, and unknown keys (with a
    /// did-you-mean hint). A null node (a key with nothing after it) reads as an empty mapping.
    ///
    /// - Returns: The known entries, or `nil` when `node` is not a mapping.
    mutating func fields(of node: ConfigNode, key: String, allowed: [String]) -> MappingFields? {
        if node.isNull {
            return MappingFields(node: node, key: key, values: [:])
        }
        guard case .mapping(let entries) = node.content else {
            self.problems.report(key, at: node, "expected a mapping, got \(node.typeName)")
            return nil
        }
        var values: [String: ConfigNode] = [:]
        for entry in entries {
            guard let scalar = entry.key.scalar, !entry.key.isNull else {
                self.problems.report(key, at: entry.key, "keys must be strings, got \(entry.key.typeName)")
                continue
            }
            let name = scalar.text
            guard allowed.contains(name) else {
                let entryKey = key.isEmpty ? name : "\(key).\(name)"
                let hint = Suggestion.hint(for: name, in: allowed)
                self.problems.report(entryKey, at: entry.key, "unknown key \"\(name)\"\(hint)")
                continue
            }
            values[name] = entry.value
        }
        return MappingFields(node: node, key: key, values: values)
    }

    /// Reports that the mapping `fields` lacks the required key `name`.
    mutating func reportMissing(_ name: String, in fields: MappingFields, _ detail: String = "") {
        self.problems.report(fields.key(name), at: fields.node, "missing required key \"\(name)\"\(detail)")
    }
}
