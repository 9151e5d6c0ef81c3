/// A header rule's value, with the variables it uses: `${client_ip}`, `${request_id}`, `${host}`,
/// `${scheme}`; `$$` is a `$`. Parsed once (the configuration validated the syntax).
public struct HeaderTemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(String)
        case clientIP
        case requestID
        case host
        case scheme
    }

    /// What a template's variables stand for, in one request.
    public struct Variables {
        public var clientIP: String
        public var requestID: String?
        public var host: String?
        public var scheme: String

        public init(clientIP: String, requestID: String?, host: String?, scheme: String) {
            self.clientIP = clientIP
            self.requestID = requestID
            self.host = host
            self.scheme = scheme
        }
    }

    let parts: [Part]

    public init(_ text: String) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                literal.append("$")
                rest = rest.dropFirst()
                continue
            }
            guard rest.first == "{", let close = rest.firstIndex(of: "}") else {
                literal.append("$")
                continue
            }
            let part: Part
            switch rest[rest.index(after: rest.startIndex)..<close] {
            case "client_ip": part = .clientIP
            case "request_id": part = .requestID
            case "host": part = .host
            case "scheme": part = .scheme
            default:
                literal += "$" + rest[...close]
                rest = rest[rest.index(after: close)...]
                continue
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(part)
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty || parts.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// The text when it uses no variable.
    public var staticValue: String? {
        if self.parts.count == 1, case .literal(let text) = self.parts[0] { return text }
        return nil
    }

    public func render(_ variables: Variables) -> String {
        if let text = self.staticValue { return text }
        var value = ""
        for part in self.parts {
            switch part {
            case .literal(let text): value += text
            case .clientIP: value += variables.clientIP
            case .requestID: value += variables.requestID ?? ""
            case .host: value += variables.host ?? ""
            case .scheme: value += variables.scheme
            }
        }
        return value
    }
}
