import ProxyDefaults

/// Host, port and `host:port` syntax, shared by listener binds, targets and route hosts.
enum AddressSyntax {
    /// Parses the address of a target: `host:port`, `[ipv6]:port`, or `:port` for this machine
    /// (``Defaults/Target/localHost``, so `:3000` is `127.0.0.1:3000`). The one syntax of
    /// every place that takes a target: `targets` in the file, `--to`, the admin API's register
    /// and `portcullis targets register`.
    static func parseTarget(_ text: String) -> Result<BindAddress, SyntaxProblem> {
        let text = text.trimmingSpaces()
        return Self.parse(text.hasPrefix(":") ? Defaults.Target.localHost + text : text, allowsWildcard: false)
    }

    /// Parses `host:port` or `[ipv6]:port`.
    ///
    /// - Parameter allowsWildcard: Whether `*:port` and `:port` are accepted (for binds). They
    ///   become host `0.0.0.0`.
    /// - Returns: The address, or a message saying what is wrong.
    static func parse(_ text: String, allowsWildcard: Bool) -> Result<BindAddress, SyntaxProblem> {
        let text = text.trimmingSpaces()
        let example = allowsWildcard ? "0.0.0.0:443 or [::]:443" : "127.0.0.1:8080 or [::1]:8080"
        guard !text.isEmpty else {
            return .failure(SyntaxProblem("expected host:port, such as \(example)"))
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(SyntaxProblem("missing \"]\" after the IPv6 address in \"\(text)\""))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                return .failure(SyntaxProblem("missing port in \"\(text)\" (expected host:port, such as \(example))"))
            }
            portText = rest.dropFirst()
            guard let address = IPAddress(host), address.isIPv6 else {
                return .failure(SyntaxProblem("\"\(host)\" is not an IPv6 address"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(SyntaxProblem("missing port in \"\(text)\" (expected host:port, such as \(example))"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(SyntaxProblem("IPv6 addresses need brackets, as in [\(host)]:\(portText)"))
            }
        }
        // A bind may use port 0: the kernel picks a free port (tests, ephemeral listeners).
        guard let port = Self.port(portText) ?? (allowsWildcard && portText == "0" ? 0 : nil) else {
            let range = allowsWildcard ? "0...65535" : "1...65535"
            return .failure(SyntaxProblem("port must be a number in \(range) (got \"\(portText)\")"))
        }
        if host.isEmpty || host == "*" {
            guard allowsWildcard else {
                return .failure(SyntaxProblem("missing host in \"\(text)\" (expected host:port, such as \(example))"))
            }
            return .success(BindAddress(host: "0.0.0.0", port: port))
        }
        if let problem = Self.hostProblem(String(host)) {
            return .failure(SyntaxProblem(problem))
        }
        return .success(BindAddress(host: IPAddress(host)?.description ?? host.lowercased(), port: port))
    }

    /// Parses a port number in 1...65535.
    static func port(_ text: some StringProtocol) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy(\.isASCIIDigit), let port = Int(text),
            (1...65535).contains(port)
        else {
            return nil
        }
        return port
    }

    /// What is wrong with `host` as an IP address or DNS name, or `nil` if nothing is.
    static func hostProblem(_ host: String) -> String? {
        if IPAddress(host) != nil {
            return nil
        }
        if host.allSatisfy({ $0.isASCIIDigit || $0 == "." }) {
            return "\"\(host)\" is not a valid IPv4 address"
        }
        return Self.isValidHostName(host) ? nil : "\"\(host)\" is not a valid IP address or host name"
    }

    /// Whether `name` is a DNS name: dot-separated labels of letters, digits, `-` and `_`,
    /// 1...63 characters each, not starting or ending with `-`.
    static func isValidHostName(_ name: some StringProtocol) -> Bool {
        guard (1...253).contains(name.count) else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
                && label.first != "-" && label.last != "-"
        }
    }
}
