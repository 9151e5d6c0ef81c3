import NIOHTTP1

/// Decides what happens to one client request on its way to a target and back. Pure: no
/// channels and no clock; ``ProxyHandler`` owns the connections and timers and carries out the
/// returned actions.
///
/// ```
/// idle ──head──▶ connecting ──leased──▶ exchanging ──response end──▶ idle
///                    │                      │
///                    └─lease failed─▶ error response (502/503/504) ─▶ idle / draining
/// ```
struct ForwardingStateMachine {
    enum ResponseProgress: Equatable {
        case awaitingHead
        case streaming
        case complete
    }

    struct Exchange {
        var head: HTTPRequestHead
        var buffered: [HTTPClientRequestPart] = []
        var bufferedBytes = 0
        var requestEnded = false
        var bodySent = false
        var response = ResponseProgress.awaitingHead
        var upstreamKeepAlive = true
        var reusedConnection = false
        var retried = false
    }

    enum State {
        case idle
        case connecting(Exchange)
        case exchanging(Exchange)
        /// The response is done (or was an error) but the request body still arrives: drop it.
        case draining
        case closed
    }

    enum Action {
        case none
        /// Pick a target and lease a connection to it.
        case lease
        /// Write these parts to the target and flush.
        case sendUpstream([HTTPClientRequestPart], startResponseTimer: Bool)
        /// Write one part to the target without flushing (flushed at the end of the client read).
        case sendUpstreamLater(HTTPClientRequestPart)
        case forwardResponseHead(HTTPResponseHead)
        case forwardResponseBody
        /// Write the response end; give the connection back to the pool or close it.
        case finishResponse(reuseUpstream: Bool)
        /// Answer the client ourselves, closing the upstream connection if one is leased.
        case respondWithError(UpstreamError)
        /// Lease a fresh connection and send the request again: a reused keep-alive connection
        /// was closed by the target before it read anything.
        case retryOnNewConnection
        /// The response was cut half-way: close the client connection, it cannot be repaired.
        case closeClient(UpstreamError)
        /// Close the upstream connection (if any) and forget the exchange.
        case abandonUpstream
    }

    private(set) var state: State = .idle

    /// Buffered request bytes while connecting above which the client is no longer read.
    static let connectBufferLimit = 256 * 1024

    var isWaitingForUpstream: Bool {
        if case .connecting = self.state { return true }
        return false
    }

    var connectBufferFull: Bool {
        if case .connecting(let exchange) = self.state { return exchange.bufferedBytes >= Self.connectBufferLimit }
        return false
    }

    var pendingRequestHead: HTTPRequestHead? {
        switch self.state {
        case .connecting(let exchange), .exchanging(let exchange): return exchange.head
        default: return nil
        }
    }

    // MARK: Client side

    mutating func requestHead(_ upstreamHead: HTTPRequestHead) -> Action {
        guard case .idle = self.state else { return .none }
        self.state = .connecting(Exchange(head: upstreamHead))
        return .lease
    }

    mutating func requestBody(_ buffer: HTTPClientRequestPart, byteCount: Int) -> Action {
        switch self.state {
        case .connecting(var exchange):
            exchange.buffered.append(buffer)
            exchange.bufferedBytes += byteCount
            self.state = .connecting(exchange)
            return .none
        case .exchanging(var exchange):
            guard exchange.response != .complete else { return .none }
            exchange.bodySent = true
            self.state = .exchanging(exchange)
            return .sendUpstreamLater(buffer)
        case .idle, .draining, .closed:
            return .none
        }
    }

    mutating func requestEnd() -> Action {
        switch self.state {
        case .connecting(var exchange):
            exchange.buffered.append(.end(nil))
            exchange.requestEnded = true
            self.state = .connecting(exchange)
            return .none
        case .exchanging(var exchange):
            exchange.requestEnded = true
            if exchange.response == .complete {
                self.state = .idle
                return .none
            }
            self.state = .exchanging(exchange)
            return .sendUpstream([.end(nil)], startResponseTimer: exchange.response == .awaitingHead)
        case .draining:
            self.state = .idle
            return .none
        case .idle, .closed:
            return .none
        }
    }

    /// The guard refused the request part-way, or the client connection closed.
    mutating func clientGone() -> Action {
        switch self.state {
        case .connecting, .exchanging:
            self.state = .closed
            return .abandonUpstream
        default:
            self.state = .closed
            return .none
        }
    }

    mutating func requestAborted() -> Action {
        switch self.state {
        case .connecting, .exchanging:
            self.state = .draining
            return .abandonUpstream
        default:
            return .none
        }
    }

    // MARK: Upstream side

    mutating func leased(reused: Bool) -> Action {
        guard case .connecting(var exchange) = self.state else { return .abandonUpstream }
        let parts = [HTTPClientRequestPart.head(exchange.head)] + exchange.buffered
        exchange.bodySent = exchange.buffered.contains { if case .body = $0 { true } else { false } }
        exchange.buffered = []
        exchange.bufferedBytes = 0
        exchange.reusedConnection = reused
        self.state = .exchanging(exchange)
        return .sendUpstream(parts, startResponseTimer: exchange.requestEnded)
    }

    mutating func leaseFailed(_ error: UpstreamError) -> Action {
        guard case .connecting(let exchange) = self.state else { return .none }
        self.state = exchange.requestEnded ? .idle : .draining
        return .respondWithError(error)
    }

    mutating func responseHead(_ head: HTTPResponseHead) -> Action {
        guard case .exchanging(var exchange) = self.state, exchange.response == .awaitingHead else {
            return .none
        }
        if head.status.code < 200 {
            return .none  // informational responses are answered by us, not relayed
        }
        exchange.response = .streaming
        exchange.upstreamKeepAlive = head.isKeepAlive
        self.state = .exchanging(exchange)
        return .forwardResponseHead(head)
    }

    mutating func responseBody() -> Action {
        guard case .exchanging(let exchange) = self.state, exchange.response == .streaming else { return .none }
        return .forwardResponseBody
    }

    mutating func responseEnd() -> Action {
        guard case .exchanging(var exchange) = self.state, exchange.response == .streaming else { return .none }
        exchange.response = .complete
        let reuse = exchange.requestEnded && exchange.upstreamKeepAlive
        self.state = exchange.requestEnded ? .idle : .draining
        return .finishResponse(reuseUpstream: reuse)
    }

    /// The upstream connection closed or failed.
    mutating func upstreamClosed(_ why: UpstreamError) -> Action {
        guard case .exchanging(var exchange) = self.state else { return .none }
        switch exchange.response {
        case .awaitingHead:
            let replayable = exchange.head.method.isIdempotent && !exchange.bodySent && exchange.requestEnded
            if exchange.reusedConnection && !exchange.retried && replayable {
                exchange.retried = true
                exchange.reusedConnection = false
                exchange.buffered = [.end(nil)]
                self.state = .connecting(exchange)
                return .retryOnNewConnection
            }
            self.state = exchange.requestEnded ? .idle : .draining
            return .respondWithError(why)
        case .streaming:
            self.state = .closed
            return .closeClient(why)
        case .complete:
            return .none
        }
    }

    mutating func responseTimedOut(_ error: UpstreamError) -> Action {
        guard case .exchanging(let exchange) = self.state, exchange.response == .awaitingHead else { return .none }
        self.state = exchange.requestEnded ? .idle : .draining
        return .respondWithError(error)
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
