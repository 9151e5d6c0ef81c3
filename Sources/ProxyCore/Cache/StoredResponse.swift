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

    /// The bytes it is counted as in the memory bound: body and field text.
    public var size: Int {
        var size = self.body.readableBytes + self.key.utf8.count + 128
        for (name, value) in self.fields {
            size += name.utf8.count + value.utf8.count + 4
        }
        return size
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
