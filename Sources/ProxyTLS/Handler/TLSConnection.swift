import Logging
import NIOCore
import NIOTLS

/// The TLS logic shared by ``TLSServerHandler`` and ``TLSClientHandler``.
///
/// The handlers forward every pipeline callback here. ``TLSConnectionStateMachine`` decides,
/// ``TLSEngine`` does the cryptography, and this class carries out the I/O: it moves ciphertext
/// to and from the channel, runs the timers and completes write promises.
///
/// > Important: Event-loop bound, like the handlers that own it.
final class TLSConnection {
    enum Side {
        case server(TLSServerContext)
        case client(TLSClientContext, resuming: TLSSession?)
    }

    private let side: Side
    private let logger: Logger
    private let handshakeTimeout: TimeAmount
    private var engine: TLSEngine?
    private var machine = TLSConnectionStateMachine()

    private var handshakeTimer: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    /// Plaintext written but not yet encrypted, with the writers' promises.
    private var pendingWrites: [(data: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
    /// A flush arrived before the handshake finished: encrypt as soon as it does.
    private var flushRequested = false
    /// Plaintext went up the pipeline since the last `channelReadComplete`.
    private var deliveredPlaintext = false
    /// Completed when the channel closes, for whoever called `close`.
    private var closePromise: EventLoopPromise<Void>?
    private var closeIssued = false

    private(set) var summary: TLSHandshakeSummary?
    private let observer: TLSHandshakeObserver?
    /// The default allocator (the one our channels have, and the engine's ciphertext buffers'),
    /// held: the context's channel's allocator getter cost ~130 instructions per read.
    private let allocator = ByteBufferAllocator()
    private(set) var peerCertificateSubject: String?
    private(set) var peerCertificateNames: [String] = []
    /// Kept when the engine is released, so a client can still read it after the channel closed.
    private var savedSession: TLSSession?

    /// How long to wait for the write of our close_notify (or an alert) before closing anyway.
    static let closeGracePeriod = TimeAmount.seconds(2)

    init(side: Side, logger: Logger, observer: TLSHandshakeObserver? = nil) {
        self.side = side
        self.logger = logger
        self.observer = observer
        switch side {
        case .server(let context): self.handshakeTimeout = TimeAmount(context.handshakeTimeout)
        case .client(let context, _): self.handshakeTimeout = TimeAmount(context.configuration.handshakeTimeout)
        }
    }

    private var isClient: Bool {
        if case .client = self.side { return true }
        return false
    }

    var lastSession: TLSSession? {
        self.engine?.receivedSession ?? self.savedSession
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        do {
            switch self.side {
            case .server(let serverContext):
                self.engine = try TLSEngine(server: serverContext)
            case .client(let clientContext, let session):
                self.engine = try TLSEngine(client: clientContext, resuming: session)
            }
        } catch {
            self.logger.error("cannot create a TLS session", metadata: ["error": "\(error)"])
            context.fireErrorCaught(error)
            _ = self.machine.failed()
            self.closeChannel(context: context)
            return
        }
        if context.channel.isActive {
            self.start(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimers()
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
        self.releaseEngine()
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        self.start(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let wasHandshaking = self.machine.state == .handshaking
        _ = self.machine.channelInactive()
        self.cancelTimers()
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
        if wasHandshaking {
            self.logger.debug("connection closed during the TLS handshake", metadata: self.peerMetadata(context))
        }
        if let promise = self.closePromise {
            self.closePromise = nil
            promise.succeed()
        }
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard self.machine.channelActive() == .startHandshake else { return }
        self.handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.handshakeTimeout) {
            self.handshakeTimedOut(context: context)
        }
        self.advanceHandshake(context: context)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, ciphertext: ByteBuffer) {
        guard let engine = self.engine else { return }
        var ciphertext = ciphertext
        switch self.machine.state {
        case .handshaking:
            engine.receive(&ciphertext)
            self.advanceHandshake(context: context)
        case .active, .closing:
            engine.receive(&ciphertext)
            self.readPlaintext(context: context)
        case .idle, .aborting, .closed:
            return  // nothing sensible to do with bytes now
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.deliveredPlaintext {
            self.deliveredPlaintext = false
            context.fireChannelReadComplete()
            return
        }
        // Nothing went up the pipeline, so nobody above will ask for more: ask ourselves.
        if self.machine.state == .handshaking || self.machine.state == .active, !Self.autoRead(context) {
            context.read()
        }
    }

    private static func autoRead(_ context: ChannelHandlerContext) -> Bool {
        (try? context.channel.syncOptions?.getOption(ChannelOptions.autoRead)) ?? true
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        guard let engine = self.engine else { return }
        switch engine.handshake() {
        case .needsIO:
            self.writeCiphertext(context: context)
        case .done:
            self.writeCiphertext(context: context)
            self.completeHandshake(context: context, engine: engine)
        case .closed:
            self.fail(context: context, OpenSSLError(operation: "performing the TLS handshake (peer sent close_notify)", entries: []))
        case .failed(let error):
            self.fail(context: context, error)
        }
    }

    private func completeHandshake(context: ChannelHandlerContext, engine: TLSEngine) {
        guard self.machine.handshakeCompleted() == .completeHandshake else { return }
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
        let summary = engine.summary
        self.summary = summary
        if let peer = engine.peerCertificate {
            self.peerCertificateSubject = peer.subject
            self.peerCertificateNames = peer.alternativeNames.map {
                switch $0 {
                case .dns(let name): name
                case .ip(let address): address
                }
            }
        }
        self.logger.trace(
            "TLS handshake completed",
            metadata: self.peerMetadata(context).merging([
                "tls.version": "\(summary.version)", "tls.cipher": "\(summary.cipher)",
                "tls.sni": "\(summary.serverName ?? "-")", "tls.alpn": "\(summary.applicationProtocol ?? "-")",
                "tls.resumed": "\(summary.resumed)",
            ]) { $1 }
        )
        if summary.applicationProtocol == ACMETLSChallenges.protocolName {
            // A TLS-ALPN-01 validation (RFC 8737 §3): the handshake is the answer; no HTTP follows.
            self.logger.debug("answered an ACME TLS-ALPN-01 validation", metadata: ["tls.sni": "\(summary.serverName ?? "-")"])
            context.close(promise: nil)
            return
        }
        self.observer?.completed(summary)
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: summary.applicationProtocol))
        // Application data may have arrived in the same read as the last handshake message.
        self.readPlaintext(context: context)
        if self.flushRequested && self.machine.state == .active {
            self.flushRequested = false
            self.encryptPending(context: context)
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        guard let engine = self.engine else { return }
        var plaintext = self.allocator.buffer(capacity: 0)
        let step = engine.read(into: &plaintext)
        self.writeCiphertext(context: context)  // e.g. a KeyUpdate answer
        if plaintext.readableBytes > 0 {
            self.deliveredPlaintext = true
            context.fireChannelRead(NIOAny(plaintext))
        }
        switch step {
        case .needsIO, .done:
            break
        case .closed:
            self.peerClosed(context: context)
        case .failed(let error):
            self.fail(context: context, error)
        }
    }

    private func peerClosed(context: ChannelHandlerContext) {
        context.fireUserInboundEventTriggered(TLSUserEvent.shutdownCompleted)
        switch self.machine.peerClosed() {
        case .sendCloseNotifyThenClose:
            self.failPendingWrites(ChannelError.outputClosed)
            self.sendCloseNotifyThenClose(context: context)
        case .closeChannel:
            self.closeChannel(context: context)
        default:
            break
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard self.machine.acceptsWrites else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.pendingWrites.append((plaintext, promise))
    }

    func flush(context: ChannelHandlerContext) {
        switch self.machine.state {
        case .idle, .handshaking:
            self.flushRequested = true
        case .active:
            self.encryptPending(context: context)
        case .closing, .aborting, .closed:
            context.flush()
        }
    }

    /// Encrypts every pending write and sends all the records as one write.
    private func encryptPending(context: ChannelHandlerContext) {
        guard let engine = self.engine, !self.pendingWrites.isEmpty else {
            context.flush()
            return
        }
        var promise: EventLoopPromise<Void>?
        for write in self.pendingWrites {
            if let next = write.promise {
                if let promise { promise.futureResult.cascade(to: next) } else { promise = next }
            }
        }
        let total = self.pendingWrites.reduce(0) { $0 + $1.data.readableBytes }
        engine.expectPlaintext(total, pieces: self.pendingWrites.count)
        let step =
            self.pendingWrites.count == 1
            ? engine.write(self.pendingWrites[0].data)
            : self.encryptGathered(engine: engine, total: total, allocator: context.channel.allocator)
        engine.forgetExpectedPlaintext()
        // Emptied in place (nothing else holds the array), keeping its few slots: a response is
        // usually a head and a body, and this runs for every one of them.
        if self.pendingWrites.capacity <= 4 {
            self.pendingWrites.removeAllKeepingCapacity()
        } else {
            self.pendingWrites = []
        }
        switch step {
        case .done:
            if let ciphertext = engine.pendingCiphertext() {
                context.write(NIOAny(ciphertext), promise: promise)
            } else {
                promise?.succeed()
            }
            context.flush()
        case .failed(let error):
            promise?.fail(error)
            self.fail(context: context, error)
        case .needsIO, .closed:
            let error = OpenSSLError(operation: "writing application data (session not writable)", entries: [])
            promise?.fail(error)
            self.fail(context: context, error)
        }
    }

    /// Several writes: when they fit one record (a response head and a short body) they are
    /// gathered into it; otherwise buffers of 4 KiB or more are encrypted where they are (no
    /// copy) and runs of smaller ones (a chunked body's size lines and short chunks) are
    /// gathered into records of up to 16 KiB, so they do not become a record each. All the
    /// records leave in one socket write.
    private func encryptGathered(engine: TLSEngine, total: Int, allocator: ByteBufferAllocator) -> TLSStep {
        var gathered: ByteBuffer?
        func writeGathered() -> TLSStep {
            guard let bytes = gathered?.readableBytes, bytes > 0 else { return .done }
            let step = engine.write(gathered!)
            gathered!.clear()  // reused for the next run
            return step
        }
        // Everything fits one record: gather it all, whatever the sizes.
        let gatherAll = total <= TLSEngine.maxRecordPlaintext
        for write in self.pendingWrites {
            let size = write.data.readableBytes
            if !gatherAll && size >= Self.directEncryptionBytes {
                let flushed = writeGathered()
                guard case .done = flushed else { return flushed }
                let step = engine.write(write.data)
                guard case .done = step else { return step }
                continue
            }
            if (gathered?.readableBytes ?? 0) + size > TLSEngine.maxRecordPlaintext {
                let flushed = writeGathered()
                guard case .done = flushed else { return flushed }
            }
            if gathered == nil {
                gathered = allocator.buffer(capacity: min(total, TLSEngine.maxRecordPlaintext))
            }
            gathered!.writeImmutableBuffer(write.data)
        }
        return writeGathered()
    }

    /// Buffers at least this large are encrypted in place rather than gathered with others.
    static let directEncryptionBytes = 4096

    /// Writes and flushes whatever ciphertext OpenSSL produced. Returns the write's future.
    @discardableResult
    private func writeCiphertext(context: ChannelHandlerContext) -> EventLoopFuture<Void>? {
        guard let ciphertext = self.engine?.pendingCiphertext() else { return nil }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(ciphertext), promise: promise)
        return promise.futureResult
    }

    // MARK: Closing

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)  // half-closes pass through untouched
            return
        }
        switch self.machine.closeRequested() {
        case .closeChannel:
            self.cancelTimers()
            self.failPendingWrites(ChannelError.ioOnClosedChannel)
            self.addClosePromise(promise)
            self.closeChannel(context: context)
        case .sendCloseNotifyThenClose:
            self.failPendingWrites(ChannelError.ioOnClosedChannel)
            self.addClosePromise(promise)
            self.sendCloseNotifyThenClose(context: context)
        default:
            if self.closeIssued {
                context.close(mode: mode, promise: promise)
            } else {
                self.addClosePromise(promise)
            }
        }
    }

    private func addClosePromise(_ promise: EventLoopPromise<Void>?) {
        guard let promise else { return }
        if let existing = self.closePromise {
            existing.futureResult.cascade(to: promise)
        } else {
            self.closePromise = promise
        }
    }

    private func sendCloseNotifyThenClose(context: ChannelHandlerContext) {
        guard let engine = self.engine, engine.shutdown() == .done else {
            self.closeChannel(context: context)
            return
        }
        self.flushThenClose(context: context)
    }

    /// Sends what OpenSSL has queued (close_notify or an alert), then closes the channel once
    /// that write completes, or after ``closeGracePeriod`` if the peer does not read.
    private func flushThenClose(context: ChannelHandlerContext) {
        guard let written = self.writeCiphertext(context: context) else {
            self.closeChannel(context: context)
            return
        }
        written.assumeIsolated().whenComplete { _ in
            self.closeChannel(context: context)
        }
        // Usually the socket took the write at once and the channel is already closing: no
        // timer to schedule (and cancel) for every connection.
        guard !self.closeIssued else { return }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeGracePeriod) {
            self.closeChannel(context: context)
        }
        // A loop that is shutting down refuses new timers; then close at once, or the channel
        // (and the loop's shutdown) would wait forever for a peer that does not read.
        timer.futureResult.assumeIsolated().whenFailure { error in
            if case EventLoopError.shutdown = error {
                self.closeChannel(context: context)
            }
        }
        self.closeTimer = timer
    }

    private func closeChannel(context: ChannelHandlerContext) {
        guard !self.closeIssued else { return }
        self.closeIssued = true
        self.cancelTimers()
        let promise = self.closePromise
        self.closePromise = nil
        context.close(mode: .all, promise: promise)
    }

    // MARK: Failures

    private func handshakeTimedOut(context: ChannelHandlerContext) {
        self.handshakeTimer = nil
        guard self.machine.handshakeTimedOut() == .abort else { return }
        self.logger.debug(
            "TLS handshake timed out",
            metadata: self.peerMetadata(context).merging(["timeout": "\(self.handshakeTimeout)"]) { $1 }
        )
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
        if !self.isClient {
            self.observer?.failed("timed out")
        }
        self.closeChannel(context: context)
    }

    /// The handshake or the session failed: flush OpenSSL's alert, log one line, close.
    ///
    /// A server does not fire `errorCaught`: failed handshakes are the client's doing (scanners,
    /// plain HTTP, old clients). A client does, so whoever opened the connection learns why.
    private func fail(context: ChannelHandlerContext, _ error: OpenSSLError) {
        let duringHandshake = self.machine.state == .handshaking
        guard self.machine.failed() == .abort else { return }
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
        let level = duringHandshake ? TLSHandshakeFailureLevel.level(for: error) : .debug
        self.logger.log(
            level: level,
            duringHandshake ? "TLS handshake failed" : "TLS session failed",
            metadata: self.peerMetadata(context).merging(["reason": "\(error.entries.isEmpty ? error.description : error.reasons)"]) { $1 }
        )
        self.failPendingWrites(error)
        if self.isClient {
            context.fireErrorCaught(error)
        } else if duringHandshake {
            let reason = error.entries.isEmpty ? error.description : error.reasons
            self.observer?.failed(reason)
        }
        self.flushThenClose(context: context)
    }

    private func failPendingWrites(_ error: any Error) {
        let writes = self.pendingWrites
        self.pendingWrites.removeAll()
        for write in writes { write.promise?.fail(error) }
    }

    private func cancelTimers() {
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
        self.closeTimer?.cancel()
        self.closeTimer = nil
    }

    private func releaseEngine() {
        if let session = self.engine?.receivedSession { self.savedSession = session }
        self.engine = nil
    }

    private func peerMetadata(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["peer": "\(context.channel.remoteAddress?.description ?? "unknown")"]
    }
}
