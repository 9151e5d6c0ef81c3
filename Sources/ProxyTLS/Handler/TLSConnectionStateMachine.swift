/// Decides what a TLS connection does next. Pure: no I/O, no clock, no OpenSSL.
///
/// States: `idle` → `handshaking` → `active` → `closing` (our close_notify is on its way) →
/// `closed` (the channel is inactive). A failed or timed-out handshake and a broken session
/// go to `aborting`: whatever alert OpenSSL produced is flushed, then the channel closes
/// without a TLS goodbye. ``TLSConnection`` owns the machine and carries out each ``Action``.
struct TLSConnectionStateMachine {
    enum State: Equatable {
        case idle
        case handshaking
        case active
        case closing
        case aborting
        case closed
    }

    enum Action: Equatable {
        case none
        /// Start the handshake timer and run the first handshake step.
        case startHandshake
        /// Cancel the timer, fire the handshake events, send buffered writes.
        case completeHandshake
        /// Log, flush OpenSSL's alert if any, close the channel.
        case abort
        /// Queue our close_notify, flush it, then close the channel.
        case sendCloseNotifyThenClose
        /// Close the channel now, without a TLS goodbye.
        case closeChannel
        /// A close is already under way: let it complete (or forward to the channel).
        case joinClose
        /// The channel is gone: cancel timers, fail pending writes.
        case cleanUp
    }

    private(set) var state: State = .idle

    /// Plaintext writes are accepted (and buffered until the handshake completes).
    var acceptsWrites: Bool {
        switch self.state {
        case .idle, .handshaking, .active: true
        case .closing, .aborting, .closed: false
        }
    }

    /// Inbound ciphertext still goes to OpenSSL (after our close_notify we still read the peer's).
    var decryptsInbound: Bool {
        self.state == .active || self.state == .closing
    }

    mutating func channelActive() -> Action {
        guard self.state == .idle else { return .none }
        self.state = .handshaking
        return .startHandshake
    }

    mutating func handshakeCompleted() -> Action {
        guard self.state == .handshaking else { return .none }
        self.state = .active
        return .completeHandshake
    }

    /// The handshake failed, timed out, or the peer broke the session later.
    mutating func failed() -> Action {
        switch self.state {
        case .idle, .handshaking, .active, .closing:
            self.state = .aborting
            return .abort
        case .aborting, .closed:
            return .none
        }
    }

    mutating func handshakeTimedOut() -> Action {
        guard self.state == .handshaking else { return .none }
        return self.failed()
    }

    mutating func closeRequested() -> Action {
        switch self.state {
        case .idle, .handshaking:
            self.state = .aborting
            return .closeChannel
        case .active:
            self.state = .closing
            return .sendCloseNotifyThenClose
        case .closing, .aborting, .closed:
            return .joinClose
        }
    }

    /// The peer's close_notify arrived.
    mutating func peerClosed() -> Action {
        switch self.state {
        case .active:
            self.state = .closing
            return .sendCloseNotifyThenClose
        case .closing:
            return .closeChannel
        case .idle, .handshaking, .aborting, .closed:
            return .none
        }
    }

    mutating func channelInactive() -> Action {
        self.state = .closed
        return .cleanUp
    }
}
