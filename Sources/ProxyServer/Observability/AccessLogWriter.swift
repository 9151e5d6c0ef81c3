#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Synchronization
import NIOConcurrencyHelpers
import ProxyCore

/// Writes access-log lines to standard output or a file, buffered like nginx's `access_log …
/// buffer=64k flush=…`: event loops only append formatted lines to memory; a serial queue of its
/// own writes them out when 64 KiB have gathered or at the next ``flush()`` (the server asks
/// every 200 ms). An event loop therefore never waits for a disk or for a stalled reader of
/// standard output; if the writer falls more than 16 MiB behind, new lines are dropped and
/// counted instead of growing memory without bound.
///
/// ``reopen()`` closes and reopens the file: log rotation moves the file away, then sends
/// SIGUSR1. ``configure(_:)`` switches format, destination or on/off (configuration reload).
/// Both run on the writer's queue, so no write ever races a file being closed.
final class AccessLogWriter: Sendable {
    struct Settings: Sendable, Equatable {
        var enabled: Bool
        var format: AccessLogFormatter.Format
        /// `nil`: standard output.
        var path: String?
        /// ANSI colours in `dev` lines.
        var colour = false
    }

    /// Whether colours suit standard output: it is a terminal and `NO_COLOR` is unset or empty
    /// (https://no-color.org).
    static func standardOutputWantsColour() -> Bool {
        let noColour = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        return isatty(STDOUT_FILENO) == 1 && !noColour
    }

    /// What event loops touch, under the lock.
    private struct Pending {
        var settings: Settings
        var formatter: AccessLogFormatter
        var buffer: [UInt8] = []
        var flushScheduled = false
        var dropped = 0
    }

    private static let flushThreshold = 64 * 1024
    private static let maximumBuffered = 16 * 1024 * 1024
    private let pending: NIOLockedValueBox<Pending>
    /// The file descriptor; read and changed only on `queue`.
    private let descriptor = NIOLockedValueBox<Int32>(STDOUT_FILENO)
    private let queue = DispatchQueue(label: "portcullis.access-log")
    /// `settings.enabled`, readable without the lock (event loops ask on every request).
    private let enabled: Synchronization.Atomic<Bool>

    /// Whether lines are written at all.
    var isEnabled: Bool { self.enabled.load(ordering: .relaxed) }

    /// - Throws: ``AccessLogError`` when the file cannot be opened.
    init(settings: Settings) throws {
        self.pending = NIOLockedValueBox(Pending(settings: settings, formatter: AccessLogFormatter(format: settings.format, colour: settings.colour)))
        self.enabled = Synchronization.Atomic(settings.enabled)
        if let path = settings.path {
            let descriptor = try Self.open(path)
            self.descriptor.withLockedValue { $0 = descriptor }
        }
    }

    /// Lines dropped because the writer fell behind.
    var droppedLines: Int { self.pending.withLockedValue { $0.dropped } }

    /// Applies new settings; the file is (re)opened when the path changed.
    func configure(_ settings: Settings) throws {
        try self.queue.sync {
            self.writeOut()
            let current = self.pending.withLockedValue { $0.settings }
            if settings.path != current.path {
                let descriptor = try settings.path.map(Self.open) ?? STDOUT_FILENO
                self.replaceDescriptor(with: descriptor)
            }
            self.pending.withLockedValue {
                $0.settings = settings
                $0.formatter = AccessLogFormatter(format: settings.format, colour: settings.colour)
            }
            self.enabled.store(settings.enabled, ordering: .relaxed)
        }
    }

    /// Reopens the file (after log rotation). Standard output is left alone.
    func reopen() throws {
        try self.queue.sync {
            self.writeOut()
            guard let path = self.pending.withLockedValue({ $0.settings.path }) else { return }
            self.replaceDescriptor(with: try Self.open(path))
        }
    }

    /// Called on event loops: formats and buffers; never writes.
    func write(_ record: borrowing RequestRecord) {
        guard self.isEnabled else { return }  // checked again under the lock: a reload may race
        let now = Self.unixMilliseconds()
        let scheduleFlush = self.pending.withLockedValue { pending -> Bool in
            guard pending.settings.enabled else { return false }
            guard pending.buffer.count < Self.maximumBuffered else {
                pending.dropped += 1
                return false
            }
            pending.buffer.append(contentsOf: pending.formatter.line(for: record, unixMilliseconds: now).utf8)
            pending.buffer.append(UInt8(ascii: "\n"))
            guard pending.buffer.count >= Self.flushThreshold, !pending.flushScheduled else { return false }
            pending.flushScheduled = true
            return true
        }
        if scheduleFlush {
            self.queue.async { self.writeOut() }
        }
    }

    /// Asks the writer to write what is buffered (without waiting).
    func flush() {
        self.queue.async { self.writeOut() }
    }

    /// Writes what is buffered, waits for it, and closes the file.
    func close() {
        self.queue.sync {
            self.writeOut()
            self.replaceDescriptor(with: STDOUT_FILENO)
        }
    }

    /// On `queue`.
    private func writeOut() {
        let bytes = self.pending.withLockedValue { pending -> [UInt8] in
            pending.flushScheduled = false
            defer { pending.buffer = [] }
            return pending.buffer
        }
        guard !bytes.isEmpty else { return }
        let descriptor = self.descriptor.withLockedValue { $0 }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    break  // A full disk must not take the proxy down; the lines are lost.
                }
                offset += written
            }
        }
    }

    /// On `queue`.
    private func replaceDescriptor(with descriptor: Int32) {
        let old = self.descriptor.withLockedValue { current in
            defer { current = descriptor }
            return current
        }
        if old != STDOUT_FILENO && old != descriptor { _ = Glibc.close(old) }
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw AccessLogError(path: path, reason: String(cString: strerror(errno)))
        }
        return descriptor
    }

    private static func unixMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// The access-log file cannot be opened.
public struct AccessLogError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot open access log \(self.path): \(self.reason)" }
}
