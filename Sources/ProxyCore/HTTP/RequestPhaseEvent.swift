/// Outbound user events by which ``RequestGuardHandler`` tells handlers below the HTTP codec
/// (the ``ConnectionTimeoutHandler``) where the connection is in its request cycle.
public enum RequestPhaseEvent: Hashable, Sendable {
    /// A complete, valid request head was received.
    case headReceived
    /// The response to the current request has been fully written.
    case responseCompleted
}
