import NIOHTTP1

/// The decisions of one HTTP/2 stream between its frames and the forwarding session: which frame
/// starts, continues or ends the request, whether the DATA received agrees with the declared
/// `content-length` and the body limit, and whether a refusal can still be answered with a
/// status or must reset the stream. Pure: ``HTTP2ServerStream`` carries out its actions.
struct HTTP2StreamStateMachine {
    enum Request: Equatable {
        case awaitingHeaders
        case body(received: Int, declared: Int?)
        case complete
        case refused
    }

    enum Response: Equatable {
        case none
        case started
        case complete
    }

    enum Action: Equatable {
        /// Hand the head to the session (and the end too, when the HEADERS frame ended the stream).
        case startRequest(endStream: Bool)
        /// Hand the bytes to the session (and the end, after them).
        case forwardBody(endStream: Bool)
        /// Trailers ended the request: the session gets its end (HTTP/1.1 targets get none of
        /// the trailer fields).
        case endRequest
        /// Answer with this status and end the stream; nothing more goes to the session.
        case refuse(RequestRejection)
        /// The response has begun: the only signal left is RST_STREAM.
        case reset(RequestRejection)
        /// A frame after the request ended, or after a refusal: nothing to do.
        case ignore
    }

    private(set) var request: Request = .awaitingHeaders
    private(set) var response: Response = .none
    /// The client ended its side of the stream (END_STREAM), whatever we made of the request.
    private(set) var clientEnded = false
    private let maxBodyBytes: Int?

    init(maxBodyBytes: Int?) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// A HEADERS frame: the request's head, or its trailers.
    mutating func headersReceived(endStream: Bool, declaredLength: Int?) -> Action {
        self.clientEnded = self.clientEnded || endStream
        switch self.request {
        case .awaitingHeaders:
            self.request = endStream ? .complete : .body(received: 0, declared: declaredLength)
            return .startRequest(endStream: endStream)
        case .body(let received, let declared):
            guard endStream else { return self.refuse(RequestRejection(.badRequest, "HEADERS in the middle of a body")) }
            if let declared, declared != received {
                return self.refuse(RequestRejection(.badRequest, "body of \(received) bytes, Content-Length \(declared)"))
            }
            self.request = .complete
            return .endRequest
        case .complete, .refused:
            return .ignore
        }
    }

    /// The head was refused before the session saw it.
    mutating func headRefused(_ rejection: RequestRejection, endStream: Bool) -> Action {
        self.clientEnded = self.clientEnded || endStream
        return self.refuse(rejection)
    }

    /// A DATA frame of `count` bytes.
    mutating func dataReceived(count: Int, endStream: Bool) -> Action {
        self.clientEnded = self.clientEnded || endStream
        guard case .body(let received, let declared) = self.request else { return .ignore }
        let total = received + count
        if let declared, total > declared || (endStream && total != declared) {
            return self.refuse(RequestRejection(.badRequest, "body of \(total) bytes, Content-Length \(declared)"))
        }
        if let limit = self.maxBodyBytes, total > limit {
            return self.refuse(RequestRejection(.payloadTooLarge, "body exceeds \(limit) bytes"))
        }
        self.request = endStream ? .complete : .body(received: total, declared: declared)
        return .forwardBody(endStream: endStream)
    }

    /// The body did not move for `body_timeout`.
    mutating func bodyTimedOut() -> Action {
        guard case .body = self.request else { return .ignore }
        return self.refuse(RequestRejection(.requestTimeout, "request body timeout"))
    }

    mutating func responseStarted() {
        if self.response == .none { self.response = .started }
    }

    mutating func responseEnded() {
        self.response = .complete
    }

    /// After our response ended: the client is still sending (a refusal, an early answer), and
    /// RST_STREAM `NO_ERROR` tells it to stop (RFC 9113 §8.1).
    var resetsAfterResponse: Bool { !self.clientEnded }

    var isReadingBody: Bool {
        if case .body = self.request { return true }
        return false
    }

    private mutating func refuse(_ rejection: RequestRejection) -> Action {
        self.request = .refused
        return self.response == .none ? .refuse(rejection) : .reset(rejection)
    }
}
