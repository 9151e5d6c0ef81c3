import NIOCore
import NIOHTTP2

/// One prior-knowledge HTTP/2 connection to a target: the handler after swift-nio-http2's
/// `NIOHTTP2Handler` (which owns frames, HPACK, flow control and the streams). It counts the
/// streams it carries, takes the target's SETTINGS_MAX_CONCURRENT_STREAMS, and stops taking
/// streams on the target's GOAWAY. swift-nio-http2 then closes the streams above its last stream
/// id (with CANCEL, after this handler has read the GOAWAY); ``goAwayLastStreamID`` lets those
/// streams tell that the target never processed them (``UpstreamStreamRefused``), so the session
/// sends their requests again on another connection. The streams below finish.
///
/// ```
/// socket ─ NIOHTTP2Handler(client) ─ H2CUpstreamConnection
///                  └─ stream channel ─ H2CUpstreamStream   (one per request)
/// ```
///
/// > Important: Event-loop bound: only its ``H2CUpstreamPool`` and its streams touch it.
final class H2CUpstreamConnection: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    enum State {
        case connecting
        case ready(NIOHTTP2Handler.StreamMultiplexer)
        /// GOAWAY received or sent: no new streams; closes when the last one ends.
        case goingAway
        case closed
    }

    let target: Target
    private(set) var state = State.connecting
    /// Streams leased on it (opened or being opened), the lease waiting for the connect included.
    private(set) var streams = 0
    /// The configured cap, lowered to the target's SETTINGS_MAX_CONCURRENT_STREAMS.
    private(set) var maxStreams: Int
    /// The lowest last stream id of the target's GOAWAYs: streams above it were not processed.
    private(set) var goAwayLastStreamID: HTTP2StreamID?
    /// When it was last left without a stream (for the pool's idle sweep).
    var idleSince: NIODeadline
    /// Leases waiting for the connect.
    var waiting: [(H2CUpstreamStream, (Result<any UpstreamLink, UpstreamError>) -> Void)] = []
    private var channel: (any Channel)?

    init(target: Target, maxStreams: Int, now: NIODeadline) {
        self.target = target
        self.maxStreams = max(1, maxStreams)
        self.idleSince = now
    }

    /// Whether it takes one more stream now or once connected.
    var hasRoom: Bool {
        switch self.state {
        case .connecting, .ready: self.streams < self.maxStreams
        case .goingAway, .closed: false
        }
    }

    var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    func reserve() {
        self.streams += 1
    }

    func connected(_ channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer) {
        guard case .connecting = self.state else { return }
        self.channel = channel
        self.state = .ready(multiplexer)
    }

    /// Opens a stream for `stream` (reserved before) and hands it to `completion`.
    func open(_ stream: H2CUpstreamStream, completion: @escaping (Result<any UpstreamLink, UpstreamError>) -> Void) {
        guard case .ready(let multiplexer) = self.state, let channel = self.channel else {
            self.streamEnded()
            completion(.failure(.closedBeforeResponse(self.target, "connection going away")))
            return
        }
        stream.connection = self
        let loopBound = NIOLoopBound(stream, eventLoop: channel.eventLoop)
        let promise = channel.eventLoop.makePromise(of: (any Channel).self)
        multiplexer.createStreamChannel(promise: promise) { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                try streamChannel.pipeline.syncOperations.addHandler(loopBound.value)
            }
        }
        promise.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let streamChannel):
                streamChannel.closeFuture.assumeIsolated().whenComplete { _ in self.streamEnded() }
                completion(.success(stream))
            case .failure(let error):
                self.streamEnded()
                completion(.failure(.connectFailed(self.target, error)))
            }
        }
    }

    /// A stream (or a reservation) ended.
    func streamEnded() {
        self.streams = max(0, self.streams - 1)
        if self.streams == 0 {
            self.idleSince = self.channel?.eventLoop.now ?? .now()
            if case .goingAway = self.state { self.close() }
        }
    }

    func close() {
        if case .closed = self.state { return }
        if self.channel == nil { return }
        self.channel?.close(promise: nil)
    }

    /// The connection closed (or its connect failed): no more streams.
    func markClosed() {
        self.state = .closed
        self.channel = nil
    }

    // MARK: ChannelHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.payload {
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .maxConcurrentStreams {
                self.maxStreams = max(1, min(self.maxStreams, setting.value))
            }
        case .goAway(let lastStreamID, _, _):
            // A later GOAWAY may only lower it (RFC 9113 §6.8).
            self.goAwayLastStreamID = min(self.goAwayLastStreamID ?? lastStreamID, lastStreamID)
            if case .ready = self.state {
                self.state = .goingAway
            }
            if self.streams == 0 { context.close(promise: nil) }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // swift-nio-http2 reports here both a stream's error (after its RST_STREAM: that stream
        // alone fails) and a connection error (after its GOAWAY). Neither may cut the other
        // streams short: the connection takes no new stream and closes when the last one ends.
        if case .ready = self.state {
            self.state = .goingAway
        }
        if self.streams == 0 { context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension H2CUpstreamConnection: Sendable {}
