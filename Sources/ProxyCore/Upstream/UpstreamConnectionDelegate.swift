import NIOCore

/// Receives what happens on a leased upstream connection: the ``ForwardingSession`` it is
/// leased to.
///
/// All calls arrive on the connection's event loop, which is the client connection's loop.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstream(_ connection: UpstreamConnection, receivedHead head: UpstreamResponseHead)
    func upstream(_ connection: UpstreamConnection, receivedBody body: ByteBuffer)
    func upstreamReceivedEnd(_ connection: UpstreamConnection)
    /// Bytes after a `101`, as they came.
    func upstream(_ connection: UpstreamConnection, receivedTunnelBytes bytes: ByteBuffer)
    func upstreamReadComplete(_ connection: UpstreamConnection)
    func upstreamWritabilityChanged(_ connection: UpstreamConnection, isWritable: Bool)
    /// The connection closed or failed. `error` is `nil` for a plain close.
    func upstream(_ connection: UpstreamConnection, closedWith error: (any Error)?)
}
