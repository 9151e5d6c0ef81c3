import NIOCore

/// What a ``ForwardingSession`` holds while one request goes to a target: an HTTP/1.1
/// ``UpstreamConnection`` leased from the loop's ``UpstreamPool``, or an ``H2CUpstreamStream``
/// on a connection of the loop's ``H2CUpstreamPool``. The session routes, balances, retries and
/// records the same way for both; only this small surface differs.
///
/// > Important: Event-loop bound, like the session that holds it.
protocol UpstreamLink: AnyObject {
    var target: Target { get }
    /// Whether the target takes what is written (the session stops reading its client when not).
    var isWritable: Bool { get }
    /// How many requests the link's connection has carried; `> 1` means it was reused (a close
    /// before the answer may then be a stale keep-alive connection, worth one more try).
    var requestCount: Int { get }
    /// The session the link is leased to; it clears it when it lets the link go.
    var delegate: (any UpstreamConnectionDelegate)? { get set }

    /// Writes a request part (flushed by ``flush()``).
    func send(_ part: UpstreamRequestPart, promise: EventLoopPromise<Void>?)
    func flush()
    /// Bytes that go before the first request, as they are (a PROXY protocol header).
    func sendPreamble(_ bytes: ByteBuffer)
    /// Bytes of an established tunnel, as they are.
    func sendTunnel(_ bytes: ByteBuffer)
    /// The `101` was forwarded: what follows is tunnel bytes.
    func startTunnel()
    /// Sends what is written, then half-closes (a tunnel whose client stopped sending).
    func shutdownOutput()
    /// Stops reading from the target until ``resumeReading()``: the client is not keeping up.
    func pauseReading()
    func resumeReading()
    /// Drops the exchange: the connection (HTTP/1) or the stream (h2c, `RST_STREAM`) closes.
    func close()
    /// Gives the link back after a complete exchange.
    ///
    /// - Parameter reusable: `false` after any error or when either side asked to close.
    func release(reusable: Bool, settings: UpstreamSettings)
}

extension UpstreamLink {
    func send(_ part: UpstreamRequestPart) {
        self.send(part, promise: nil)
    }
}
