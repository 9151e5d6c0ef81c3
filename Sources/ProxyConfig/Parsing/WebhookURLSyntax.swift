/// The syntax of a scaling rule's `webhook`: `http://host:port/path`.
///
/// The port is required; the path defaults to `/` and may carry a query string. User names,
/// fragments and HTTPS are refused.
enum WebhookURLSyntax {
    static let expectation = "expected http://host:port/path, such as http://127.0.0.1:9000/scale"

    /// Parses `text`, or says what is wrong with it.
    static func parse(_ text: String) -> Result<WebhookURL, SyntaxProblem> {
        let text = text.trimmingSpaces()
        let scheme = text.prefix(while: { $0 != ":" }).lowercased()
        if scheme == "https", text.dropFirst(scheme.count).hasPrefix("://") {
            return .failure(SyntaxProblem("webhooks are plain http only; https is not supported (got \"\(text)\")"))
        }
        guard scheme == "http", text.dropFirst(scheme.count).hasPrefix("://") else {
            return .failure(SyntaxProblem("invalid webhook URL \"\(text)\" (\(Self.expectation))"))
        }
        let afterScheme = text.dropFirst("http://".count)
        let authority = afterScheme.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        var path = String(afterScheme.dropFirst(authority.count))
        if authority.contains("@") {
            return .failure(SyntaxProblem("user names are not supported in a webhook URL (got \"\(text)\")"))
        }
        if path.contains("#") {
            return .failure(SyntaxProblem("a webhook URL may not have a fragment (got \"\(text)\")"))
        }
        if path.contains(where: { $0.isWhitespace || !$0.isASCII || $0.asciiValue! < 0x20 }) {
            return .failure(SyntaxProblem("the path of a webhook URL may not contain spaces or non-ASCII characters"))
        }
        if path.isEmpty || path.hasPrefix("?") {
            path = "/" + path
        }
        switch AddressSyntax.parse(String(authority), allowsWildcard: false) {
        case .success(let address):
            return .success(WebhookURL(host: address.host, port: address.port, path: path))
        case .failure(let problem):
            return .failure(SyntaxProblem("invalid webhook URL \"\(text)\": \(problem.message)"))
        }
    }
}
