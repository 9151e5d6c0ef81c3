public import NIOCore

/// Sits between the TLS handler (or the socket) and swift-nio-http2's handler of an HTTP/2
/// connection and turns every flush asked for while the event loop handles one batch of I/O into
/// one, at the end of that batch.
///
/// Each stream flushes its response when its target's response is in; with many streams in
/// flight, the responses of one batch of target reads would otherwise each be encrypted into
/// their own TLS record and written with their own system call. Deferred to a task (which the
/// event loop runs after the I/O events of the current wake-up), they leave together: one
/// encryption and one `write` for all of them (decision 0017).
///
/// A close flushes first: what was written before it (a GOAWAY) goes out before the connection ends.
public final class HTTP2FlushBatcher: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var scheduled = false

    public init() {}

    public func flush(context: ChannelHandlerContext) {
        guard !self.scheduled else { return }
        self.scheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (batcher, context) = loopBound.value
            batcher.scheduled = false
            context.flush()
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        context.flush()
        context.close(mode: mode, promise: promise)
    }
}

@available(*, unavailable)
extension HTTP2FlushBatcher: Sendable {}
