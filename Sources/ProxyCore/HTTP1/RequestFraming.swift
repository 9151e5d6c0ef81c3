import NIOCore
import NIOHTTP1

/// How a request head from our parser frames its body (RFC 9112 §6.3), and what the parser
/// noted about it, for the guard and the session (``RequestFacts``).
///
/// `Transfer-Encoding` must end in `chunked` (and come without `Content-Length`, in HTTP/1.1),
/// else `Content-Length`, else no body. Anything ambiguous is an error before the head moves
/// on, so no part of such a request reaches the session.
enum RequestFraming {
    static func framing(of head: HTTP1Head) throws -> HTTP1Parser.Framing {
        switch head.transferCoding {
        case .absent:
            return head.contentLength.map { .length($0) } ?? .none
        case .chunked:
            guard head.contentLength == nil else {
                throw HTTP1ParseError.malformed("both Content-Length and Transfer-Encoding")
            }
            guard head.version == .http1_1 else {
                throw HTTP1ParseError.malformed("Transfer-Encoding in an HTTP/1.0 request")
            }
            return .chunked
        case .other, .invalid:
            throw HTTP1ParseError.malformed("Transfer-Encoding does not end in chunked")
        }
    }

    static func facts(of head: HTTP1Head, framing: HTTP1Parser.Framing) -> RequestFacts {
        let bodyFraming: RequestBodyFraming
        switch framing {
        case .length(let length) where length > 0: bodyFraming = .contentLength(length)
        case .chunked: bodyFraming = .chunked
        case .none, .length, .untilClose: bodyFraming = .none
        }
        return RequestFacts(
            framing: bodyFraming,
            hostCount: head.hostCount,
            expectsContinue: head.expectsContinue,
            unsupportedExpect: head.unsupportedExpect,
            keepAlive: head.isKeepAlive,
            fieldHints: head.fieldHints,
            rawFields: head.rawFields
        )
    }

    /// The `Upgrade` value of an HTTP/1.1 request whose `Connection` names `upgrade`; `nil`
    /// otherwise. The fields are looked at only when the parser saw the token.
    static func upgrade(of head: HTTP1Head) -> String? {
        guard head.connectionTokens.sawUpgrade, head.version == .http1_1 else { return nil }
        for (name, value) in head.fields where name.utf8.count == 7 && HeaderName.equals(name, "upgrade") {
            return value
        }
        return nil
    }
}
