public import NIOHTTP1

/// A response head as the forwarding session gives it to the client's connection: status,
/// version and fields, and optionally a target's field lines to copy as received before them
/// (``RawResponseFields``, decision 0013). The connection frames it for its protocol.
public struct ClientResponseHead {
    public var status: HTTPResponseStatus
    public var version: HTTPVersion
    /// With ``targetFields``: only the fields added to them; without: all of them.
    public var fields: HTTPHeaders
    /// A target's field lines, copied first, less what the rewriter removes.
    var targetFields: RawResponseFields?
    /// The request's `X-Request-Id`, written after the fields (straight from its numbers).
    var requestID: RequestID?

    public init(status: HTTPResponseStatus, version: HTTPVersion = .http1_1, fields: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.version = version
        self.fields = fields
        self.targetFields = nil
    }

    /// Made whole where it is handed over: setting ``requestID`` afterwards copied the head.
    init(status: HTTPResponseStatus, version: HTTPVersion, fields: HTTPHeaders, targetFields: RawResponseFields?, requestID: RequestID? = nil) {
        self.status = status
        self.version = version
        self.fields = fields
        self.targetFields = targetFields
        self.requestID = requestID
    }

    /// Whether a `Content-Length` frames the response, among the target's lines or the fields.
    var hasContentLength: Bool {
        self.targetFields?.hasContentLength == true || self.fields.contains(name: "content-length")
    }
}
