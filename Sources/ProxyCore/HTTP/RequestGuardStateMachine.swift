import NIOHTTP1

/// Decides, for one client connection, which request parts may pass to the proxy, when the
/// connection must close, and what is refused with which status. Pure: no channel, no I/O;
/// ``HTTP1ServerConnection`` carries out its actions.
///
/// One request is in flight at a time. The connection stops parsing at a request's end until its
/// response is complete, so a pipelined request's parts come only after it (`buffer` is the
/// answer to a part out of turn, which the connection treats as a broken connection).
struct RequestGuardStateMachine {
    struct InFlight {
        var keepAlive: Bool
        var version: HTTPVersion
        var bodyBytes = 0
        var requestEnded = false
        var responseStarted = false
        /// Set when we decided, at the response head, to close after this response.
        var closeAfterResponse = false
    }

    enum State {
        case awaitingHead
        case inFlight(InFlight)
        /// An error response is being written; everything inbound is dropped until the close.
        case rejecting
        /// The response was `101 Switching Protocols`: no more HTTP on this connection.
        case tunnel
        case closed
    }

    enum InboundAction: Equatable {
        /// Pass the part on to the proxy.
        case forward
        /// Pass the head on, after answering `100 Continue` to the client.
        case forwardHeadSendingContinue
        /// Hold the part back: it belongs to a pipelined request.
        case buffer
        /// Drop it: the connection is being refused or closed.
        case drop
        /// Refuse the request: answer `rejection.status` and close. `abortProxy` is true when
        /// the head was already passed on and the proxy must abandon it.
        case reject(RequestRejection, abortProxy: Bool)
        /// The response has already started: just close.
        case close
    }

    enum ResponseHeadAction: Equatable {
        /// Write it as is; `connectionHeader` is set when the guard decides the connection's fate.
        case write(connectionHeader: String?)
    }

    enum ResponseEndAction: Equatable {
        /// Request cycle done; replay anything buffered and read on.
        case nextRequest
        case closeAfterWrite
    }

    private(set) var state: State = .awaitingHead
    private(set) var quiescing = false
    let maxBodyBytes: Int?

    init(maxBodyBytes: Int?) {
        self.maxBodyBytes = maxBodyBytes
    }

    var isHoldingReads: Bool {
        if case .inFlight(let request) = self.state { return request.requestEnded }
        return false
    }

    var isAwaitingHead: Bool {
        if case .awaitingHead = self.state { return true }
        return false
    }

    /// - Parameter facts: What the parser noted about the head's fields. Taken as it is (not
    ///   as an optional: wrapping it copied it, and its references, twice per request).
    mutating func requestHead(_ head: HTTPRequestHead, facts: RequestFacts) -> InboundAction {
        guard case .awaitingHead = self.state else { return self.headOutOfTurn() }
        do throws(RequestRejection) {
            let framing = try RequestValidator.validate(head, facts: facts, maxBodyBytes: self.maxBodyBytes)
            self.state = .inFlight(InFlight(keepAlive: facts.keepAlive, version: head.version))
            if head.version == .http1_1 && framing != .none && facts.expectsContinue {
                return .forwardHeadSendingContinue
            }
            return .forward
        } catch {
            self.state = .rejecting
            return .reject(error, abortProxy: false)
        }
    }

    /// A head that did not come from our parser: its facts found from its fields first
    /// (``RequestValidator/facts(of:)``).
    mutating func requestHead(_ head: HTTPRequestHead) -> InboundAction {
        guard case .awaitingHead = self.state else { return self.headOutOfTurn() }
        do throws(RequestRejection) {
            return self.requestHead(head, facts: try RequestValidator.facts(of: head))
        } catch {
            self.state = .rejecting
            return .reject(error, abortProxy: false)
        }
    }

    /// A head while not awaiting one.
    private mutating func headOutOfTurn() -> InboundAction {
        switch self.state {
        case .inFlight(let request) where request.requestEnded:
            return .buffer
        case .inFlight:
            // A second head before the first request ended cannot come out of a sane decoder.
            return self.fail(RequestRejection(.badRequest, "request head inside a request"))
        case .rejecting, .closed, .tunnel, .awaitingHead:
            return .drop
        }
    }

    mutating func requestBody(byteCount: Int) -> InboundAction {
        switch self.state {
        case .inFlight(var request) where !request.requestEnded:
            request.bodyBytes += byteCount
            if let limit = self.maxBodyBytes, request.bodyBytes > limit {
                return self.fail(RequestRejection(.payloadTooLarge, "body exceeds \(limit) bytes"))
            }
            self.state = .inFlight(request)
            return .forward
        case .inFlight:
            return .buffer
        case .awaitingHead:
            return self.fail(RequestRejection(.badRequest, "body without a request head"))
        case .rejecting, .closed, .tunnel:
            return .drop
        }
    }

    mutating func requestEnd() -> InboundAction {
        switch self.state {
        case .inFlight(var request) where !request.requestEnded:
            request.requestEnded = true
            self.state = .inFlight(request)
            return .forward
        case .inFlight:
            return .buffer
        case .awaitingHead:
            return self.fail(RequestRejection(.badRequest, "request end without a head"))
        case .rejecting, .closed, .tunnel:
            return .drop
        }
    }

    /// The HTTP decoder failed: malformed framing, bad syntax, or a head over the size limit.
    mutating func parserError(_ rejection: RequestRejection) -> InboundAction {
        switch self.state {
        case .rejecting, .closed, .tunnel:
            return .drop
        case .inFlight(let request) where request.requestEnded:
            // The broken bytes belong to a pipelined request: nothing of it was forwarded.
            // Answer the current request first? We cannot keep the connection: close after it.
            var closing = request
            closing.keepAlive = false
            self.state = .inFlight(closing)
            return .drop
        default:
            return self.fail(rejection)
        }
    }

    /// - Parameter hasContentLength: Whether the response has a `Content-Length`, when known
    ///   without looking at `head`'s fields (those written as received are not in it).
    mutating func responseHead(_ head: HTTPResponseHead, hasContentLength: Bool? = nil) -> ResponseHeadAction {
        self.responseHead(status: head.status, hasContentLength: hasContentLength ?? head.headers.contains(name: "content-length"))
    }

    /// - Parameter hasContentLength: Whether a `Content-Length` frames the response (asked only
    ///   of a response to HTTP/1.0, which needs a length to keep its connection).
    mutating func responseHead(status: HTTPResponseStatus, hasContentLength: @autoclosure () -> Bool) -> ResponseHeadAction {
        guard case .inFlight(var request) = self.state else { return .write(connectionHeader: nil) }
        if status.code < 200 {
            return .write(connectionHeader: nil)  // informational: the real head follows
        }
        request.responseStarted = true
        // An HTTP/1.0 client needs a length (or no body) to keep the connection; only then are
        // the headers scanned for one.
        let close =
            !request.keepAlive || self.quiescing || !request.requestEnded
            || (request.version == .http1_0 && status.mayHaveResponseBody && !hasContentLength())
        request.closeAfterResponse = close
        self.state = .inFlight(request)
        if close {
            return .write(connectionHeader: "close")
        }
        return .write(connectionHeader: request.version == .http1_0 ? "keep-alive" : nil)
    }

    mutating func responseEnd() -> ResponseEndAction {
        guard case .inFlight(let request) = self.state else {
            self.state = .closed
            return .closeAfterWrite
        }
        if request.closeAfterResponse || !request.requestEnded || !request.keepAlive || self.quiescing {
            self.state = .closed
            return .closeAfterWrite
        }
        self.state = .awaitingHead
        return .nextRequest
    }

    /// The request's body stopped coming (the body timeout): refuse it with `rejection`, or
    /// just close when a response has started.
    mutating func bodyTimedOut(_ rejection: RequestRejection) -> InboundAction {
        guard case .inFlight(let request) = self.state, !request.requestEnded else { return .drop }
        return self.fail(rejection)
    }

    /// The response was `101 Switching Protocols` and was written: the connection is a tunnel.
    mutating func tunnelStarted() {
        self.state = .tunnel
    }

    var isTunnel: Bool {
        if case .tunnel = self.state { true } else { false }
    }

    /// Graceful shutdown: finish the request in flight, then close. A tunnel is left to the
    /// end of the grace period.
    /// - Returns: `true` when the connection is idle and may be closed right away.
    mutating func quiesce() -> Bool {
        if case .tunnel = self.state { return false }
        self.quiescing = true
        if case .awaitingHead = self.state {
            self.state = .closed
            return true
        }
        return false
    }

    mutating func closed() {
        self.state = .closed
    }

    private mutating func fail(_ rejection: RequestRejection) -> InboundAction {
        switch self.state {
        case .inFlight(let request) where request.responseStarted:
            self.state = .closed
            return .close
        case .inFlight:
            self.state = .rejecting
            return .reject(rejection, abortProxy: true)
        default:
            self.state = .rejecting
            return .reject(rejection, abortProxy: false)
        }
    }
}
