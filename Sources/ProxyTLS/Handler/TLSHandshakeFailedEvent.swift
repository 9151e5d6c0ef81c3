/// Fired (server side) when a client's handshake fails or times out, before the connection
/// closes, so the layers above can count it.
public struct TLSHandshakeFailedEvent: Sendable, Hashable {
    /// OpenSSL's reasons, for logs.
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
