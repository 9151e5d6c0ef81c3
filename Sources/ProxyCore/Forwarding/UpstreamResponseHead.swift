public import NIOCore
public import NIOHTTP1

/// A target's response head as the upstream connection hands it to the forwarding session: the
/// status and version, what keeps and frames it as the parser noted, and its field lines as
/// received (the parser makes no field strings for responses; decision 0013).
public struct UpstreamResponseHead {
    public var status: HTTPResponseStatus
    public var version: HTTPVersion
    /// Whether the head lets the target connection be kept open.
    public var keepAlive: Bool
    /// Which fields the response rewriter may copy without looking at their names; `nil` when a
    /// `Connection` field names other fields (the head is then rebuilt from its lines).
    public var fieldHints: FieldHints?
    /// The field lines, each ending in CRLF (no start line, no final empty line).
    public var rawFields: ByteBuffer
    /// A `Content-Length` was among them.
    public var hasContentLength: Bool

    public init(
        status: HTTPResponseStatus,
        version: HTTPVersion = .http1_1,
        keepAlive: Bool = true,
        fieldHints: FieldHints? = nil,
        rawFields: ByteBuffer,
        hasContentLength: Bool = false
    ) {
        self.status = status
        self.version = version
        self.keepAlive = keepAlive
        self.fieldHints = fieldHints
        self.rawFields = rawFields
        self.hasContentLength = hasContentLength
    }

    /// The fields read back from the lines (rebuilding a head, the rare path).
    var fields: HTTPHeaders { RawFieldLines.headers(of: self.rawFields) }
}
