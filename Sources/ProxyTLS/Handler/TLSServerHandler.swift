public import Logging
public import NIOCore

/// Terminates TLS on an accepted connection: ciphertext below, plaintext above.
///
/// The handshake starts when the channel becomes active and must finish within
/// ``TLSServerConfiguration/handshakeTimeout``. When it completes the handler tells its
/// ``TLSHandshakeObserver`` (with a ``TLSHandshakeSummary``), fires
/// `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)` as a user inbound event, and after
/// that delivers plaintext. Writes made before then are
/// buffered and sent afterwards. Each `flush` encrypts everything written since the last one
/// and sends it as a single write; write promises complete when that ciphertext is written.
///
/// `close(mode: .all)` sends close_notify, waits for it to be written (at most 2 s), then closes
/// the channel. A close_notify from the client fires `TLSUserEvent.shutdownCompleted`, is
/// answered, and the channel closes. A failed handshake is logged in one line (at `.debug` for
/// routine scanner noise) with the client's address and OpenSSL's reason; the alert is
/// flushed and the channel closed, and no error goes up the pipeline.
///
/// > Important: Event-loop bound, like every handler. Create one per connection.
public final class TLSServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let connection: TLSConnection

    /// - Parameters:
    ///   - context: The listener's shared TLS context.
    ///   - logger: Receives handshake failures and timeouts, tagged with the client's address.
    ///   - observer: Told when the handshake completes (with what it negotiated) or fails (with
    ///     OpenSSL's reason).
    public init(context: TLSServerContext, logger: Logger, observer: TLSHandshakeObserver? = nil) {
        self.connection = TLSConnection(side: .server(context), logger: logger, observer: observer)
    }

    /// What the handshake negotiated, or `nil` before it completes.
    public var handshakeSummary: TLSHandshakeSummary? { self.connection.summary }

    public func handlerAdded(context: ChannelHandlerContext) { self.connection.handlerAdded(context: context) }
    public func handlerRemoved(context: ChannelHandlerContext) { self.connection.handlerRemoved(context: context) }
    public func channelActive(context: ChannelHandlerContext) { self.connection.channelActive(context: context) }
    public func channelInactive(context: ChannelHandlerContext) { self.connection.channelInactive(context: context) }
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The instance form: the static one is not specialized by the compiler (a generic call per read).
        self.connection.channelRead(context: context, ciphertext: self.unwrapInboundIn(data))
    }
    public func channelReadComplete(context: ChannelHandlerContext) {
        self.connection.channelReadComplete(context: context)
    }
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.connection.write(context: context, plaintext: self.unwrapOutboundIn(data), promise: promise)
    }
    public func flush(context: ChannelHandlerContext) { self.connection.flush(context: context) }
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        self.connection.close(context: context, mode: mode, promise: promise)
    }
}

@available(*, unavailable)
extension TLSServerHandler: Sendable {}
