/// Readers for single values. Each reports what is wrong and returns `nil`, so the caller keeps
/// the default and goes on.
extension ConfigParser {
    /// Reads a non-empty string. Any scalar but null counts, so `name: 8080` is the string `"8080"`.
    mutating func string(_ node: ConfigNode, key: String) -> String? {
        guard let scalar = node.scalar, !node.isNull else {
            self.problems.report(key, at: node, "expected a string, got \(node.typeName)")
            return nil
        }
        guard !scalar.text.isEmpty else {
            self.problems.report(key, at: node, "must not be empty")
            return nil
        }
        return scalar.text
    }

    /// Reads a name: letters, digits, `-`, `_` and `.`.
    mutating func name(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        else {
            self.problems.report(
                key,
                at: node,
                "names may contain only letters, digits, \"-\", \"_\" and \".\" (got \"\(text)\")"
            )
            return nil
        }
        return text
    }

    mutating func bool(_ node: ConfigNode, key: String) -> Bool? {
        guard case .bool(let value) = node.scalar?.kind else {
            self.problems.report(key, at: node, "expected true or false, got \(node.quotedDescription)")
            return nil
        }
        return value
    }

    mutating func integer(_ node: ConfigNode, key: String, in range: ClosedRange<Int>) -> Int? {
        guard case .integer(let value) = node.scalar?.kind else {
            self.problems.report(key, at: node, "expected an integer in \(range), got \(node.quotedDescription)")
            return nil
        }
        guard range.contains(value) else {
            self.problems.report(key, at: node, "must be in \(range) (got \(value))")
            return nil
        }
        return value
    }

    /// Reads a duration such as `10s`; it must be greater than zero unless `allowsZero`.
    mutating func duration(
        _ node: ConfigNode,
        key: String,
        allowsZero: Bool = false,
        in range: ClosedRange<Duration>? = nil
    ) -> Duration? {
        guard let scalar = node.scalar, !node.isNull else {
            self.problems.report(
                key,
                at: node,
                "expected a duration, got \(node.typeName) (\(DurationSyntax.expectation))"
            )
            return nil
        }
        guard let duration = DurationSyntax.parse(scalar.text) else {
            self.problems.report(key, at: node, "invalid duration \"\(scalar.text)\" (\(DurationSyntax.expectation))")
            return nil
        }
        if !allowsZero && duration == .zero {
            self.problems.report(key, at: node, "must be greater than 0 (got \(scalar.text))")
            return nil
        }
        if let range, !range.contains(duration) {
            let bounds = "\(DurationSyntax.format(range.lowerBound))...\(DurationSyntax.format(range.upperBound))"
            self.problems.report(key, at: node, "must be in \(bounds) (got \(scalar.text))")
            return nil
        }
        return duration
    }

    /// Reads a size such as `16KiB` in bytes.
    mutating func size(_ node: ConfigNode, key: String, in range: ClosedRange<Int>) -> Int? {
        guard let scalar = node.scalar, !node.isNull else {
            self.problems.report(key, at: node, "expected a size, got \(node.typeName) (\(ByteSizeSyntax.expectation))")
            return nil
        }
        guard let bytes = ByteSizeSyntax.parse(scalar.text) else {
            self.problems.report(key, at: node, "invalid size \"\(scalar.text)\" (\(ByteSizeSyntax.expectation))")
            return nil
        }
        guard range.contains(bytes) else {
            let bounds = "\(ByteSizeSyntax.format(range.lowerBound))...\(ByteSizeSyntax.format(range.upperBound))"
            self.problems.report(key, at: node, "must be in \(bounds) (got \(scalar.text))")
            return nil
        }
        return bytes
    }

    /// Reads a percentage in 0...100, written `20`, `20%` or (unless `wholeOnly`) `12.5%`.
    mutating func percent(_ node: ConfigNode, key: String, wholeOnly: Bool = false) -> Double? {
        let expectation = PercentSyntax.expectation(wholeOnly: wholeOnly)
        guard let scalar = node.scalar, !node.isNull else {
            self.problems.report(key, at: node, "expected a percentage, got \(node.typeName) (\(expectation))")
            return nil
        }
        guard let value = PercentSyntax.parse(scalar.text, wholeOnly: wholeOnly) else {
            self.problems.report(key, at: node, "invalid percentage \"\(scalar.text)\" (\(expectation))")
            return nil
        }
        guard (0...100).contains(value) else {
            self.problems.report(key, at: node, "must be in 0...100 (got \(scalar.text))")
            return nil
        }
        return value
    }

    /// Reads one of the raw values of `Choice`.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: ConfigNode,
        key: String,
        of type: Choice.Type,
        noun: String
    ) -> Choice? where Choice.RawValue == String {
        let expected = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        guard let text = node.scalar?.text, !node.isNull else {
            self.problems.report(key, at: node, "expected one of: \(expected); got \(node.typeName)")
            return nil
        }
        guard let value = Choice(rawValue: text) else {
            self.problems.report(key, at: node, "unknown \(noun) \"\(text)\" (expected one of: \(expected))")
            return nil
        }
        return value
    }

    /// Reads a list. A null node (the key with nothing after it) reads as an empty list.
    mutating func list(_ node: ConfigNode, key: String) -> [ConfigNode]? {
        if node.isNull {
            return []
        }
        guard case .sequence(let items) = node.content else {
            self.problems.report(key, at: node, "expected a list, got \(node.typeName)")
            return nil
        }
        return items
    }
}

extension ConfigNode {
    /// The value for "got …" messages: the scalar text in quotes, or the type of anything else.
    var quotedDescription: String {
        guard let scalar = self.scalar, !self.isNull else { return self.typeName }
        return "\"\(scalar.text)\""
    }
}
