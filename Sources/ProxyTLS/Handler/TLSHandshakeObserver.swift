/// Callbacks a server connection makes when its handshake ends, without a handler of its own.
///
/// The only report of what a handshake negotiated or why it failed (besides the handler's
/// ``TLSServerHandler/handshakeSummary`` and its log line): the pipeline gets NIO's
/// `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)` only. An observer is for whoever
/// records them (metrics, the connection's log fields): a handler added for that and removed
/// after the handshake would cost an insertion, a removal and a pipeline hop per connection.
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
