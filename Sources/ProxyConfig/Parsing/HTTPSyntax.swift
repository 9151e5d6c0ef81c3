/// The little HTTP syntax the configuration needs to check (RFC 9110).
enum HTTPSyntax {
    /// Whether `name` is a field name: one or more token characters.
    static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                        || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
            }
    }

    /// Whether `value` can be sent as a field value: visible ASCII, spaces and tabs, no line breaks.
    static func isValidFieldValue(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { $0 == "\t" || (" "..."~").contains($0) }
    }
}
