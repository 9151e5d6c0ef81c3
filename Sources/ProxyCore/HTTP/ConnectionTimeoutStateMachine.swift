/// Decides the client-side timers of one connection: the header timeout (slowloris), the body
/// timeout (a body that trickles or stalls), the keep-alive idle timeout, and a tunnel's idle
/// timeout. Pure: no clock, no channel. ``HTTP1ServerConnection`` owns the timer and carries
/// out the actions.
///
/// - The first request's head must arrive within `headerTimeout` of the connection opening
///   (the TLS handshake counts).
/// - Once a head with a body is in, each piece of the body must come within `bodyTimeout` of
///   the previous one.
/// - After a response, the connection may idle for `idleTimeout`; once a byte of the next
///   request arrives, its head must be complete within `headerTimeout`.
/// - A tunnel (after `101`) closes after `tunnelIdleTimeout` without a byte either way.
///
/// The send timeout (a client that does not read) runs beside these, on its own timer: it
/// depends on the channel's writability, not on the request's phase.
struct ConnectionTimeoutStateMachine {
    enum Phase: Equatable {
        /// Between requests, no byte of the next one yet.
        case idle
        /// Some bytes of a request head have arrived (or this is the connection's first request).
        case readingHead
        /// The head arrived and its body is being read.
        case readingBody
        /// The request was read; the upstream timeouts apply until the response is complete.
        case awaitingResponse
        /// A protocol switch: bytes both ways.
        case tunnel
        case closed
    }

    enum Timer: Equatable {
        case header
        case body
        case idle
        case tunnelIdle
    }

    enum Action: Equatable {
        case none
        /// Arm the timer for this phase (pushing it later when it is already armed).
        case startTimer(Timer)
        case cancelTimer
        /// The head did not come in time: answer 408 and close.
        case headTimedOut
        /// The body stalled: answer 408 (if nothing of a response went out) and close.
        case bodyTimedOut
        /// Close quietly: the client simply went away, or the tunnel went quiet.
        case closeIdle
    }

    private(set) var phase: Phase = .readingHead

    /// The connection became active.
    mutating func connectionStarted() -> Action {
        self.phase = .readingHead
        return .startTimer(.header)
    }

    mutating func bytesReceived() -> Action {
        switch self.phase {
        case .idle:
            self.phase = .readingHead
            return .startTimer(.header)
        case .tunnel:
            return .startTimer(.tunnelIdle)
        case .readingHead, .readingBody, .awaitingResponse, .closed:
            return .none
        }
    }

    /// - Parameter hasBody: The head frames a body that is still to be read.
    mutating func headReceived(hasBody: Bool) -> Action {
        guard self.phase != .closed else { return .none }
        if hasBody {
            self.phase = .readingBody
            return .startTimer(.body)
        }
        self.phase = .awaitingResponse
        return .cancelTimer
    }

    /// A piece of the body arrived.
    mutating func bodyReceived() -> Action {
        guard self.phase == .readingBody else { return .none }
        return .startTimer(.body)
    }

    /// The request was read to its end.
    mutating func requestEnded() -> Action {
        guard self.phase == .readingBody else { return .none }
        self.phase = .awaitingResponse
        return .cancelTimer
    }

    mutating func responseCompleted() -> Action {
        switch self.phase {
        case .awaitingResponse:
            self.phase = .idle
            return .startTimer(.idle)
        case .readingBody:
            // Answered before the body was read: the guard closes after it.
            self.phase = .closed
            return .cancelTimer
        default:
            return .none
        }
    }

    /// We stopped reading the client (its target is not taking the body): the body timeout
    /// waits, it measures the client's delays only.
    mutating func readsHeld() -> Action {
        self.phase == .readingBody ? .cancelTimer : .none
    }

    mutating func readsResumed() -> Action {
        self.phase == .readingBody ? .startTimer(.body) : .none
    }

    /// The request was refused and is being answered: no timer answers after it.
    mutating func refused() -> Action {
        guard self.phase != .tunnel else { return .none }
        self.phase = .closed
        return .cancelTimer
    }

    /// Bytes move both ways from now on.
    mutating func tunnelStarted() -> Action {
        guard self.phase != .closed else { return .none }
        self.phase = .tunnel
        return .startTimer(.tunnelIdle)
    }

    /// Bytes went to the client through the tunnel.
    mutating func tunnelBytesSent() -> Action {
        self.phase == .tunnel ? .startTimer(.tunnelIdle) : .none
    }

    mutating func timerFired(_ timer: Timer) -> Action {
        switch (self.phase, timer) {
        case (.readingHead, .header):
            self.phase = .closed
            return .headTimedOut
        case (.readingBody, .body):
            self.phase = .closed
            return .bodyTimedOut
        case (.idle, .idle), (.tunnel, .tunnelIdle):
            self.phase = .closed
            return .closeIdle
        default:
            return .none  // a stale timer that lost a race with a state change
        }
    }
}
