public import NIOCore
import NIOHTTP1

/// Enforces the header timeout (408 and close for a slow request head) and the keep-alive idle
/// timeout (quiet close) on a client connection.
///
/// Sits below the HTTP decoder and sees raw bytes, so it knows when the first byte of a request
/// arrives; ``RequestGuardHandler`` tells it about request heads and finished responses (it is
/// the guard's ``RequestPhaseObserver``).
///
/// Inbound only: the writes, flushes and reads of every response pass it by (it writes its own
/// `408` through its context).
public final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler, RequestPhaseObserver {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let serverHeader: String?
    private var machine = ConnectionTimeoutStateMachine()
    private var timer: LazyTimer?
    private var armed = ConnectionTimeoutStateMachine.Timer.header
    private var context: ChannelHandlerContext?

    private let timers: LoopTimers?
    /// The next inbound handler (the request decoder), handed the bytes and the end of each
    /// read directly (decision 0010); `nil`: through the pipeline. Linked where the two are
    /// placed (``ClientHTTPHandlers``), unlinked on removal.
    var next: (any InboundBytesReceiver)?

    /// - Parameter timers: The event loop's shared timers (``ProxyLoop/timers``); `nil` makes a
    ///   set for this connection alone.
    public init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, serverHeader: String?, timers: LoopTimers? = nil) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.serverHeader = serverHeader
        self.timers = timers
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Not counted (no weak-reference side table, so retains of this handler stay on the
        // fast path): the timer is cancelled in `handlerRemoved`, and in `deinit` as a backstop.
        self.timer = LazyTimer(timers: self.timers ?? LoopTimers(eventLoop: context.eventLoop)) { [unowned(unsafe) self] in
            guard let context = self.context else { return }
            self.perform(self.machine.timerFired(self.armed), context: context)
        }
        if context.channel.isActive {
            self.perform(self.machine.connectionStarted(), context: context)
        }
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.perform(self.machine.connectionStarted(), context: context)
        context.fireChannelActive()
    }

    deinit {
        self.timer?.cancel()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.context = nil
        self.next = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.perform(self.machine.bytesReceived(), context: context)
        if let next = self.next {
            next.receive(data)
        } else {
            context.fireChannelRead(data)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if let next = self.next {
            next.receiveReadComplete()
        } else {
            context.fireChannelReadComplete()
        }
    }

    public func requestPhase(_ phase: RequestPhaseEvent) {
        guard let context = self.context else { return }
        switch phase {
        case .headReceived:
            self.perform(self.machine.headReceived(), context: context)
        case .responseCompleted:
            self.perform(self.machine.responseCompleted(), context: context)
        }
    }

    private func perform(_ action: ConnectionTimeoutStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .cancelTimer:
            self.timer?.disarm()
        case .startTimer(let which):
            self.armed = which
            self.timer?.arm(in: which == .header ? self.headerTimeout : self.idleTimeout)
        case .requestTimeout:
            self.timer?.cancel()
            // Recorded by the proxy handler (access log, metrics); the answer is written here.
            context.fireUserInboundEventTriggered(
                RequestRejectedEvent(rejection: RequestRejection(.requestTimeout, "request head not received in time"))
            )
            let response = ErrorResponses.raw(.requestTimeout, serverHeader: self.serverHeader, allocator: context.channel.allocator)
            context.writeAndFlush(NIOAny(response)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .closeIdle:
            self.timer?.cancel()
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ConnectionTimeoutHandler: Sendable {}
