import NIOCore
import NIOHTTP1

/// The client of a background revalidation (`stale-while-revalidate`): a forwarding session of
/// its own sends the request, the cache keeps what comes back, and this drops what would go to
/// a client. It holds its session until the response has ended (or failed).
///
/// > Important: Event-loop bound: its session's loop.
final class CacheRevalidationClient: ForwardingSessionClient {
    var session: ForwardingSession?
    let peerAddress: String?

    init(peerAddress: String?) {
        self.peerAddress = peerAddress
    }

    var isWritable: Bool { true }
    var takesFileRegions: Bool { false }
    func writeResponseHead(_ head: ClientResponseHead) {}
    func writeResponseBody(_ body: ByteBuffer) {}
    func writeResponseFile(_ region: FileRegion, promise: EventLoopPromise<Void>) { promise.succeed() }
    func writeResponseEnd(trailers: HTTPHeaders?) { self.release() }
    func flushResponse() {}
    func resumeRequestReads() {}
    func startTunnel() {}
    func writeTunnel(_ bytes: ByteBuffer) {}
    func closeConnection() { self.release() }

    /// Ends the cycle with the session (it lets go of this client too).
    private func release() {
        guard let session = self.session else { return }
        self.session = nil
        session.client = nil
    }
}
