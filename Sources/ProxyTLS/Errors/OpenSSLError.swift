internal import CSSL

/// A failure reported by OpenSSL, copied out of its per-thread error queue.
///
/// OpenSSL does not return errors; it pushes them onto a queue that belongs to the calling
/// thread. ``drain(while:)`` empties that queue into one Swift value, so the next operation on
/// this thread starts clean and nothing is lost.
public struct OpenSSLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One entry of the queue, oldest first.
    public struct Entry: Hashable, Sendable {
        /// OpenSSL's packed error code.
        public var code: UInt
        /// OpenSSL's own text, e.g. `error:0A00009C:SSL routines::http request`.
        public var reason: String
        /// Where inside OpenSSL the error was raised.
        public var file: String
        public var line: Int
    }

    /// What we were doing, in our words: "performing the TLS handshake".
    public var operation: String
    /// Every queued entry, oldest first. May be empty: some calls fail without queuing anything.
    public var entries: [Entry]

    public var description: String {
        guard !self.entries.isEmpty else {
            return "OpenSSL failed while \(self.operation) (no detail queued)"
        }
        return "OpenSSL failed while \(self.operation): \(self.reasons)"
    }

    /// The reason strings of every entry, joined by `; `.
    public var reasons: String {
        self.entries.map(\.reason).joined(separator: "; ")
    }

    init(operation: String, entries: [Entry]) {
        self.operation = operation
        self.entries = entries
    }

    /// Empties the calling thread's OpenSSL error queue into a new error.
    ///
    /// Call it on the same thread, right after the failing call, with nothing in between that
    /// could touch OpenSSL (and no `await`).
    static func drain(while operation: String) -> OpenSSLError {
        var entries: [Entry] = []
        while true {
            var file: UnsafePointer<CChar>? = nil
            var line: CInt = 0
            let code = ERR_get_error_all(&file, &line, nil, nil, nil)
            if code == 0 { break }
            entries.append(
                Entry(
                    code: code,
                    reason: Self.reasonText(for: code),
                    file: file.map { String(cString: $0) } ?? "?",
                    line: Int(line)
                )
            )
        }
        return OpenSSLError(operation: operation, entries: entries)
    }

    private static func reasonText(for code: UInt) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }
}

/// Empties the calling thread's OpenSSL error queue before a call whose failure will be read
/// from it (``OpenSSLError/drain(while:)``, `SSL_get_error`).
///
/// Looks first: `ERR_clear_error` resets all sixteen slots of the queue (~840 instructions,
/// twice per HTTPS request), and the queue is nearly always empty already, because every failure
/// is drained right after the call that caused it. `SSL_get_error` itself decides by
/// `ERR_peek_error`, so an empty peek is an empty queue for it.
@inline(__always)
func clearErrorQueue() {
    if ERR_peek_error() != 0 {
        ERR_clear_error()
    }
}

/// Runs one OpenSSL call whose documented success value is `1`.
///
/// Clears the queue first, so that whatever ends up in the error belongs to this call.
///
/// - Throws: ``OpenSSLError`` when `call` returns anything other than `1`.
func requireSuccess(_ operation: @autoclosure () -> String, _ call: () -> CInt) throws(OpenSSLError) {
    clearErrorQueue()
    guard call() == 1 else {
        throw OpenSSLError.drain(while: operation())
    }
}

/// Runs one OpenSSL call that returns an owned pointer, or `NULL` on failure.
func requirePointer(_ operation: @autoclosure () -> String, _ call: () -> OpaquePointer?) throws(OpenSSLError)
    -> OpaquePointer
{
    clearErrorQueue()
    guard let pointer = call() else {
        throw OpenSSLError.drain(while: operation())
    }
    return pointer
}
