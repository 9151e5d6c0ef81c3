public import NIOCore
public import NIOHTTP1

/// The client side of a forwarding session: the protocol connection (an HTTP/1 connection, an
/// HTTP/2 stream) that brought the request and takes the response. The session calls it, on
/// the connection's event loop; it frames what it is given for its protocol.
public protocol ForwardingSessionClient: AnyObject {
    /// Whether the client is taking what is written (the session stops reading its target when not).
    var isWritable: Bool { get }
    /// The client's address as the socket saw it (`nil` when unknown).
    var peerAddress: String? { get }

    func writeResponseHead(_ head: ClientResponseHead)
    func writeResponseBody(_ body: ByteBuffer)
    /// Whether the connection sends a `FileRegion` as it is (`sendfile`): a plain HTTP/1
    /// socket; not TLS, not an HTTP/2 stream.
    var takesFileRegions: Bool { get }
    /// Writes `region` as body bytes (only when ``takesFileRegions``); `promise` completes
    /// once they were sent (or failed).
    func writeResponseFile(_ region: FileRegion, promise: EventLoopPromise<Void>)
    func writeResponseEnd(trailers: HTTPHeaders?)
    /// Sends what was written (the session calls it at the end of a read from the target).
    func flushResponse()
    /// The session can take request bytes again (it had said ``ForwardingSession/wantsRequestBytes`` no).
    func resumeRequestReads()
    /// A `101 Switching Protocols` head was written: from now on the connection carries bytes,
    /// both ways (``writeTunnel(_:)``, ``ForwardingSession/tunnelReceived(_:)``).
    func startTunnel()
    /// Bytes from the target through an established tunnel.
    func writeTunnel(_ bytes: ByteBuffer)
    /// The response cannot be finished (the target died mid-way) or the tunnel ended: close.
    func closeConnection()
}
