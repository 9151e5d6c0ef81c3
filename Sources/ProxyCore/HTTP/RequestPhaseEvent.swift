/// Where a client connection is in its request cycle, as ``RequestGuardHandler`` sees it: what
/// it tells the handler below the HTTP codec that keeps the connection's timers
/// (``ConnectionTimeoutHandler``), through ``RequestPhaseObserver``.
public enum RequestPhaseEvent: Hashable, Sendable {
    /// A complete, valid request head was received.
    case headReceived
    /// The response to the current request has been fully written.
    case responseCompleted
}

/// Told by ``RequestGuardHandler`` about each request's phases.
///
/// A direct call between two handlers of the same connection, made when the pipeline is built:
/// an outbound user event would cross the HTTP encoder and decoder and be type-cast at every
/// handler twice per request.
///
/// > Important: Called on the connection's event loop.
public protocol RequestPhaseObserver: AnyObject {
    func requestPhase(_ phase: RequestPhaseEvent)
}
