public import NIOHTTP1

/// The facts of one finished request: what the access log writes and the metrics count.
public struct RequestRecord: Sendable {
    public var listener: String
    /// The route that matched, or `nil` when none did.
    public var route: String?
    public var targetGroup: String?
    /// The last target tried (`host:port`), or `nil` when the request never reached one.
    public var target: String?
    public var clientAddress: String
    public var method: HTTPMethod
    public var uri: String
    public var version: HTTPVersion
    /// The request's headers, kept as they are (a reference, not a copy): `host`, `userAgent`
    /// and `referer` are looked up only when an access-log line is written, not per request.
    public var headers: HTTPHeaders
    public var host: String? { self.headers.first(name: "host") }
    public var userAgent: String? { self.headers.first(name: "user-agent") }
    public var referer: String? { self.headers.first(name: "referer") }
    public var status: UInt
    /// Request body bytes received from the client.
    public var requestBytes: Int
    /// Response body bytes sent to the client.
    public var responseBytes: Int
    /// From the request head to the end of the response.
    public var totalNanoseconds: Int64
    /// From the first upstream lease to the end of the response, when a target was tried.
    public var upstreamNanoseconds: Int64?
    /// Tries beyond the first.
    public var retries: Int
    public var tlsVersion: String?
    /// Why the request failed without a response from a target, if it did.
    public var error: String?
    /// What the edge policy noted, when it noted anything (one reference: most records carry
    /// none, and five optional strings made every record wider; decision 0018).
    public var policy: PolicyNote?
    /// How the response was compressed, when it was (one reference: most records carry none).
    public var compression: CompressionNote?
    /// What the route's HTTP cache did (``CacheStatus/result``: `hit`, `stale`, `revalidated`,
    /// `miss`, `bypass`), on a route with a cache.
    public var cache: String?

    /// A compressed response: its coding and its body before and after (docs/content.md).
    public final class CompressionNote: Sendable {
        public let coding: ContentCoding
        /// Body bytes from the target.
        public let bytesIn: Int
        /// Body bytes to the client (the same as the record's ``responseBytes``).
        public let bytesOut: Int

        public init(coding: ContentCoding, bytesIn: Int, bytesOut: Int) {
            self.coding = coding
            self.bytesIn = bytesIn
            self.bytesOut = bytesOut
        }
    }

    /// What the edge policy noted about one request.
    public final class PolicyNote: Sendable {
        /// The request's `X-Request-Id` (the client's or the one made), when ids are tracked.
        public let requestID: String?
        /// The request target sent to the target when it differs from the client's (a
        /// normalised path, a route's `rewrite`).
        public let upstreamURI: String?
        /// The reason for refusing the request (`access_denied`, `rate_limited`, …): counted in
        /// `portcullis_requests_refused_total`.
        public let refusal: String?
        /// For a `rate_limited` refusal: the limit's key kind (`client_ip`, `header`, `jwt_claim`).
        public let rateLimitKey: String?
        /// A request-hygiene check in `monitor` mode would have refused it, for this reason.
        public let monitored: String?

        public init(requestID: String? = nil, upstreamURI: String? = nil, refusal: String? = nil, rateLimitKey: String? = nil, monitored: String? = nil) {
            self.requestID = requestID
            self.upstreamURI = upstreamURI
            self.refusal = refusal
            self.rateLimitKey = rateLimitKey
            self.monitored = monitored
        }
    }

    public var requestID: String? { self.policy?.requestID }
    public var upstreamURI: String? { self.policy?.upstreamURI }
    public var refusal: String? { self.policy?.refusal }
    public var rateLimitKey: String? { self.policy?.rateLimitKey }
    public var monitored: String? { self.policy?.monitored }

    public init(
        listener: String,
        route: String? = nil,
        targetGroup: String? = nil,
        target: String? = nil,
        clientAddress: String = "-",
        method: HTTPMethod = .GET,
        uri: String = "/",
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(),
        host: String? = nil,
        userAgent: String? = nil,
        referer: String? = nil,
        status: UInt = 0,
        requestBytes: Int = 0,
        responseBytes: Int = 0,
        totalNanoseconds: Int64 = 0,
        upstreamNanoseconds: Int64? = nil,
        retries: Int = 0,
        tlsVersion: String? = nil,
        error: String? = nil
    ) {
        var headers = headers
        if let host { headers.replaceOrAdd(name: "Host", value: host) }
        if let userAgent { headers.replaceOrAdd(name: "User-Agent", value: userAgent) }
        if let referer { headers.replaceOrAdd(name: "Referer", value: referer) }
        self.init(
            listener: listener, route: route, targetGroup: targetGroup, target: target,
            clientAddress: clientAddress, method: method, uri: uri, version: version, headers: headers,
            status: status, requestBytes: requestBytes, responseBytes: responseBytes,
            totalNanoseconds: totalNanoseconds, upstreamNanoseconds: upstreamNanoseconds, retries: retries,
            tlsVersion: tlsVersion, error: error, policy: nil, compression: nil, cache: nil
        )
    }

    /// Every field as it is: the request record's own initializer (``RequestRecordBuilder``),
    /// which makes a record whole in one call instead of amending a copy.
    init(
        listener: String,
        route: String?,
        targetGroup: String?,
        target: String?,
        clientAddress: String,
        method: HTTPMethod,
        uri: String,
        version: HTTPVersion,
        headers: HTTPHeaders,
        status: UInt,
        requestBytes: Int,
        responseBytes: Int,
        totalNanoseconds: Int64,
        upstreamNanoseconds: Int64?,
        retries: Int,
        tlsVersion: String?,
        error: String?,
        policy: PolicyNote?,
        compression: CompressionNote?,
        cache: String?
    ) {
        self.listener = listener
        self.route = route
        self.targetGroup = targetGroup
        self.target = target
        self.clientAddress = clientAddress
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.status = status
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        self.totalNanoseconds = totalNanoseconds
        self.upstreamNanoseconds = upstreamNanoseconds
        self.retries = retries
        self.tlsVersion = tlsVersion
        self.error = error
        self.policy = policy
        self.compression = compression
        self.cache = cache
    }

    /// `1xx` … `5xx`.
    public var statusClass: String {
        switch self.status {
        case 100..<200: "1xx"
        case 200..<300: "2xx"
        case 300..<400: "3xx"
        case 400..<500: "4xx"
        default: "5xx"
        }
    }
}
