/// Inbound user event from ``RequestGuardHandler``: the request in flight was refused part-way
/// (its body grew past the limit, or its framing broke). Whatever was started upstream for it
/// must be abandoned and must not be completed; the guard answers the client itself.
public struct RequestAbortedEvent: Hashable, Sendable {
    public var rejection: RequestRejection

    public init(rejection: RequestRejection) {
        self.rejection = rejection
    }
}

/// Inbound user event from ``RequestGuardHandler``: a request was refused before any part of it
/// reached the proxy (malformed, too large, missing `Host`…). The guard answers the client; the
/// proxy only records it (access log, metrics).
public struct RequestRejectedEvent: Hashable, Sendable {
    public var rejection: RequestRejection

    public init(rejection: RequestRejection) {
        self.rejection = rejection
    }
}
