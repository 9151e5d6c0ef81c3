public import NIOCore
public import NIOHTTP1

/// Why the edge policy turned a request away, and what the client is told: the status, a
/// reason (the `reason` label of `portcullis_requests_refused_total` and the access log's
/// error), and the fields the answer carries (`Retry-After`, `WWW-Authenticate`, `Allow`, …).
public struct PolicyRefusal: Sendable, Equatable {
    public var status: HTTPResponseStatus
    /// A short label: `access_denied`, `rate_limited`, `path_traversal`, …
    public var reason: String
    /// For the log line: which rule, with what.
    public var detail: String
    public var fields: [Field]
    /// The body to answer with (an auth service's own answer); `nil`: the status line's words.
    public var body: ByteBuffer?
    /// For `rate_limited`: the key kind of the limit that refused (`client_ip`, `header`, `jwt_claim`).
    public var rateLimitKey: String?

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(status: HTTPResponseStatus, reason: String, detail: String, fields: [Field] = [], rateLimitKey: String? = nil, body: ByteBuffer? = nil) {
        self.body = body
        self.status = status
        self.reason = reason
        self.detail = detail
        self.fields = fields
        self.rateLimitKey = rateLimitKey
    }
}
