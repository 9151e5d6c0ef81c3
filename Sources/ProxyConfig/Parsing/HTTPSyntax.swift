/// The little HTTP syntax the configuration needs to check (RFC 9110, RFC 6265).
enum HTTPSyntax {
    /// Whether `name` is a field name: one or more token characters.
    static func isValidFieldName(_ name: String) -> Bool {
        Self.isToken(name)
    }

    /// Whether `name` can be a cookie name: a token (RFC 6265, section 4.1.1).
    static func isValidCookieName(_ name: String) -> Bool {
        Self.isToken(name)
    }

    /// Whether `text` is a token: one or more visible ASCII characters other than separators
    /// (`tchar` in RFC 9110, section 5.6.2).
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                        || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
            }
    }

    /// Whether `path` can be sent as an origin-form request target (a health check's): it starts
    /// with `/` and is visible ASCII (no spaces, controls or raw non-ASCII; a query is fine).
    static func isValidRequestPath(_ path: String) -> Bool {
        path.hasPrefix("/") && path.unicodeScalars.allSatisfy { ("!"..."~").contains($0) }
    }

    /// The problem reported for a path ``isValidRequestPath(_:)`` refuses.
    static func requestPathProblem(_ path: String) -> String {
        "must start with \"/\" and be visible ASCII, no spaces; percent-encode other characters (got \(path.debugDescription))"
    }

    /// Whether `value` can be sent as a field value: visible ASCII, spaces and tabs, no line breaks.
    static func isValidFieldValue(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { $0 == "\t" || (" "..."~").contains($0) }
    }
}
