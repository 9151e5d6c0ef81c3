/// Watches the requests of one event loop: metrics, access log, scaling statistics.
///
/// Each event loop has its own observer (``ProxyLoop/observer``) and calls it only on that loop,
/// so an implementation can keep per-loop state without locks.
public protocol ProxyObserver: AnyObject {
    /// Whether the records need the request's own facts (client address, method, URI,
    /// version, headers, TLS version, error: what an access-log line says); when not, only
    /// what the metrics count is filled in.
    var wantsRequestDetails: Bool { get }

    /// A request finished: answered, failed, or abandoned by the client. The record is handed
    /// over (`consuming`): passed borrowed, the caller copied it into the argument and
    /// destroyed both (~700 instructions per request; decision 0035).
    func requestCompleted(_ record: consuming RequestRecord)

    /// A `101` turned a request into a tunnel to `target` (counted open until ``tunnelClosed(route:target:)``;
    /// its record, status 101 with the bytes each way, comes when it closes).
    func tunnelOpened(route: String?, target: String)
    func tunnelClosed(route: String?, target: String)

    /// An HTTP/2 connection of `listener` opened or closed (`portcullis_http2_connections_open`).
    func http2ConnectionChanged(listener: String, open: Bool)
    /// A stream of an HTTP/2 connection opened or closed (`portcullis_http2_streams_open`).
    func http2StreamChanged(listener: String, open: Bool)
    /// An HTTP/2 limit or defence fired (`portcullis_http2_defences_total`).
    func http2DefenceFired(listener: String, defence: HTTP2Defence)
    /// A shared rate limit could not ask Redis and let a request through (fail open).
    func sharedRateLimitFailedOpen(listener: String)
}

extension ProxyObserver {
    public var wantsRequestDetails: Bool { true }
    public func tunnelOpened(route: String?, target: String) {}
    public func tunnelClosed(route: String?, target: String) {}
    public func http2ConnectionChanged(listener: String, open: Bool) {}
    public func http2StreamChanged(listener: String, open: Bool) {}
    public func http2DefenceFired(listener: String, defence: HTTP2Defence) {}
    public func sharedRateLimitFailedOpen(listener: String) {}
}
