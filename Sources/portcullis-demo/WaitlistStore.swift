import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The demo's "database": an append-only file with one JSON line per signup, shared by all instances.
///
/// The file is opened with `O_APPEND`, so each `write(2)` lands whole at the current end of the file
/// even while other threads and processes append too. `append` calls `fsync` before it reports
/// success, and the handler answers 201 only then: an acknowledged signup is on disk. Both calls
/// block, so they run on a small thread pool, never on an event loop.
final class WaitlistStore: Sendable {
    private let fd: CInt
    private let threadPool: NIOThreadPool

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "open(\(path))") }
        threadPool = NIOThreadPool(numberOfThreads: 4)
        threadPool.start()
    }

    /// Appends `entry` as one line with a single `write(2)`, then `fsync`s. The future completes on `eventLoop`.
    func append(_ entry: WaitlistEntry, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let line = Array(entry.jsonLine.utf8)
        return threadPool.runIfActive(eventLoop: eventLoop) { [fd] in
            let written = line.withUnsafeBytes { bytes in
                Self.retryingOnInterrupt { write(fd, bytes.baseAddress, bytes.count) }
            }
            guard written == line.count else {
                // A short write (disk full) leaves a torn line; it is not acknowledged either way.
                throw IOError(errnoCode: written < 0 ? errno : EIO, reason: "write")
            }
            guard Self.retryingOnInterrupt({ fsync(fd) }) == 0 else {
                throw IOError(errnoCode: errno, reason: "fsync")
            }
        }
    }

    /// Waits for appends in progress, then closes the file.
    func shutdown() async throws {
        try await threadPool.shutdownGracefully()
        _ = close(fd)
    }

    private static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
