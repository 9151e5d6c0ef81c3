/// The outcome of one non-blocking step of a ``TLSEngine``.
enum TLSStep: Equatable {
    /// OpenSSL needs more ciphertext from the peer (or has output to flush first).
    case needsIO
    /// The step finished.
    case done
    /// The peer sent close_notify.
    case closed
    /// The session is unusable. Send what ``TLSEngine/pendingCiphertext()`` holds
    /// (often an alert), then close.
    case failed(OpenSSLError)
}
