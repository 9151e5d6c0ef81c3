/// The variables a header rule's value may use (`${client_ip}`), and the names no rule may touch.
enum HeaderTemplateSyntax {
    static let variables = ["client_ip", "request_id", "host", "scheme"]

    /// Framing and hop-by-hop names: the proxy owns them (RFC 9110 §7.6.1, RFC 9112 §6).
    static let ownedNames: Set<String> = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "host",
        "proxy-connection", "expect",
    ]

    /// The problem with `value` as a template, or `nil`: every `$` starts `${known}` or `$$`.
    static func problem(in value: String) -> String? {
        guard HTTPSyntax.isValidFieldValue(value) else {
            return "must be printable ASCII without line breaks (got \(value.debugDescription))"
        }
        var rest = Substring(value)
        while let dollar = rest.firstIndex(of: "$") {
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                rest = rest.dropFirst()
                continue
            }
            guard rest.first == "{", let close = rest.firstIndex(of: "}") else {
                return "a \"$\" must start a variable such as ${client_ip} (write $$ for a literal $)"
            }
            let name = String(rest[rest.index(after: rest.startIndex)..<close])
            guard Self.variables.contains(name) else {
                let hint = Suggestion.hint(for: name, in: Self.variables)
                return "unknown variable ${\(name)}\(hint) (known: \(Self.variables.map { "${\($0)}" }.joined(separator: ", ")))"
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }
}
