public import NIOCore
import NIOHTTP1

/// The HTTP/1 handlers of a client connection, below the ``ProxyHandler`` and above TLS:
///
/// ```
/// ConnectionTimeoutHandler ─ HTTP1ResponseEncoder ─ request decoder ─ RequestGuardHandler
/// ```
///
/// Made in one place so the server and the tests build the same pipeline.
public enum ClientHTTPHandlers {
    /// - Parameters:
    ///   - limits: Header and body limits and the header and idle timeouts.
    ///   - timers: The event loop's shared timers (``ProxyLoop/timers``); `nil` makes a set for
    ///     this connection alone.
    public static func make(limits: RequestLimits, serverHeader: String?, timers: LoopTimers?) -> [any ChannelHandler] {
        let timeouts = ConnectionTimeoutHandler(
            headerTimeout: limits.headerTimeout,
            idleTimeout: limits.idleTimeout,
            serverHeader: serverHeader,
            timers: timers
        )
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.headerBytes
        decoderLimits.maxHeaderFieldSize = limits.headerBytes
        decoderLimits.maxHeaderFieldCount = 256
        // Our encoder writes every header as it is: each was validated on the way in
        // (RequestValidator for requests, the strict parser for responses) or in the
        // configuration; see docs/decisions/0007-no-outbound-header-revalidation.md.
        let encoder = HTTP1ResponseEncoder()
        return [
            timeouts,
            encoder,
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)),
            RequestGuardHandler(
                maxBodyBytes: limits.bodyBytes,
                serverHeader: serverHeader,
                phaseObserver: timeouts,
                responseEncoder: encoder
            ),
        ]
    }
}
