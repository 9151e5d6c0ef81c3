import NIOCore
import NIOHTTP1

/// A message head as ``HTTP1HeadParser`` read it: the start line, the fields in order, and what
/// the fields that frame, route and keep a message said, read while the fields were (so nobody
/// scans the fields for them again: see ``RequestFacts``).
struct HTTP1Head {
    /// What `Transfer-Encoding` says, over all its fields.
    enum TransferCoding: Hashable {
        case absent
        /// `chunked` is the last coding, and only once.
        case chunked
        /// Present without `chunked`.
        case other
        /// `chunked` is not the last coding, or is there twice.
        case invalid
    }

    var version: HTTPVersion
    /// Requests only.
    var method: HTTPMethod = .GET
    /// Requests only.
    var uri: String = ""
    /// Responses only.
    var status: Int = 0
    var fields: [(String, String)] = []
    /// The value every `Content-Length` agrees on; `nil` without one.
    var contentLength: Int?
    /// How many `Content-Length` values came, over all fields and list members (`5, 5` is
    /// two): a request may have one (``HTTP1HeadParser``), a response repeat it.
    var contentLengthCount = 0
    var transferCoding = TransferCoding.absent
    /// How many `Host` fields.
    var hostCount = 0
    /// An `Expect: 100-continue` came.
    var expectsContinue = false
    /// The first `Expect` value that is not `100-continue`.
    var unsupportedExpect: String?
    /// The `close` and `keep-alive` tokens of the `Connection` fields (``KeepAlive``).
    var connectionTokens = KeepAlive.Tokens()
    /// Where the field lines start in the head's bytes (after the start line).
    var fieldsStart = 0
    /// The field lines as received (without the final empty line), when the parser keeps them
    /// (``RawResponseFields``).
    var rawFields: ByteBuffer?
    /// The fields whose names may be special to a rewriter (``FieldHints``).
    var specialFields = FieldHints()

    /// What the rewriters may skip; `nil` when a `Connection` field names other fields, or
    /// when `Content-Length` came more than once (a response's: the lines are not copied as
    /// received then, the rewriter writes the length once; a request's is refused).
    var fieldHints: FieldHints? {
        guard !self.connectionTokens.namesOtherFields, self.contentLengthCount <= 1 else { return nil }
        var hints = self.specialFields
        hints.removesClose = self.connectionTokens.sawClose
        return hints
    }

    /// Whether the message lets its connection be kept open.
    var isKeepAlive: Bool { self.connectionTokens.isKeepAlive(version: self.version) }
}
