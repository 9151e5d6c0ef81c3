import NIOCore

/// Runs a `ByteToMessageDecoder` as NIO's `ByteToMessageHandler` does, for the HTTP decoders of
/// our pipelines (decision 0011).
///
/// NIO's handler is generic and not inlinable, so it runs unspecialized: every read looks up
/// the metadata of `Optional<Decoder>` at run time (~1,500 instructions per request) on top of its
/// general buffer bookkeeping. This one keeps only what an HTTP decoder needs:
///
/// - Received bytes accumulate in one buffer (none is kept while everything was consumed: the
///   next read's buffer is used as it is); `decode` runs until it needs more data.
/// - Bytes that arrive while the decoder runs (a handler above reading synchronously) are
///   appended and decoded by the running loop.
/// - End of input (`channelInactive`, or the `inputClosed` event) runs `decodeLast` once, after
///   the running loop if it came during one.
/// - A thrown error is fired as `errorCaught` and decoding stops; bytes received after it are
///   reported as `ByteToMessageDecoderError.dataReceivedInErrorState`, as NIO does.
/// - The decoder is not write-observing and the handler is never removed while in use (no
///   leftover handling on removal).
///
/// Its own methods still run as generic code: NIO calls a handler through an existential, which
/// reaches a generic class's unspecialized methods (the decoders' code is compiled for their
/// types). That costs about 700 instructions per request in witness-table and metadata lookups
/// (docs/benchmarks.md, eighth pass); one concrete handler class per decoder would remove them.
final class DecoderDriver<Decoder: ByteToMessageDecoder>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Decoder.InboundOut

    private enum State {
        case active
        /// The input ended during a decode; `decodeLast` runs when it returns.
        case leftoversNeedProcessing
        case done
        case error(any Error)
    }

    private var decoder: Decoder
    private var state = State.active
    /// Received and not yet consumed; `nil` when there is nothing.
    private var buffer: ByteBuffer?
    private var decoding = false
    private var seenEOF = false

    /// The handler right above, told of the end of each read directly (decision 0010); `nil`:
    /// through the pipeline. Linked where the two are placed, unlinked on removal.
    var readCompleteReceiver: (any ReadCompleteReceiver)?
    private var context: ChannelHandlerContext?

    init(_ decoder: Decoder) {
        self.decoder = decoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.decoder.decoderAdded(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if case .active = self.state {
            self.state = .done
        }
        self.buffer = nil
        self.context = nil
        self.readCompleteReceiver = nil
        self.decoder.decoderRemoved(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let receiver = self.readCompleteReceiver {
            receiver.receiveReadComplete()
        } else {
            context.fireChannelReadComplete()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var received = self.unwrapInboundIn(data)
        switch self.state {
        case .error(let error):
            context.fireErrorCaught(ByteToMessageDecoderError.dataReceivedInErrorState(error, received))
            return
        case .done, .leftoversNeedProcessing:
            return
        case .active:
            break
        }
        if self.buffer == nil {
            self.buffer = received
        } else {
            self.buffer!.writeBuffer(&received)
        }
        if self.decoding {
            return  // the running loop decodes it
        }
        self.run(context: context, last: false)
        if case .leftoversNeedProcessing = self.state {
            self.run(context: context, last: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.inputEnded(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            self.inputEnded(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func inputEnded(context: ChannelHandlerContext) {
        self.seenEOF = true
        guard case .active = self.state else { return }
        if self.decoding {
            self.state = .leftoversNeedProcessing
        } else {
            self.run(context: context, last: true)
        }
    }

    /// Decodes until the decoder needs more data (`last`: calls `decodeLast` instead, at least
    /// once, then the state is `done`). Errors go to `errorCaught`.
    private func run(context: ChannelHandlerContext, last: Bool) {
        self.decoding = true
        defer { self.decoding = false }
        var mustCall = last
        do {
            while last || self.isActive {
                guard var buffer = self.buffer ?? (mustCall ? context.channel.allocator.buffer(capacity: 0) : nil) else {
                    break
                }
                self.buffer = nil
                mustCall = false
                let result: DecodingState
                if last {
                    result = try self.decoder.decodeLast(context: context, buffer: &buffer, seenEOF: self.seenEOF)
                } else {
                    result = try self.decoder.decode(context: context, buffer: &buffer)
                }
                let arrived = self.buffer != nil
                if var more = self.buffer {
                    buffer.writeBuffer(&more)
                }
                if buffer.readableBytes > 0 {
                    if result == .needMoreData && self.decoder.shouldReclaimBytes(buffer: buffer) {
                        buffer.discardReadBytes()
                    }
                    self.buffer = buffer
                } else {
                    self.buffer = nil
                }
                if result == .needMoreData && !arrived {
                    break
                }
            }
            if last {
                self.state = .done
            }
        } catch {
            self.state = .error(error)
            self.buffer = nil
            context.fireErrorCaught(error)
        }
    }

    private var isActive: Bool {
        if case .active = self.state { true } else { false }
    }
}

extension DecoderDriver: InboundBytesReceiver {
    func receive(_ data: NIOAny) {
        guard let context = self.context else { return }
        self.channelRead(context: context, data: data)
    }

    func receiveReadComplete() {
        guard let context = self.context else { return }
        self.channelReadComplete(context: context)
    }
}

@available(*, unavailable)
extension DecoderDriver: Sendable {}
