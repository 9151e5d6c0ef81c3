public import NIOCore
public import NIOHTTP1

/// A response as the cache keeps it: the target's status, fields (less those a cache does not
/// store, RFC 9111 §3.1) and whole body, with what its freshness and `Age` are worked out from
/// (§4.2). Times are milliseconds since the epoch: a TTL of one second is not rounded away.
public struct StoredResponse: Sendable {
    public var key: String
    public var status: HTTPResponseStatus
    /// Without `Age`, `Content-Length`, hop-by-hop and `Connection`-listed fields.
    public var fields: HTTPHeaders
    public var body: ByteBuffer
    /// The request fields the target named in `Vary` (lower case), and the request's values of
    /// them then (`nil`: absent), in the same order.
    public var varyNames: [String]
    public var varyValues: [String?]
    /// When the request that brought it left and when its response came (§4.2.3).
    public var requestTime: Int64
    public var responseTime: Int64
    /// The response's `Date` (ms; `responseTime` when it had none) and `Age` (s).
    public var dateValue: Int64
    public var ageValue: Int64
    /// Milliseconds (§4.2.1).
    public var freshnessLifetime: Int64
    /// The windows in which it may be served stale (RFC 5861), milliseconds.
    public var staleWhileRevalidate: Int64
    public var staleIfError: Int64
    /// `no-cache` or `must-revalidate`/`proxy-revalidate`/`s-maxage`'s rule: never served stale
    /// without a successful revalidation (except `stale-if-error`, which `must-revalidate` forbids).
    public var noCache: Bool
    public var mustRevalidate: Bool
    /// `Cache-Tag` and `Surrogate-Key` values, for the admin API's tag purge.
    public var tags: [String]
    /// ``fields`` and the body's `Content-Length` as field lines, encoded once when the cache
    /// keeps the response (``forStorage()``): a hit copies them instead of rebuilding its head.
    var prepared: PreparedFields?

    /// The bytes it is counted as in the memory bound: what the body's buffer holds (NIO
    /// allocates every buffer in a power of two: up to twice its bytes, which the bound once
    /// missed), the prepared lines' buffer, the field text and the key.
    public var size: Int {
        var size = self.body.storageCapacity + (self.prepared?.size ?? 0) + self.key.utf8.count + 128
        for (name, value) in self.fields {
            size += name.utf8.count + value.utf8.count + 4
        }
        return size
    }

    /// As the cache keeps it: the body in the smallest buffer NIO makes for its size (not a
    /// slice of a larger one, such as a disk record's, nor a buffer grown past it), and its
    /// head's field lines prepared (``prepared``).
    public func forStorage() -> StoredResponse {
        var kept = self
        let count = self.body.readableBytes
        let fitted = count <= 1 ? count : 1 << (Int.bitWidth - (count - 1).leadingZeroBitCount)
        if self.body.storageCapacity > fitted {
            var body = ByteBufferAllocator().buffer(capacity: self.body.readableBytes)
            body.writeImmutableBuffer(self.body)
            kept.body = body
        }
        var lines: [(String, String)] = self.fields.map { ($0.name, $0.value) }
        if self.status != .noContent, self.status != .notModified {
            lines.append(("Content-Length", String(self.body.readableBytes)))
        }
        kept.prepared = PreparedFields(lines)
        return kept
    }

    public var etag: String? { self.fields.first(name: "etag") }
    public var lastModified: String? { self.fields.first(name: "last-modified") }

    public init(
        key: String,
        status: HTTPResponseStatus,
        fields: HTTPHeaders,
        body: ByteBuffer,
        varyNames: [String] = [],
        varyValues: [String?] = [],
        requestTime: Int64,
        responseTime: Int64,
        dateValue: Int64,
        ageValue: Int64 = 0,
        freshnessLifetime: Int64,
        staleWhileRevalidate: Int64 = 0,
        staleIfError: Int64 = 0,
        noCache: Bool = false,
        mustRevalidate: Bool = false,
        tags: [String] = []
    ) {
        self.key = key
        self.status = status
        self.fields = fields
        self.body = body
        self.varyNames = varyNames
        self.varyValues = varyValues
        self.requestTime = requestTime
        self.responseTime = responseTime
        self.dateValue = dateValue
        self.ageValue = ageValue
        self.freshnessLifetime = freshnessLifetime
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.noCache = noCache
        self.mustRevalidate = mustRevalidate
        self.tags = tags
    }

    /// The current age in milliseconds at `now` (§4.2.3).
    public func currentAge(now: Int64) -> Int64 {
        let apparentAge = max(0, self.responseTime - self.dateValue)
        let responseDelay = self.responseTime - self.requestTime
        let correctedAgeValue = self.ageValue * 1000 + responseDelay
        let correctedInitialAge = max(apparentAge, correctedAgeValue)
        let residentTime = now - self.responseTime
        return correctedInitialAge + residentTime
    }

    /// Whether a request with these fields selects this response (§4.1): each field named in
    /// `Vary` has the same value (lines joined, spaces around commas dropped) or is absent in both.
    public func matchesVary(_ requestFields: HTTPHeaders) -> Bool {
        for (index, name) in self.varyNames.enumerated() where Self.varyValue(name, requestFields) != self.varyValues[index] {
            return false
        }
        return true
    }

    /// A request field's value as `Vary` compares it (normalised).
    public static func varyValue(_ name: String, _ fields: HTTPHeaders) -> String? {
        let lines = fields[canonicalForm: name]
        guard !lines.isEmpty else { return nil }
        return lines.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces() } }.joined(separator: ",")
    }
}
