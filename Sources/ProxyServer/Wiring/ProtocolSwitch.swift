import NIOCore
import NIOTLS

/// Chooses a connection's HTTP version once, then leaves the pipeline: after the TLS handshake
/// by the protocol ALPN settled on (`h2`, else HTTP/1.1), or on a plain `h2c` listener by the
/// client's first bytes (the HTTP/2 preface, else an HTTP/1 request). `Upgrade: h2c` is never a
/// way in.
///
/// Bytes that arrive before the choice (the preface itself on a plain listener) are kept and
/// handed to the chosen handlers.
final class ProtocolSwitch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Mode {
        /// Wait for `TLSUserEvent.handshakeCompleted`.
        case alpn
        /// Read until the bytes match the HTTP/2 preface or cannot.
        case priorKnowledge
    }

    enum Choice {
        case http1
        case http2
    }

    /// RFC 9113 §3.4: what every HTTP/2 client sends first.
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let mode: Mode
    private let timeout: TimeAmount
    private let configure: (Choice, any Channel) throws -> Void
    private var received: ByteBuffer?
    private var chosen = false
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - timeout: On a plain listener, how long the first bytes may take to say which protocol
    ///     (the listener's `header_timeout`); then the connection is closed. (With ALPN the TLS
    ///     handshake timeout covers the wait.)
    ///   - configure: Adds the chosen protocol's handlers after this one (at the end of the
    ///     pipeline), on the channel's loop.
    init(mode: Mode, timeout: TimeAmount, configure: @escaping (Choice, any Channel) throws -> Void) {
        self.mode = mode
        self.timeout = timeout
        self.configure = configure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard self.mode == .priorKnowledge else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if self.received == nil {
            self.received = bytes
        } else {
            self.received!.writeBuffer(&bytes)
        }
        guard self.mode == .priorKnowledge, let received = self.received else { return }
        let count = min(received.readableBytes, Self.preface.count)
        let matches = received.readableBytesView.prefix(count).elementsEqual(Self.preface.prefix(count))
        if !matches {
            self.choose(.http1, context: context)
        } else if count == Self.preface.count {
            self.choose(.http2, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.chosen {
            context.fireChannelReadComplete()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if self.mode == .alpn, let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            context.fireUserInboundEventTriggered(event)
            self.choose(negotiated == "h2" ? .http2 : .http1, context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func choose(_ choice: Choice, context: ChannelHandlerContext) {
        guard !self.chosen else { return }
        self.chosen = true
        self.timer?.cancel()
        self.timer = nil
        do {
            try self.configure(choice, context.channel)
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        if let received = self.received {
            self.received = nil
            context.fireChannelRead(self.wrapInboundOut(received))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

@available(*, unavailable)
extension ProtocolSwitch: Sendable {}
