import NIOCore
import NIOHTTP1

/// What the access log and the metrics say about the request in flight, gathered while it runs
/// and made into one ``RequestRecord`` when it ends: the session's request-record part.
///
/// Pure: the session feeds it facts and the clock's readings come from `NIODeadline.now()`
/// at its two ends; it writes nothing itself.
struct RequestRecordBuilder {
    /// The request in flight's start line and fields; `nil` between requests (its record is made
    /// once). Not the whole ``ClientRequestHead``: its field lines as received are a slice of a
    /// read's buffer, which must not be kept alive for the length of the request.
    private(set) var head: HTTPRequestHead?
    var route: String?
    var targetGroup: String?
    /// Body bytes from the client (a tunnel's bytes to the target).
    var requestBytes = 0
    /// Body bytes to the client (a tunnel's bytes from the target).
    var responseBytes = 0
    var retries = 0
    /// The client as the rewriter found it (a trusted proxy's `X-Forwarded-For` honoured).
    var clientAddress = "-"
    var status: UInt = 0
    var requestID: RequestID?
    var upstreamURI: String?
    var refusal: String?
    var rateLimitKey: String?
    var monitored: String?
    /// Set when the response was compressed, at its end.
    var compression: RequestRecord.CompressionNote?
    /// What the route's cache did (``CacheStatus/result``).
    var cache: String?
    private var start = NIODeadline.now()
    private var upstreamStart: NIODeadline?
    private var rejectionRecorded = false

    /// A new request: its facts start over.
    mutating func begin(_ head: ClientRequestHead) {
        self.head = head.nioHead
        self.requestBytes = 0
        self.responseBytes = 0
        self.retries = 0
        self.status = 0
        self.requestID = nil
        self.upstreamURI = nil
        self.refusal = nil
        self.rateLimitKey = nil
        self.monitored = nil
        self.compression = nil
        self.cache = nil
        self.start = .now()
        self.upstreamStart = nil
    }

    /// The first try for a target began (its latency is measured from here).
    mutating func upstreamStarted() {
        if self.upstreamStart == nil {
            self.upstreamStart = .now()
        }
    }

    /// Hands the finished request's record to `observer`, once (nothing when no request is
    /// open). The record is built where it is handed over, not returned: it is a large value.
    mutating func finish(listener: String, target: String?, tlsVersion: String?, error: String?, to observer: (any ProxyObserver)?) {
        guard let head = self.head.take() else { return }
        guard let observer else { return }
        let details = observer.wantsRequestDetails
        let now = NIODeadline.now()
        var policy: RequestRecord.PolicyNote?
        if self.refusal != nil || self.monitored != nil || (details && (self.requestID != nil || self.upstreamURI != nil)) {
            policy = RequestRecord.PolicyNote(
                requestID: details ? self.requestID?.description : nil,
                upstreamURI: details ? self.upstreamURI : nil,
                refusal: self.refusal,
                rateLimitKey: self.rateLimitKey,
                monitored: self.monitored
            )
        }
        // Made whole in one initializer and never changed: a record built and then amended
        // field by field was copied once and destroyed twice (~700 instructions per request).
        // Without an access log, only what the metrics count (fewer references to retain).
        let record = RequestRecord(
            listener: listener,
            route: self.route,
            targetGroup: self.targetGroup,
            target: target,
            clientAddress: details ? self.clientAddress : "-",
            method: details ? head.method : .GET,
            uri: details ? head.uri : "/",
            version: head.version,
            headers: details ? head.headers : HTTPHeaders(),
            status: self.status,
            requestBytes: self.requestBytes,
            responseBytes: self.responseBytes,
            totalNanoseconds: (now - self.start).nanoseconds,
            upstreamNanoseconds: self.upstreamStart.map { (now - $0).nanoseconds },
            retries: self.retries,
            tlsVersion: details ? tlsVersion : nil,
            error: details ? error : nil,
            policy: policy,
            compression: self.compression,
            cache: self.cache
        )
        observer.requestCompleted(consume record)
    }

    /// The record of a request refused before it reached the session; once per HTTP/1
    /// connection (a refusal closes it, and what the client says meanwhile, an unfinished head
    /// after a 408, is the same request). Each HTTP/2 stream is a request of its own (`version` 2).
    mutating func refused(
        _ rejection: RequestRejection,
        version: HTTPVersion,
        listener: String,
        peerAddress: String?,
        tlsVersion: String?
    ) -> RequestRecord? {
        if version.major < 2 {
            guard !self.rejectionRecorded else { return nil }
            self.rejectionRecorded = true
        }
        var record = RequestRecord(
            listener: listener,
            clientAddress: peerAddress ?? "-",
            method: .RAW(value: "-"),
            uri: "-",
            version: version,
            status: UInt(rejection.status.code),
            tlsVersion: tlsVersion,
            error: rejection.reason
        )
        record.totalNanoseconds = 0
        return record
    }
}
