internal import CSSL

/// Owns one `SSL_CTX`. `deinit` frees it.
///
/// A configured `SSL_CTX` is safe to share between threads as long as nobody changes it after
/// connections start using it. Owners configure it completely before any `SSL_new`, so the
/// handle is `@unchecked Sendable`.
final class SSLContextHandle: @unchecked Sendable {
    /// Owned `SSL_CTX *`. Borrow it only while this handle is alive.
    let pointer: OpaquePointer

    init(method: OpaquePointer) throws(OpenSSLError) {
        self.pointer = try requirePointer("creating an SSL_CTX") { SSL_CTX_new(method) }
    }

    deinit {
        SSL_CTX_free(self.pointer)
    }
}
