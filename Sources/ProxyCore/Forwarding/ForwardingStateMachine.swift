import NIOCore
import NIOHTTP1

/// Decides what happens to one client request on its way to a target and back, including
/// whether a failed attempt may be tried again. Pure: no channels and no clock; the
/// ``ForwardingSession`` owns the connections, timers and budgets and carries out the returned
/// actions, and reports back what only it can know (whether the retry budget and another target
/// allow a retry: ``retry(allowed:cause:)``).
///
/// An upgrade request (``UpstreamRequestHead/upgrade``) answered with `101` becomes a tunnel;
/// it stays one until either side closes.
///
/// ```
/// idle ──head──▶ admitting (an asynchronous policy check) ──admitted──▶ connecting
///                     └──refused──▶ answering locally
/// idle ──head──▶ connecting ──leased──▶ exchanging ──response end──▶ idle
///                  ▲    │                    ├──101 (upgrade asked)──▶ tunnel ──close──▶ closed
///                  ▲    │                    │
///                  └────┴── retry ◀──────────┤ (never reached the target, or safe to resend)
///                       └─▶ error response (502/503/504) ─▶ idle / draining
/// ```
///
/// Retry rules: a request that never reached a target (the connect failed) may go to another
/// target whatever its method. One that was sent may be sent again only when it is idempotent
/// (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or carries `Idempotency-Key`, and only while every
/// body byte sent so far is still held (at most ``replayLimit`` bytes). At most `maxTries`
/// tries; the handler also checks the retry budget and that another target exists.
struct ForwardingStateMachine {
    enum ResponseProgress: Equatable {
        case awaitingHead
        case streaming
    }

    struct RetryPolicy: Equatable {
        var maxTries: Int
        /// Idempotent method or `Idempotency-Key` present: may be re-sent after it was sent.
        var resendable: Bool
        var retryOnTimeout: Bool

        static let none = RetryPolicy(maxTries: 1, resendable: false, retryOnTimeout: false)
    }

    struct Exchange {
        var head: UpstreamRequestHead
        var policy: RetryPolicy
        /// Parts received but not yet written to the current connection.
        var buffered: [UpstreamRequestPart] = []
        var bufferedBytes = 0
        /// Every body part of the request so far, while they fit in ``replayLimit``.
        var replay: [UpstreamRequestPart] = []
        var replayBytes = 0
        var replayable = true
        var requestEnded = false
        /// The client's trailers (an HTTP/2 client's), sent again with a resend.
        var trailers: HTTPHeaders?
        var bodySent = false
        var response = ResponseProgress.awaitingHead
        var upstreamKeepAlive = true
        var reusedConnection = false
        /// The one retry on another connection to the same target was spent (``Action/retryOnNewConnection``).
        var retriedStale = false
        var tries = 1
    }

    /// Where the request is. The request itself (``Exchange``) is kept beside the state, not
    /// inside it, while connecting or exchanging: an enum payload is copied out and written back
    /// on every change, which copies the head and both part lists (retaining each field) several
    /// times per request; a stored field is read and changed in place.
    enum State: Equatable {
        case idle
        case connecting
        case exchanging
        /// The response is done (or was an error) but the request body still arrives: drop it.
        case draining
        /// The route answers itself (fixed response, redirect, no route): read the request to
        /// its end, then answer, so keep-alive survives.
        case answeringLocally
        /// An asynchronous policy check (an auth service, a password hash, a shared rate limit)
        /// decides whether the request goes on; its body is held meanwhile.
        case admitting
        /// The target switched protocols: bytes both ways until either side closes.
        case tunnel
        case closed
    }

    enum Action {
        case none
        /// Pick a target and lease a connection to it.
        case lease
        /// Write the head (if any) and these parts to the target and flush.
        case sendUpstream(head: UpstreamRequestHead?, parts: [UpstreamRequestPart], startResponseTimer: Bool)
        /// Write one part to the target without flushing (flushed at the end of the client read).
        case sendUpstreamLater(UpstreamRequestPart)
        case forwardResponseHead(UpstreamResponseHead)
        /// Forward the `101` head and carry bytes both ways from now on.
        case startTunnel(UpstreamResponseHead)
        /// Write the response end; give the connection back to the pool or close it.
        case finishResponse(reuseUpstream: Bool)
        /// Answer the client ourselves, closing the upstream connection if one is leased.
        case respondWithError(UpstreamError)
        /// A reused keep-alive connection was closed by the target before it answered, or an h2c
        /// target's GOAWAY cut a stream it did not process: send the request again on another
        /// connection to the same target. Not counted as a try.
        case retryOnNewConnection
        /// Drop the current connection (if any) and send the request to another target, if the
        /// budget allows and another target exists: the caller answers ``retry(allowed:cause:)``.
        case tryAnotherTarget(UpstreamError)
        /// Write the route's own response (fixed response, redirect, 404).
        case respondLocally
        /// The response was cut half-way: close the client connection, it cannot be repaired.
        case closeClient(UpstreamError)
        /// Close the upstream connection (if any) and forget the exchange.
        case abandonUpstream
    }

    private(set) var state: State = .idle
    /// The request in flight: set while ``state`` is `connecting` or `exchanging`.
    private var exchange: Exchange?
    /// While admitting: the body parts that came (and whether the end did), for the exchange.
    private var held: (parts: [UpstreamRequestPart], bytes: Int, ended: Bool) = ([], 0, false)

    /// Buffered request bytes while connecting above which the client is no longer read.
    static let connectBufferLimit = 256 * 1024
    /// Body bytes kept for a possible resend.
    static let replayLimit = 64 * 1024
    /// A request's end alone (one array for all, not one per request).
    private static let endOnly: [UpstreamRequestPart] = [.end(nil)]

    var isWaitingForUpstream: Bool { self.state == .connecting }

    var connectBufferFull: Bool {
        switch self.state {
        case .connecting: (self.exchange?.bufferedBytes ?? 0) >= Self.connectBufferLimit
        case .admitting: self.held.bytes >= Self.connectBufferLimit
        default: false
        }
    }

    var isAdmitting: Bool { self.state == .admitting }

    var tries: Int { self.exchange?.tries ?? 0 }

    /// Part of the response has been forwarded: a failure now cannot be answered cleanly.
    var isStreamingResponse: Bool { self.state == .exchanging && self.exchange?.response == .streaming }

    var isTunnel: Bool { self.state == .tunnel }

    /// Between requests: the last one finished, nothing is leased or waited for.
    var isIdle: Bool { self.state == .idle }

    /// Leaves connecting/exchanging for `state`, forgetting the request.
    private mutating func end(in state: State) {
        self.state = state
        self.exchange = nil
    }

    // MARK: Client side

    mutating func requestHead(_ upstreamHead: UpstreamRequestHead, policy: RetryPolicy = .none) -> Action {
        guard case .idle = self.state else { return .none }
        self.state = .connecting
        self.exchange = Exchange(head: upstreamHead, policy: policy)
        return .lease
    }

    /// The request waits for an asynchronous policy check (``admitted(_:policy:)`` or
    /// ``admissionRefused()`` next).
    mutating func requestHeadAwaitingAdmission() -> Action {
        guard case .idle = self.state else { return .none }
        self.state = .admitting
        self.held = ([], 0, false)
        return .none
    }

    /// The check let the request through: it goes on as ``requestHead(_:policy:)`` would, with
    /// the body that came meanwhile.
    mutating func admitted(_ upstreamHead: UpstreamRequestHead, policy: RetryPolicy = .none) -> Action {
        guard case .admitting = self.state else { return .none }
        self.state = .connecting
        var exchange = Exchange(head: upstreamHead, policy: policy)
        for part in self.held.parts {
            if case .body(let body) = part {
                Self.keepForReplay(part, byteCount: body.readableBytes, in: &exchange)
            }
        }
        exchange.buffered = self.held.parts
        exchange.bufferedBytes = self.held.bytes
        exchange.requestEnded = self.held.ended
        if case .end(let trailers)? = self.held.parts.last { exchange.trailers = trailers }
        self.exchange = exchange
        self.held = ([], 0, false)
        return .lease
    }

    /// The check turned the request away: answered locally once the request has ended.
    mutating func admissionRefused() -> Action {
        guard case .admitting = self.state else { return .none }
        let ended = self.held.ended
        self.held = ([], 0, false)
        if ended {
            self.state = .idle
            return .respondLocally
        }
        self.state = .answeringLocally
        return .none
    }

    /// The checks let through a request its route answers itself (a static route's): answered
    /// once the request has ended, like a refusal.
    mutating func admittedToAnswerLocally() -> Action {
        self.admissionRefused()
    }

    /// The request's route answers it without a target.
    mutating func requestHeadAnsweredLocally() -> Action {
        guard case .idle = self.state else { return .none }
        self.state = .answeringLocally
        return .none
    }

    mutating func requestBody(_ part: UpstreamRequestPart, byteCount: Int) -> Action {
        switch self.state {
        case .connecting:
            self.exchange!.buffered.append(part)
            self.exchange!.bufferedBytes += byteCount
            Self.keepForReplay(part, byteCount: byteCount, in: &self.exchange!)
            return .none
        case .exchanging:
            self.exchange!.bodySent = true
            Self.keepForReplay(part, byteCount: byteCount, in: &self.exchange!)
            return .sendUpstreamLater(part)
        case .admitting:
            self.held.parts.append(part)
            self.held.bytes += byteCount
            return .none
        case .idle, .draining, .closed, .answeringLocally, .tunnel:
            return .none
        }
    }

    private static func keepForReplay(_ part: UpstreamRequestPart, byteCount: Int, in exchange: inout Exchange) {
        guard exchange.replayable else { return }
        exchange.replayBytes += byteCount
        if exchange.replayBytes > Self.replayLimit {
            exchange.replayable = false
            exchange.replay = []
        } else {
            exchange.replay.append(part)
        }
    }

    /// - Parameter trailers: The client's trailer fields, if it sent any (h2c targets get them).
    mutating func requestEnd(trailers: HTTPHeaders? = nil) -> Action {
        switch self.state {
        case .connecting:
            self.exchange!.buffered.append(.end(trailers))
            self.exchange!.requestEnded = true
            self.exchange!.trailers = trailers
            return .none
        case .exchanging:
            self.exchange!.requestEnded = true
            self.exchange!.trailers = trailers
            let response = self.exchange!.response
            return .sendUpstream(head: nil, parts: trailers == nil ? Self.endOnly : [.end(trailers)], startResponseTimer: response == .awaitingHead)
        case .draining:
            self.state = .idle
            return .none
        case .answeringLocally:
            self.state = .idle
            return .respondLocally
        case .admitting:
            self.held.parts.append(.end(trailers))
            self.held.ended = true
            return .none
        case .idle, .closed, .tunnel:
            return .none
        }
    }

    /// The client connection closed.
    mutating func clientGone() -> Action {
        self.held = ([], 0, false)
        switch self.state {
        case .connecting, .exchanging:
            self.end(in: .closed)
            return .abandonUpstream
        default:
            self.end(in: .closed)
            return .none
        }
    }

    /// The guard refused the request part-way.
    mutating func requestAborted() -> Action {
        switch self.state {
        case .connecting, .exchanging:
            self.end(in: .draining)
            return .abandonUpstream
        case .admitting:
            self.held = ([], 0, false)
            self.state = .draining
            return .none
        default:
            return .none
        }
    }

    // MARK: Upstream side

    mutating func leased(reused: Bool) -> Action {
        guard case .connecting = self.state else { return .abandonUpstream }
        self.state = .exchanging
        // Handed over, not copied (usually empty, or only the end).
        let parts = self.exchange!.buffered
        self.exchange!.buffered = []
        self.exchange!.bodySent = parts.contains { if case .body = $0 { true } else { false } }
        self.exchange!.bufferedBytes = 0
        self.exchange!.reusedConnection = reused
        return .sendUpstream(head: self.exchange!.head, parts: parts, startResponseTimer: self.exchange!.requestEnded)
    }

    /// No connection could be made to the chosen target: nothing reached it.
    mutating func leaseFailed(_ error: UpstreamError) -> Action {
        guard case .connecting = self.state else { return .none }
        if self.exchange!.tries < self.exchange!.policy.maxTries {
            return .tryAnotherTarget(error)
        }
        return self.giveUp(error)
    }

    /// The answer to ``Action/tryAnotherTarget(_:)``: whether the retry budget granted a retry
    /// and another target exists. Yes: lease again (one more try); no: answer with `cause`.
    mutating func retry(allowed: Bool, cause: UpstreamError) -> Action {
        guard case .connecting = self.state else { return .none }
        guard allowed else { return self.giveUp(cause) }
        self.exchange!.tries += 1
        return .lease
    }

    /// No retry after all (no budget, no other target): answer with `error`.
    mutating func retryDenied(_ error: UpstreamError) -> Action {
        guard case .connecting = self.state else { return .none }
        return self.giveUp(error)
    }

    private mutating func giveUp(_ error: UpstreamError) -> Action {
        self.end(in: self.exchange?.requestEnded == true ? .idle : .draining)
        return .respondWithError(error)
    }

    mutating func responseHead(_ head: UpstreamResponseHead) -> Action {
        guard case .exchanging = self.state, self.exchange!.response == .awaitingHead else {
            return .none
        }
        if head.status.code == 101 && self.exchange!.head.upgrade {
            self.end(in: .tunnel)
            return .startTunnel(head)
        }
        if head.status.code < 200 {
            return .none  // informational responses are answered by us, not relayed
        }
        self.exchange!.response = .streaming
        self.exchange!.upstreamKeepAlive = head.keepAlive
        self.exchange!.replay = []
        return .forwardResponseHead(head)
    }

    /// The tunnel ended (either side closed it).
    mutating func tunnelEnded() -> Action {
        guard self.state == .tunnel else { return .none }
        self.state = .closed
        return .none
    }

    mutating func responseEnd() -> Action {
        guard self.isStreamingResponse else { return .none }
        let requestEnded = self.exchange!.requestEnded
        let reuse = requestEnded && self.exchange!.upstreamKeepAlive
        self.end(in: requestEnded ? .idle : .draining)
        return .finishResponse(reuseUpstream: reuse)
    }

    /// The upstream connection closed or failed.
    mutating func upstreamClosed(_ why: UpstreamError) -> Action {
        guard case .exchanging = self.state, let exchange = self.exchange else { return .none }
        switch exchange.response {
        case .awaitingHead:
            if exchange.reusedConnection && !exchange.retriedStale && exchange.replayable
                && (exchange.head.method.isIdempotent || exchange.policy.resendable)
            {
                self.exchange!.retriedStale = true
                self.prepareResend()
                return .retryOnNewConnection
            }
            if exchange.policy.resendable && exchange.replayable && exchange.tries < exchange.policy.maxTries {
                self.prepareResend()
                return .tryAnotherTarget(why)
            }
            return self.giveUp(why)
        case .streaming:
            self.end(in: .closed)
            return .closeClient(why)
        }
    }

    /// An h2c target did not process the stream (RFC 9113 §8.7): as with a failed connect
    /// nothing reached it, so the request may go again whatever its method, while its body is
    /// still held. `connectionGoingAway` (the stream was above the last stream id of the
    /// target's GOAWAY): only that connection ends, so the first such refusal is sent again on
    /// another connection to the same target, like a stale HTTP/1.1 connection (one retry, not
    /// counted against `max_tries`). REFUSED_STREAM, or a second GOAWAY: another target, within
    /// `max_tries` and the group's retry budget.
    mutating func upstreamRefused(_ why: UpstreamError, connectionGoingAway: Bool) -> Action {
        guard case .exchanging = self.state, let exchange = self.exchange, exchange.response == .awaitingHead else {
            return self.upstreamClosed(why)
        }
        guard exchange.replayable else { return self.giveUp(why) }
        if connectionGoingAway && !exchange.retriedStale {
            self.exchange!.retriedStale = true
            self.prepareResend()
            return .retryOnNewConnection
        }
        if exchange.tries < exchange.policy.maxTries {
            self.prepareResend()
            return .tryAnotherTarget(why)
        }
        return self.giveUp(why)
    }

    mutating func responseTimedOut(_ error: UpstreamError) -> Action {
        guard case .exchanging = self.state, let exchange = self.exchange, exchange.response == .awaitingHead else { return .none }
        if exchange.policy.retryOnTimeout && exchange.policy.resendable && exchange.replayable
            && exchange.tries < exchange.policy.maxTries
        {
            self.prepareResend()
            return .tryAnotherTarget(error)
        }
        return self.giveUp(error)
    }

    /// Back to connecting, with everything received so far queued for the next connection.
    private mutating func prepareResend() {
        self.state = .connecting
        self.exchange!.reusedConnection = false
        self.exchange!.buffered = self.exchange!.replay + (self.exchange!.requestEnded ? [.end(self.exchange!.trailers)] : [])
        self.exchange!.bufferedBytes = self.exchange!.replayBytes
        self.exchange!.bodySent = false
    }
}

extension HTTPMethod {
    /// RFC 9110 §9.2.2 idempotent methods: safe to send again when no response was seen.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: true
        default: false
        }
    }
}
