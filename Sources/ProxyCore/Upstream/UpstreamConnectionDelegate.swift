import NIOCore
import NIOHTTP1

/// Receives what happens on a leased upstream link (an HTTP/1 connection or an h2c stream): the
/// ``ForwardingSession`` it is leased to.
///
/// All calls arrive on the link's event loop, which is the client connection's loop.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstream(_ connection: any UpstreamLink, receivedHead head: UpstreamResponseHead)
    func upstream(_ connection: any UpstreamLink, receivedBody body: ByteBuffer)
    /// The response ended; `trailers` are the target's trailer fields (h2c only; `nil` when none).
    func upstreamReceivedEnd(_ connection: any UpstreamLink, trailers: HTTPHeaders?)
    /// Bytes after a `101`, as they came.
    func upstream(_ connection: any UpstreamLink, receivedTunnelBytes bytes: ByteBuffer)
    func upstreamReadComplete(_ connection: any UpstreamLink)
    func upstreamWritabilityChanged(_ connection: any UpstreamLink, isWritable: Bool)
    /// The connection closed or failed. `error` is `nil` for a plain close; an
    /// ``UpstreamStreamRefused`` when an h2c target refused the stream before processing it.
    func upstream(_ connection: any UpstreamLink, closedWith error: (any Error)?)
}
