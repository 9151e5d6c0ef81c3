import NIOCore
import NIOPosix

/// Sends one static file's bytes to a client, never holding the whole file:
/// - a connection that takes a `FileRegion` (plain HTTP/1) gets one, and the kernel copies the
///   bytes (`sendfile`) as the socket takes them;
/// - any other (TLS, an HTTP/2 stream) gets chunks read on the thread pool
///   (`NonBlockingFileIO`), the next one only once the previous one was written and the
///   connection is writable again (``resume()``): at most one chunk in memory per response,
///   plus what the channel buffers up to its high-water mark.
///
/// Owns the file's descriptor from ``init`` on and closes it once, when the bytes are sent,
/// when sending fails, or on ``cancel()``.
///
/// > Important: Event-loop bound: the client connection's loop.
final class StaticFileStream {
    /// The outcome: `nil` when every byte was written, else why it stopped.
    typealias Completion = (_ error: String?) -> Void

    private let handle: NIOFileHandle
    private var offset: Int64
    private var remaining: Int64
    private let chunkBytes: Int
    private let fileIO: NonBlockingFileIO
    private let eventLoop: any EventLoop
    private weak var client: (any ForwardingSessionClient)?
    private var completion: Completion?
    private var reading = false
    private var closed = false
    /// Bytes handed to the client so far.
    private(set) var sentBytes: Int64 = 0

    init(
        descriptor: CInt,
        offset: Int64,
        length: Int64,
        site: StaticSite,
        eventLoop: any EventLoop,
        client: any ForwardingSessionClient,
        completion: @escaping Completion
    ) {
        self.handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        self.offset = offset
        self.remaining = length
        self.chunkBytes = site.chunkBytes
        self.fileIO = NonBlockingFileIO(threadPool: site.threadPool)
        self.eventLoop = eventLoop
        self.client = client
        self.completion = completion
    }

    deinit {
        if !self.closed {
            try? self.handle.close()
        }
    }

    /// Starts sending.
    func start() {
        guard let client = self.client else { return self.finish(error: "client gone") }
        guard client.takesFileRegions else { return self.pump() }
        let region = FileRegion(fileHandle: self.handle, readerIndex: Int(self.offset), endIndex: Int(self.offset + self.remaining))
        let written = self.eventLoop.makePromise(of: Void.self)
        self.sentBytes = self.remaining
        self.remaining = 0
        client.writeResponseFile(region, promise: written)
        // The region's descriptor stays open until the kernel has sent it.
        written.futureResult.assumeIsolated().whenComplete { result in
            self.closeFile()
            if case .failure(let error) = result {
                // A write can fail inside the connection's write call: answer after it.
                self.eventLoop.assumeIsolated().execute {
                    self.report("sendfile: \(error)")
                }
            }
        }
        // The response is complete as far as the session goes: its end follows the region.
        self.report(nil)
    }

    /// The client became writable again: read the next chunk if one is due. Later, not
    /// within the call: writability changes inside the connection's own writes and flushes,
    /// and the end of the response must not be written from there.
    func resume() {
        guard !self.reading, !self.closed else { return }
        self.eventLoop.assumeIsolated().execute {
            self.pump()
        }
    }

    /// The client went away: stop, close the file.
    func cancel() {
        self.completion = nil
        self.remaining = 0
        if !self.reading {
            self.closeFile()
        }
    }

    private func pump() {
        guard !self.reading, !self.closed else { return }
        guard self.remaining > 0 else { return self.finish(error: nil) }
        guard let client = self.client else { return self.finish(error: "client gone") }
        guard client.isWritable else { return }  // ``resume()`` comes when it is
        self.reading = true
        let count = Int(min(Int64(self.chunkBytes), self.remaining))
        self.fileIO.read(
            fileHandle: self.handle,
            fromOffset: self.offset,
            byteCount: count,
            allocator: ByteBufferAllocator(),
            eventLoop: self.eventLoop
        ).assumeIsolated().whenComplete { result in
            self.reading = false
            guard self.completion != nil, let client = self.client else {
                self.closeFile()
                return
            }
            switch result {
            case .success(let chunk):
                guard chunk.readableBytes > 0 else {
                    return self.finish(error: "file shrank while it was sent")
                }
                self.offset += Int64(chunk.readableBytes)
                self.remaining -= Int64(chunk.readableBytes)
                self.sentBytes += Int64(chunk.readableBytes)
                client.writeResponseBody(chunk)
                client.flushResponse()
                self.pump()
            case .failure(let error):
                self.finish(error: "read: \(error)")
            }
        }
    }

    private func finish(error: String?) {
        self.closeFile()
        self.report(error)
    }

    private func report(_ error: String?) {
        guard let completion = self.completion else { return }
        self.completion = nil
        completion(error)
    }

    private func closeFile() {
        guard !self.closed else { return }
        self.closed = true
        try? self.handle.close()
    }
}

@available(*, unavailable)
extension StaticFileStream: Sendable {}
