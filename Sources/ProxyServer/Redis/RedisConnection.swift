import NIOCore

/// One TCP connection to Redis, as the channel's only handler: commands go out in the order
/// they are sent, and each reply completes the oldest waiting promise. Redis answers every
/// connection's commands in order, so pipelining needs nothing more than this FIFO queue.
///
/// A command sent while nothing is in flight is written at once. Commands sent while others
/// are in flight are encoded into one buffer that leaves in one write, deferred to a task the
/// loop runs after the current one: under load, a burst of `take`s from many requests costs
/// one buffer and one system call, not one each, and a lone `take` waits for nothing.
///
/// A command not answered within the command timeout fails with
/// ``RedisClientError/timedOut``, and the connection closes with it: its reply may still come,
/// and would then be taken for the next command's. Commands behind it fail with
/// ``RedisClientError/connectionClosed``. One timer serves every command: it is set for the
/// oldest command's deadline and, when it fires, set again for the then-oldest (deadlines are
/// in send order), so a command costs no timer of its own.
///
/// > Important: Event-loop-bound: ``send(_:promise:)`` is called on the channel's event loop.
/// > ``RedisClient`` owns it, and closes its channel.
final class RedisConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A command sent and not yet answered.
    private struct Waiting {
        var promise: EventLoopPromise<RESPValue>
        var deadline: NIODeadline
    }

    private let commandTimeout: TimeAmount
    private var parser: RESPParser
    /// Bytes received and not yet parsed (part of a reply).
    private var received = ByteBuffer()
    /// Commands encoded and not yet written: written (and flushed) by `writeScheduled`'s task.
    private var outgoing = ByteBuffer()
    private var waiting = CircularBuffer<Waiting>(initialCapacity: 16)
    private var context: ChannelHandlerContext?
    private var timeoutCheck: Scheduled<Void>?
    private var writeScheduled = false
    /// Set once the connection has failed or closed: later commands fail at once.
    private var failed = false
    private var closeReported = false

    /// Replies received so far: a connection that answered at least once worked.
    private(set) var repliesReceived = 0

    /// Called once, on the event loop, after the connection has closed and failed every
    /// command still waiting.
    var onClose: (() -> Void)?

    /// - Parameters:
    ///   - commandTimeout: How long a command may wait for its reply.
    ///   - limits: The bounds on what Redis may send.
    init(commandTimeout: TimeAmount, limits: RESPParser.Limits = RESPParser.Limits()) {
        self.commandTimeout = commandTimeout
        self.parser = RESPParser(limits: limits)
    }

    /// Whether commands can still be sent.
    var isUsable: Bool { !self.failed && self.context != nil }

    /// Sends one command; `promise` gets its reply, or the reason there is none.
    func send(_ command: [any RESPArgument], promise: EventLoopPromise<RESPValue>) {
        switch self.accept(promise) {
        case .refused:
            return
        case .now(let context):
            var bytes = context.channel.allocator.buffer(capacity: 128)
            bytes.writeRESPCommand(command)
            context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
        case .withTheNextWrite:
            self.outgoing.writeRESPCommand(command)
        }
    }

    /// Sends one command already encoded (``NIOCore/ByteBuffer/writeRESPCommand(_:)``).
    func send(encoded command: ByteBuffer, promise: EventLoopPromise<RESPValue>) {
        switch self.accept(promise) {
        case .refused:
            return
        case .now(let context):
            context.writeAndFlush(self.wrapOutboundOut(command), promise: nil)
        case .withTheNextWrite:
            self.outgoing.writeImmutableBuffer(command)
        }
    }

    /// How a command accepted by ``accept(_:)`` leaves.
    private enum Dispatch {
        /// The connection is no longer usable; the promise has failed.
        case refused
        /// Nothing is in flight: written and flushed at once, as a lone command waits for nothing.
        case now(ChannelHandlerContext)
        /// Commands are in flight: appended to ``outgoing``, written by the task that is scheduled.
        case withTheNextWrite
    }

    /// Queues `promise` for its reply and decides how its command leaves: at once when the
    /// connection is idle (a lone command waits for nothing), else with the next write, which
    /// it schedules if none is (under load, the commands of one pass of the loop share one).
    private func accept(_ promise: EventLoopPromise<RESPValue>) -> Dispatch {
        guard let context, !self.failed else {
            promise.fail(RedisClientError.connectionClosed)
            return .refused
        }
        let idle = self.waiting.isEmpty && !self.writeScheduled
        let deadline = NIODeadline.now() + self.commandTimeout
        self.waiting.append(Waiting(promise: promise, deadline: deadline))
        if self.timeoutCheck == nil {
            self.checkTimeouts(at: deadline)
        }
        if idle {
            return .now(context)
        }
        if !self.writeScheduled {
            self.writeScheduled = true
            if self.outgoing.capacity == 0 {
                self.outgoing = context.channel.allocator.buffer(capacity: 256)
            }
            context.eventLoop.assumeIsolated().execute {
                self.writeOutgoing()
            }
        }
        return .withTheNextWrite
    }

    private func writeOutgoing() {
        self.writeScheduled = false
        guard let context, !self.failed, self.outgoing.readableBytes > 0 else { return }
        let bytes = self.outgoing
        self.outgoing = ByteBuffer()  // the channel owns the written one until the socket took it
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.fail(.connectionClosed)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        if self.received.readableBytes == 0 {
            self.received = incoming
        } else {
            // What is left is part of one reply: usually a few bytes, moved to the front once
            // the consumed part outweighs it.
            if self.received.readerIndex > self.received.readableBytes {
                self.received.discardReadBytes()
            }
            self.received.writeBuffer(&incoming)
        }
        do {
            while !self.failed, case .value(let reply) = try self.parser.parse(&self.received) {
                self.repliesReceived += 1
                guard let oldest = self.waiting.popFirst() else {
                    self.fail(.protocolViolation("a reply to no command"))
                    return
                }
                oldest.promise.succeed(reply)
            }
        } catch {
            self.fail(.protocolViolation(error.description))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(.connectionClosed)
        self.reportClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Reset by the peer, and the like: the connection is gone either way.
        self.fail(.connectionClosed)
    }

    /// Fails the oldest waiting command with `error` and the rest with `connectionClosed`, and
    /// closes the channel. Only the first failure counts.
    private func fail(_ error: RedisClientError) {
        guard !self.failed else { return }
        self.failed = true
        self.timeoutCheck?.cancel()
        self.timeoutCheck = nil
        // Promise callbacks may send more commands; `failed` makes those fail at once, so the
        // queue only shrinks while it is drained.
        var first = true
        while let entry = self.waiting.popFirst() {
            entry.promise.fail(first ? error : RedisClientError.connectionClosed)
            first = false
        }
        self.context?.close(promise: nil)
    }

    private func reportClose() {
        guard !self.closeReported else { return }
        self.closeReported = true
        let onClose = self.onClose
        self.onClose = nil
        onClose?()
    }

    /// Arms the one timer for `deadline`.
    private func checkTimeouts(at deadline: NIODeadline) {
        guard let context else { return }
        self.timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timeoutCheck = nil
            guard let oldest = self.waiting.first else { return }
            if oldest.deadline <= .now() {
                self.fail(.timedOut)
            } else {
                self.checkTimeouts(at: oldest.deadline)
            }
        }
    }
}

@available(*, unavailable)
extension RedisConnection: Sendable {}
