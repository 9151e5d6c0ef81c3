internal import CSSL

/// A TLS session a client received from a server, kept to resume a later connection.
///
/// Get one from ``TLSClientHandler/lastSession`` after a handshake (for TLS 1.3 it arrives
/// shortly after the handshake, with the server's first records) and pass it to a new
/// ``TLSClientHandler`` to resume. Owns one `SSL_SESSION` reference; `deinit` frees it.
public final class TLSSession {
    /// Owned `SSL_SESSION *`.
    private let session: OpaquePointer

    init(adopting session: OpaquePointer) {
        self.session = session
    }

    deinit {
        SSL_SESSION_free(self.session)
    }

    func withSessionPointer<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.session)
    }

    /// Whether the session carries what a resumption needs (a ticket or an id).
    public var isResumable: Bool {
        SSL_SESSION_is_resumable(self.session) == 1
    }

    /// The protocol version the session was made with, such as `TLSv1.3`.
    public var protocolVersion: String {
        switch SSL_SESSION_get_protocol_version(self.session) {
        case TLS1_3_VERSION: "TLSv1.3"
        case TLS1_2_VERSION: "TLSv1.2"
        case let other: "0x\(String(other, radix: 16))"
        }
    }
}

// An SSL_SESSION is reference counted with atomic counts and is not changed after the client
// stores it, so a session may be handed to a connection on another event loop.
extension TLSSession: @unchecked Sendable {}
