#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import NIOConcurrencyHelpers
import ProxyCore

/// Writes access-log lines to standard output or a file, buffered like nginx's `access_log …
/// buffer=64k flush=…`: lines collect in memory and are written when 64 KiB have gathered or at
/// the next ``flush()`` (the server calls it every 200 ms), so a request never waits for a disk.
///
/// ``reopen()`` closes and reopens the file: log rotation moves the file away, then sends
/// SIGUSR1. ``configure(_:)`` switches format, destination or on/off (configuration reload).
final class AccessLogWriter: Sendable {
    struct Settings: Sendable, Equatable {
        var enabled: Bool
        var format: AccessLogFormatter.Format
        /// `nil`: standard output.
        var path: String?
    }

    private struct State {
        var settings: Settings
        var formatter: AccessLogFormatter
        var descriptor: Int32 = STDOUT_FILENO
        var buffer: [UInt8] = []
        var lastError: String?
    }

    private static let flushThreshold = 64 * 1024
    private let state: NIOLockedValueBox<State>

    /// - Throws: ``AccessLogError`` when the file cannot be opened.
    init(settings: Settings) throws {
        self.state = NIOLockedValueBox(State(settings: settings, formatter: AccessLogFormatter(format: settings.format)))
        try self.configure(settings)
    }

    /// Applies new settings; the file is (re)opened when the path changed.
    func configure(_ settings: Settings) throws {
        try self.state.withLockedValue { state in
            Self.writeOut(&state)
            if settings.path != state.settings.path || (settings.path != nil && state.descriptor == STDOUT_FILENO) {
                let descriptor = try settings.path.map(Self.open) ?? STDOUT_FILENO
                if state.descriptor != STDOUT_FILENO { _ = Glibc.close(state.descriptor) }
                state.descriptor = descriptor
            }
            state.settings = settings
            state.formatter = AccessLogFormatter(format: settings.format)
        }
    }

    /// Reopens the file (after log rotation). Standard output is left alone.
    func reopen() throws {
        try self.state.withLockedValue { state in
            Self.writeOut(&state)
            guard let path = state.settings.path else { return }
            let descriptor = try Self.open(path)
            if state.descriptor != STDOUT_FILENO { _ = Glibc.close(state.descriptor) }
            state.descriptor = descriptor
        }
    }

    var isEnabled: Bool { self.state.withLockedValue { $0.settings.enabled } }

    func write(_ record: RequestRecord) {
        let now = Self.unixMilliseconds()
        self.state.withLockedValue { state in
            guard state.settings.enabled else { return }
            state.buffer.append(contentsOf: state.formatter.line(for: record, unixMilliseconds: now).utf8)
            state.buffer.append(UInt8(ascii: "\n"))
            if state.buffer.count >= Self.flushThreshold {
                Self.writeOut(&state)
            }
        }
    }

    /// Writes what is buffered.
    func flush() {
        self.state.withLockedValue { Self.writeOut(&$0) }
    }

    func close() {
        self.state.withLockedValue { state in
            Self.writeOut(&state)
            if state.descriptor != STDOUT_FILENO {
                _ = Glibc.close(state.descriptor)
                state.descriptor = STDOUT_FILENO
            }
        }
    }

    private static func writeOut(_ state: inout State) {
        guard !state.buffer.isEmpty else { return }
        let descriptor = state.descriptor
        state.buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    break  // A full disk must not take the proxy down; the lines are lost.
                }
                offset += written
            }
        }
        state.buffer.removeAll(keepingCapacity: true)
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
