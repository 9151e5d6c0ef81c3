internal import CSSL

/// The calling thread's OpenSSL error queue, as ProxyTLS uses it: cleared before a call whose
/// failure matters, drained right after a failure, on the same thread, with no `await` between.
///
/// ProxyAuth does not import ProxyTLS (which brings NIO), so it keeps this small copy of
/// ProxyTLS's `OpenSSLError.drain(while:)` and `clearErrorQueue()`.
enum OpenSSLErrorQueue {
    /// Empties the queue before a call. Looks first: the queue is nearly always empty already,
    /// and `ERR_clear_error` resets every slot.
    @inline(__always)
    static func clear() {
        if ERR_peek_error() != 0 {
            ERR_clear_error()
        }
    }

    /// Empties the queue after a failed call and returns OpenSSL's reasons, oldest first, joined
    /// by `; ` (or `no detail queued`).
    static func drainReasons() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            reasons.append(
                withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
                    ERR_error_string_n(code, buffer.baseAddress, buffer.count)
                    return String(cString: buffer.baseAddress!)
                }
            )
        }
        return reasons.isEmpty ? "no detail queued" : reasons.joined(separator: "; ")
    }

    /// Empties the queue after a failure on the request path, where the reason is not logged:
    /// the outcome (a refused token) says all the caller needs.
    @inline(__always)
    static func discard() {
        ERR_clear_error()
    }
}
