/// What a listener speaks to clients.
public enum ListenerProtocol: String, Sendable, Hashable, CaseIterable {
    /// Plain HTTP/1.1.
    case http
    /// HTTP/1.1 over TLS, terminated by the proxy. Needs a `tls` block with at least one certificate.
    case https
}
