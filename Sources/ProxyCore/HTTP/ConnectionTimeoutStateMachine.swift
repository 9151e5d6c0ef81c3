/// Decides the client-side timers of one connection: the header timeout (slowloris) and the
/// keep-alive idle timeout. Pure: no clock, no channel. ``ConnectionTimeoutHandler`` owns the
/// timers and carries out the actions.
///
/// - The first request's head must arrive within `headerTimeout` of the connection opening
///   (the TLS handshake counts).
/// - After a response, the connection may idle for `idleTimeout`; once a byte of the next
///   request arrives, its head must be complete within `headerTimeout`.
struct ConnectionTimeoutStateMachine {
    enum Phase: Equatable {
        /// Between requests, no byte of the next one yet.
        case idle
        /// Some bytes of a request head have arrived (or this is the connection's first request).
        case readingHead
        /// The head arrived; the upstream timeouts apply until the response is complete.
        case inRequest
        case closed
    }

    enum Timer: Equatable {
        case header
        case idle
    }

    enum Action: Equatable {
        case none
        case startTimer(Timer)
        case cancelTimer
        /// Answer 408 and close.
        case requestTimeout
        /// Close quietly: the client simply went away.
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
        case .readingHead, .inRequest, .closed:
            return .none
        }
    }

    mutating func headReceived() -> Action {
        guard self.phase != .closed else { return .none }
        self.phase = .inRequest
        return .cancelTimer
    }

    mutating func responseCompleted() -> Action {
        guard self.phase == .inRequest else { return .none }
        self.phase = .idle
        return .startTimer(.idle)
    }

    mutating func timerFired(_ timer: Timer) -> Action {
        switch (self.phase, timer) {
        case (.readingHead, .header):
            self.phase = .closed
            return .requestTimeout
        case (.idle, .idle):
            self.phase = .closed
            return .closeIdle
        default:
            return .none  // a stale timer that lost a race with a state change
        }
    }
}
