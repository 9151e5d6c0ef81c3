import Yams

/// A YAML value together with where it was written.
///
/// This is a small, `Sendable` copy of the Yams node tree that keeps just what validation needs:
/// the text of scalars, how YAML typed them, the order of mapping keys, and 1-based positions.
struct ConfigNode: Sendable {
    enum Content: Sendable {
        case scalar(Scalar)
        case mapping([(key: ConfigNode, value: ConfigNode)])
        case sequence([ConfigNode])
    }

    /// A scalar's text and the type YAML gives it (quoted scalars are always strings).
    struct Scalar: Sendable {
        enum Kind: Sendable {
            case string
            case null
            case bool(Bool)
            case integer(Int)
            case float
        }

        var text: String
        var kind: Kind
    }

    var content: Content
    var line: Int
    var column: Int

    /// The user-facing name of this node's type, for "expected X, got Y" messages.
    var typeName: String {
        switch self.content {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let scalar):
            switch scalar.kind {
            case .string: "a string"
            case .null: "null"
            case .bool: "a boolean"
            case .integer: "an integer"
            case .float: "a number"
            }
        }
    }

    var scalar: Scalar? {
        if case .scalar(let scalar) = self.content { scalar } else { nil }
    }

    var isNull: Bool {
        if case .null = self.scalar?.kind { true } else { false }
    }

    /// The value of the entry `key` when this is a mapping that has it.
    func value(forKey key: String) -> ConfigNode? {
        guard case .mapping(let entries) = self.content else { return nil }
        return entries.first { $0.key.scalar?.text == key && !$0.key.isNull }?.value
    }
}

extension ConfigNode {
    /// Parses the first YAML document in `yaml`.
    ///
    /// - Returns: The root node, or `nil` for an empty document.
    /// - Throws: A ``ConfigDiagnostic`` without key for YAML syntax errors and duplicate keys.
    static func parse(yaml: String, file: String) throws(ConfigDiagnostic) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.diagnostic(for: error, file: file)
        } catch {
            throw ConfigDiagnostic(file: file, line: 0, column: 0, key: "", message: "invalid YAML: \(error)")
        }
        return root.map(ConfigNode.init)
    }

    private init(_ node: Node) {
        let mark = node.mark
        self.line = mark?.line ?? 0
        self.column = mark?.column ?? 0
        switch node {
        case .scalar(let scalar):
            self.content = .scalar(Scalar(scalar, resolvedTag: node.tag.rawValue, integer: node.int))
        case .mapping(let mapping):
            self.content = .mapping(mapping.map { (key: ConfigNode($0.key), value: ConfigNode($0.value)) })
        case .sequence(let sequence):
            self.content = .sequence(sequence.map(ConfigNode.init))
        case .alias:
            // Yams resolves aliases while composing, so this is not reached; treat it as null.
            self.content = .scalar(Scalar(text: "", kind: .null))
        }
    }

    private static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
        func located(_ mark: Mark, _ message: String) -> ConfigDiagnostic {
            ConfigDiagnostic(file: file, line: mark.line, column: mark.column, key: "", message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let contextText = context.map { "\($0.text) (line \($0.mark.line)), " } ?? ""
            return located(mark, "invalid YAML: \(contextText)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return located(context.mark, "duplicate key \(keys) in one mapping")
        default:
            return ConfigDiagnostic(file: file, line: 0, column: 0, key: "", message: "invalid YAML: \(error)")
        }
    }
}

extension ConfigNode.Scalar {
    init(_ scalar: Node.Scalar, resolvedTag: String, integer: Int?) {
        self.text = scalar.string
        guard scalar.style == .plain || scalar.style == .any else {
            self.kind = .string
            return
        }
        switch resolvedTag {
        case Tag.Name.null.rawValue:
            self.kind = .null
        case Tag.Name.bool.rawValue:
            self.kind = .bool(["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"].contains(scalar.string))
        case Tag.Name.int.rawValue:
            self.kind = integer.map(Self.Kind.integer) ?? .string
        case Tag.Name.float.rawValue:
            self.kind = .float
        default:
            self.kind = .string
        }
    }
}
