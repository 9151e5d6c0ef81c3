import NIOHTTP1

/// Receives what happens on a leased upstream connection. Implemented by ``ProxyHandler``.
///
/// All calls arrive on the connection's event loop, which is the client connection's loop.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart)
    func upstreamReadComplete(_ connection: UpstreamConnection)
    func upstreamWritabilityChanged(_ connection: UpstreamConnection, isWritable: Bool)
    /// The connection closed or failed. `error` is `nil` for a plain close.
    func upstream(_ connection: UpstreamConnection, closedWith error: (any Error)?)
}
