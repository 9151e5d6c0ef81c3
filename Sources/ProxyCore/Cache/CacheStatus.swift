import NIOCore

/// The `Cache-Status` field's member for this cache (RFC 9211): `portcullis; hit; ttl=5`,
/// `portcullis; fwd=uri-miss; stored`, `portcullis; fwd=stale; fwd-status=304`, ... The
/// ``result`` is what the access log and the `portcullis_cache_requests_total` metric name.
public struct CacheStatus: Equatable, Sendable {
    public enum Forward: String, Sendable {
        case bypass, method, uriMiss = "uri-miss", varyMiss = "vary-miss", miss, request, stale
    }

    public var hit = false
    public var forward: Forward?
    public var forwardStatus: UInt?
    public var stored = false
    public var collapsed = false
    public var ttl: Int64?
    public var detail: String?

    public init(hit: Bool = false, forward: Forward? = nil) {
        self.hit = hit
        self.forward = forward
    }

    /// The cache's name in the field.
    public static let name = "portcullis"

    public var fieldValue: String {
        var value = ByteBuffer()
        self.write(into: &value)
        return String(buffer: value)
    }

    /// ``fieldValue``'s bytes, written where they go (a cache hit's head: no `String` made).
    func write(into buffer: inout ByteBuffer) {
        buffer.writeString(Self.name)
        if self.hit { buffer.writeStaticString("; hit") }
        if let forward {
            buffer.writeStaticString("; fwd=")
            buffer.writeString(forward.rawValue)
        }
        if let forwardStatus {
            buffer.writeStaticString("; fwd-status=")
            buffer.writeString(String(forwardStatus))
        }
        if let ttl {
            buffer.writeStaticString("; ttl=")
            buffer.writeString(String(ttl))
        }
        if self.stored { buffer.writeStaticString("; stored") }
        if self.collapsed { buffer.writeStaticString("; collapsed") }
        if let detail {
            buffer.writeStaticString("; detail=")
            buffer.writeString(detail)
        }
    }

    /// One word for logs and metrics: `hit`, `stale` (served stale), `revalidated`, `miss`,
    /// `bypass`.
    public var result: String {
        if self.hit { return self.forward == .stale ? "stale" : "hit" }
        switch self.forward {
        case .bypass, .method, .request: return "bypass"
        case .stale:
            if self.forwardStatus == 304 { return "revalidated" }
            return self.detail == "stale-if-error" ? "stale" : "miss"  // served stale on the target's failure
        default: return "miss"
        }
    }
}
