import NIOCore

/// What our two encoders do alike around their ``HeldHead``: a flush writes the held head
/// first, and the handler linked above them calls them directly for writes, flushes and reads
/// (decision 0010) — a write and a flush as the pipeline would have called them, a read passed
/// on below (the encoders do nothing with reads).
protocol HeldHeadEncoder: AnyObject {
    /// The parts it encodes.
    associatedtype Part
    /// Their own context, kept from `handlerAdded` to `handlerRemoved`.
    var context: ChannelHandlerContext? { get }
    var heldHead: HeldHead { get set }
    /// Encodes and writes `part` on `context`.
    func write(_ part: Part, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?)
}

extension HeldHeadEncoder {
    /// The channel flush: the held head, if any, then the flush.
    func flushHeldHead(context: ChannelHandlerContext) {
        self.heldHead.write(on: context)
        context.flush()
    }

    /// A part from the handler linked above, as if it had written it through the pipeline (no
    /// `NIOAny` box and cast per part).
    func write(_ part: Part, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.write(part, context: context, promise: promise)
    }

    /// A flush from the handler linked above.
    func flush() {
        guard let context = self.context else { return }
        self.flushHeldHead(context: context)
    }

    /// A read from the handler linked above, passed on below.
    func passRead() {
        self.context?.read()
    }
}
