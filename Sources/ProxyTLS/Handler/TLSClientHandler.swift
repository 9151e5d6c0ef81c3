public import Logging
public import NIOCore

/// The client side of ``TLSServerHandler``: same engine, same events, same write and close
/// behaviour, for upstream TLS connections and tests.
///
/// Unlike the server, a client fires `errorCaught` with an ``OpenSSLError`` when the handshake
/// fails (for example, the server's certificate does not verify), before closing the channel.
///
/// To resume, keep ``lastSession`` from one connection and pass it to the next handler's
/// initializer; ``handshakeSummary`` then reports `resumed == true` if the server accepted it.
///
/// > Important: Event-loop bound, like every handler. Create one per connection.
public final class TLSClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let connection: TLSConnection

    /// - Parameters:
    ///   - context: Shared client configuration (trust roots, ALPN offer).
    ///   - session: A session saved from an earlier connection to the same server, to resume.
    ///   - logger: Receives handshake failures.
    public init(context: TLSClientContext, resuming session: TLSSession? = nil, logger: Logger = Logger(label: "portcullis.tls.client")) {
        self.connection = TLSConnection(side: .client(context, resuming: session), logger: logger)
    }

    /// What the handshake negotiated, or `nil` before it completes.
    public var handshakeSummary: TLSHandshakeSummary? { self.connection.summary }

    /// The newest session the server issued on this connection, for resuming a later one.
    ///
    /// With TLS 1.3 it arrives just after the handshake, with the server's first records.
    public var lastSession: TLSSession? { self.connection.lastSession }

    /// The server certificate's subject, such as `/CN=a.example.com`, once the handshake completed.
    public var peerCertificateSubject: String? { self.connection.peerCertificateSubject }

    /// The server certificate's subjectAltName entries (DNS names and IP addresses as text).
    public var peerCertificateNames: [String] { self.connection.peerCertificateNames }

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
extension TLSClientHandler: Sendable {}
