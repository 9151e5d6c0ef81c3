public import NIOCore
import NIOHTTP1

/// The HTTP/1 handlers of a client connection, below the ``ProxyHandler`` and above TLS:
///
/// ```
/// ConnectionTimeoutHandler ─ HTTP1ResponseEncoder ─ request decoder ─ RequestGuardHandler
/// ```
///
/// Made in one place so the server and the tests build the same pipeline.
///
/// Neighbours we own are linked to call each other directly where parts would otherwise cross
/// the pipeline as `NIOAny` (a box and a dynamic cast per part and hop; decision 0010): the
/// decoder hands requests (with what its parser noted about each head; decision 0012) to the
/// guard, the guard hands responses to the encoder below it and requests to the proxy above it,
/// and the proxy hands responses to the guard. A direct call stands for the pipeline hop to the next handler,
/// so the links are made here, where the handlers are placed next to each other.
public enum ClientHTTPHandlers {
    /// - Parameters:
    ///   - limits: Header and body limits and the header and idle timeouts.
    ///   - timers: The event loop's shared timers (``ProxyLoop/timers``); `nil` makes a set for
    ///     this connection alone.
    ///   - proxy: Placed last, above the guard, and linked to it.
    public static func make(
        limits: RequestLimits,
        serverHeader: String?,
        timers: LoopTimers?,
        proxy: ProxyHandler? = nil
    ) -> [any ChannelHandler] {
        let timeouts = ConnectionTimeoutHandler(
            headerTimeout: limits.headerTimeout,
            idleTimeout: limits.idleTimeout,
            serverHeader: serverHeader,
            timers: timers
        )
        // Our encoder writes every header as it is: each was validated on the way in
        // (RequestValidator for requests, the strict parser for responses) or in the
        // configuration; see docs/decisions/0007-no-outbound-header-revalidation.md.
        let encoder = HTTP1ResponseEncoder()
        let requestGuard = RequestGuardHandler(
            maxBodyBytes: limits.bodyBytes,
            serverHeader: serverHeader,
            phaseObserver: timeouts,
            responseEncoder: encoder
        )
        let decoder = HTTP1RequestDecoder(maxHeadBytes: limits.headerBytes)
        decoder.requestGuard = requestGuard
        let driver = DecoderDriver(decoder)
        driver.readCompleteReceiver = requestGuard
        timeouts.next = driver
        var handlers: [any ChannelHandler] = [
            timeouts,
            encoder,
            driver,
            requestGuard,
        ]
        if let proxy {
            requestGuard.receiver = proxy
            proxy.responseWriter = requestGuard
            handlers.append(proxy)
        }
        return handlers
    }
}
