/// Callbacks a server connection makes when its handshake ends, without a handler of its own.
///
/// The same facts also go up the pipeline as user events (``TLSHandshakeSummary``,
/// ``TLSHandshakeFailedEvent``); an observer is for whoever only records them (metrics, the
/// connection's log fields): a handler added for that and removed after the handshake costs an
/// insertion, a removal and a pipeline hop per connection.
///
/// > Important: Called on the connection's event loop.
public struct TLSHandshakeObserver {
    /// The handshake completed.
    public var completed: (TLSHandshakeSummary) -> Void
    /// The handshake failed or timed out, with OpenSSL's reason.
    public var failed: (String) -> Void

    public init(completed: @escaping (TLSHandshakeSummary) -> Void, failed: @escaping (String) -> Void) {
        self.completed = completed
        self.failed = failed
    }
}

@available(*, unavailable)
extension TLSHandshakeObserver: Sendable {}
