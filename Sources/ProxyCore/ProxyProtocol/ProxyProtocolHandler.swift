public import NIOCore

/// Reads the PROXY protocol header at the start of a client connection, then steps out of the way.
///
/// The first handler of the pipeline of a listener that takes the protocol, before TLS:
/// `[ProxyProtocolHandler, TLSServerHandler, HTTP1ServerConnection]`. It holds the connection's
/// bytes until ``ProxyProtocolParser`` decides, then:
///
/// - on a header: calls `onHeader` with it (the composition root records the real client),
///   passes on the bytes that came after the header as one `channelRead`, and removes itself;
///   the next `channelReadComplete` goes straight to the handler after it. Bytes are passed on
///   once each, in order.
/// - on anything else (an invalid header, or no complete header within `timeout`): calls
///   `onRejection` with the reason (to log and count it) and closes the connection. Nothing
///   read is passed on.
///
/// A peer that closes before its header is complete is not reported: it is gone already.
/// Whether the peer may send a header at all (a trusted proxy) is decided before this handler is
/// added.
///
/// > Important: Event-loop bound: the closures are called on the channel's event loop.
public final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    /// Why a connection was closed without a header.
    public enum Rejection: Hashable, Sendable, CustomStringConvertible {
        /// The bytes are not a valid header; `reason` says what is wrong.
        case invalid(reason: String)
        /// No complete header arrived within the timeout.
        case timedOut

        public var description: String {
            switch self {
            case .invalid(let reason): "invalid PROXY protocol header: \(reason)"
            case .timedOut: "no PROXY protocol header in time"
            }
        }
    }

    private enum State {
        case waiting
        case passedOn
        case rejected
    }

    private let timeout: TimeAmount
    private let timers: LoopTimers
    private let onHeader: (ProxyProtocolHeader) -> Void
    private let onRejection: (Rejection) -> Void
    private var state = State.waiting
    /// Received, header not decided yet; `nil` when there is nothing.
    private var received: ByteBuffer?
    private var timer: LazyTimer?
    private var context: ChannelHandlerContext?

    /// - Parameters:
    ///   - timeout: How long after the connection opens its whole header may take. The spec
    ///     suggests a few seconds, at least 3 to cover a TCP retransmit.
    ///   - timers: The event loop's shared timers (``ProxyLoop/timers``).
    ///   - onHeader: Called once with the header, before the bytes after it are passed on.
    ///   - onRejection: Called once when the connection is closed for want of a valid header.
    public init(
        timeout: TimeAmount,
        timers: LoopTimers,
        onHeader: @escaping (ProxyProtocolHeader) -> Void,
        onRejection: @escaping (Rejection) -> Void
    ) {
        self.timeout = timeout
        self.timers = timers
        self.onHeader = onHeader
        self.onRejection = onRejection
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Held strongly; the cycle (this → timer → callback → this) ends in `handlerRemoved`.
        self.timer = LazyTimer(timers: self.timers) {
            guard let context = self.context, self.state == .waiting else { return }
            self.reject(.timedOut, context: context)
        }
        if context.channel.isActive {
            self.timer?.arm(in: self.timeout)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.received = nil
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        if self.state == .waiting {
            self.timer?.arm(in: self.timeout)
        }
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.timer?.disarm()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state {
        case .passedOn:
            context.fireChannelRead(data)
            return
        case .rejected:
            return
        case .waiting:
            break
        }
        var bytes = self.unwrapInboundIn(data)
        if self.received == nil {
            self.received = bytes
        } else {
            self.received!.writeBuffer(&bytes)
        }
        switch ProxyProtocolParser.parse(self.received!) {
        case .needMoreBytes:
            // The parser decides by the maximum; the check keeps a parser change from buffering
            // without end.
            if self.received!.readableBytes > ProxyProtocolParser.maximumHeaderLength {
                let reason = "no header in the first \(ProxyProtocolParser.maximumHeaderLength) bytes"
                self.reject(.invalid(reason: reason), context: context)
            }
        case .invalid(let reason):
            self.reject(.invalid(reason: reason), context: context)
        case .header(let header, let consumedBytes):
            self.state = .passedOn
            self.timer?.disarm()
            var rest = self.received!
            self.received = nil
            rest.moveReaderIndex(forwardBy: consumedBytes)
            self.onHeader(header)
            if rest.readableBytes > 0 {
                context.fireChannelRead(self.wrapInboundOut(rest))
            }
            // `onHeader` or a handler after us may have closed the channel and so removed us.
            if self.context != nil {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        switch self.state {
        case .passedOn:
            context.fireChannelReadComplete()
        case .waiting:
            // Nothing went up the pipeline, so nobody above will ask for more: ask ourselves.
            if !Self.autoRead(context) {
                context.read()
            }
        case .rejected:
            break
        }
    }

    private func reject(_ rejection: Rejection, context: ChannelHandlerContext) {
        self.state = .rejected
        self.received = nil
        self.timer?.disarm()
        self.onRejection(rejection)
        context.close(promise: nil)
    }

    private static func autoRead(_ context: ChannelHandlerContext) -> Bool {
        (try? context.channel.syncOptions?.getOption(ChannelOptions.autoRead)) ?? true
    }
}

@available(*, unavailable)
extension ProxyProtocolHandler: Sendable {}
