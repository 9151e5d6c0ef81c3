internal import CSSL
import NIOCore

/// One TLS session run entirely in memory.
///
/// Ciphertext goes in and out through ``CiphertextBuffers`` (a custom BIO over `ByteBuffer`s), so
/// the channel handler that owns the engine decides when the socket is read or written. The
/// engine does no I/O, never blocks,
/// and is confined to one event loop.
final class TLSEngine {
    enum Role {
        case server
        case client
    }

    /// Owned `SSL *`. After `SSL_set_bio` it also owns the BIO.
    private let ssl: OpaquePointer
    /// Ciphertext both ways; the `SSL`'s BIO points at it.
    private let ciphertext: CiphertextBuffers
    /// Keeps the `SSL_CTX` owners alive: their callbacks reach them through unretained pointers.
    private let contextOwner: AnyObject
    /// Client role: the newest session the server issued (set by the new-session callback).
    var receivedSession: TLSSession?

    /// Largest plaintext one `SSL_read_ex` can return (one TLS record).
    private static let recordSize = 16_384
    private static let minimumReadRoom = 1_024

    private init(role: Role, sslContext: OpaquePointer, owner: AnyObject) throws(OpenSSLError) {
        let ssl = try requirePointer("creating a TLS session") { SSL_new(sslContext) }
        let buffers = CiphertextBuffers(allocator: ByteBufferAllocator())
        guard let bio = CiphertextBIO.make(over: buffers) else {
            SSL_free(ssl)
            throw OpenSSLError.drain(while: "allocating the ciphertext BIO")
        }
        SSL_set_bio(ssl, bio, bio)  // one BIO both ways: its one reference moves to `ssl`
        self.ssl = ssl
        self.ciphertext = buffers
        self.contextOwner = owner
        // Unretained: `ssl` never outlives this object (deinit frees it).
        _ = CSSL_SSL_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
        switch role {
        case .server: SSL_set_accept_state(ssl)
        case .client: SSL_set_connect_state(ssl)
        }
    }

    convenience init(server context: TLSServerContext) throws(OpenSSLError) {
        try self.init(role: .server, sslContext: context.defaultContext.pointer, owner: context)
    }

    convenience init(client context: TLSClientContext, resuming session: TLSSession?) throws(OpenSSLError) {
        try self.init(role: .client, sslContext: context.context.pointer, owner: context)
        let configuration = context.configuration
        if let name = configuration.serverName {
            let isIPAddress = IPAddressText.isIPAddress(name)
            if !isIPAddress {
                try requireSuccess("setting the SNI name \(name)") { CInt(CSSL_SSL_set_tlsext_host_name(self.ssl, name)) }
            }
            if configuration.verifiesPeer && configuration.verifiesHostname {
                if isIPAddress {
                    try requireSuccess("setting the expected IP address \(name)") {
                        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(self.ssl), name)
                    }
                } else {
                    try requireSuccess("setting the expected host name \(name)") { SSL_set1_host(self.ssl, name) }
                }
            }
        }
        if let session {
            clearErrorQueue()
            guard session.withSessionPointer({ SSL_set_session(self.ssl, $0) }) == 1 else {
                throw OpenSSLError.drain(while: "offering a saved session")
            }
        }
    }

    deinit {
        SSL_free(self.ssl)  // also frees the BIO, before `ciphertext` goes
    }

    /// Finds the engine of an `SSL *` from inside an OpenSSL callback.
    static func owner(of ssl: OpaquePointer) -> TLSEngine? {
        guard let raw = CSSL_SSL_get_app_data(ssl) else { return nil }
        return Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: Ciphertext

    /// Hands ciphertext read from the socket to OpenSSL. Consumes all of `ciphertext` (kept as
    /// it is, not copied, until OpenSSL has read it).
    func receive(_ ciphertext: inout ByteBuffer) {
        guard ciphertext.readableBytes > 0 else { return }
        if self.ciphertext.inbound == nil {
            self.ciphertext.inbound = ciphertext
        } else {
            self.ciphertext.inbound!.writeImmutableBuffer(ciphertext)
        }
        ciphertext.moveReaderIndex(to: ciphertext.writerIndex)
    }

    /// Takes the ciphertext OpenSSL has produced so far, or returns `nil` if there is none.
    func pendingCiphertext() -> ByteBuffer? {
        let out = self.ciphertext.outbound
        self.ciphertext.outbound = nil
        return out
    }

    // MARK: Steps

    /// Advances the handshake as far as the ciphertext received so far allows.
    func handshake() -> TLSStep {
        clearErrorQueue()
        let rc = SSL_do_handshake(self.ssl)
        return rc == 1 ? .done : self.classify(rc, while: "performing the TLS handshake")
    }

    /// Decrypts every complete record received so far and appends the plaintext to `plaintext`.
    ///
    /// Returns `.needsIO` once OpenSSL wants more ciphertext, `.closed` when the peer's
    /// close_notify arrived (plaintext before it is already in `plaintext`), `.failed` otherwise.
    func read(into plaintext: inout ByteBuffer) -> TLSStep {
        // Room for what the received ciphertext can hold (a small request is one small record),
        // not a whole record's 16 KiB per read.
        var room = min(max(self.bufferedInput, Self.minimumReadRoom), Self.recordSize)
        while true {
            clearErrorQueue()
            var rc: CInt = 0
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { space in
                var count = 0
                rc = SSL_read_ex(self.ssl, space.baseAddress, space.count, &count)
                return rc == 1 ? count : 0
            }
            guard rc == 1 else {
                return self.classify(rc, while: "reading application data")
            }
            // Nothing received is left: another SSL_read would only say it wants more (and its
            // room would grow the buffer for nothing).
            let left = self.bufferedInput
            if left == 0 && SSL_has_pending(self.ssl) == 0 { return .needsIO }
            room = min(max(left, 1), Self.recordSize)
        }
    }

    /// Ciphertext received and not yet read by OpenSSL, plus plaintext it has decrypted and not
    /// yet handed out.
    private var bufferedInput: Int {
        (self.ciphertext.inbound?.readableBytes ?? 0) + Int(SSL_pending(self.ssl))
    }

    /// Sizes the buffer the next records go into for `plaintextBytes` of application data
    /// (record headers and AEAD tags included), so it is allocated once.
    /// `pieces` is how many writes the bytes come in (each may end a record early).
    func expectPlaintext(_ plaintextBytes: Int, pieces: Int = 1) {
        let records = plaintextBytes / Self.maxRecordPlaintext + pieces
        self.ciphertext.outboundCapacityHint = plaintextBytes + records * Self.recordOverhead
    }

    /// Drops an ``expectPlaintext(_:pieces:)`` the writes did not use (they failed early), so a
    /// later alert or close_notify does not get a buffer of that size.
    func forgetExpectedPlaintext() {
        self.ciphertext.outboundCapacityHint = 0
    }

    /// TLS's largest record payload.
    static let maxRecordPlaintext = 16 * 1024
    /// Header (5), content type (1, TLS 1.3) and AEAD tag (16), with room for a TLS 1.2 nonce.
    static let recordOverhead = 32

    /// Encrypts all of `plaintext`. With memory BIOs a write never stops half-way.
    func write(_ plaintext: ByteBuffer) -> TLSStep {
        guard plaintext.readableBytes > 0 else { return .done }
        clearErrorQueue()
        var written = 0
        let rc = plaintext.withUnsafeReadableBytes { bytes in
            SSL_write_ex(self.ssl, bytes.baseAddress, bytes.count, &written)
        }
        guard rc == 1 else { return self.classify(rc, while: "writing application data") }
        precondition(written == plaintext.readableBytes, "SSL_write_ex wrote part of the plaintext")
        return .done
    }

    /// Queues our close_notify. `.done` means it is ready in ``pendingCiphertext()``.
    func shutdown() -> TLSStep {
        clearErrorQueue()
        let rc = SSL_shutdown(self.ssl)
        return rc >= 0 ? .done : self.classify(rc, while: "sending close_notify")
    }

    private func classify(_ rc: CInt, while operation: String) -> TLSStep {
        switch SSL_get_error(self.ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needsIO
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            return .failed(.drain(while: operation))
        }
    }

    // MARK: What was negotiated

    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>? = nil
        var length: CUnsignedInt = 0
        SSL_get0_alpn_selected(self.ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    var summary: TLSHandshakeSummary {
        TLSHandshakeSummary(
            version: String(cString: SSL_get_version(self.ssl)),
            cipher: SSL_get_current_cipher(self.ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "",
            serverName: SSL_get_servername(self.ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) },
            applicationProtocol: self.negotiatedProtocol,
            resumed: SSL_session_reused(self.ssl) == 1
        )
    }

    /// The certificate the peer presented, if any.
    var peerCertificate: TLSCertificate? {
        SSL_get0_peer_certificate(self.ssl).map { TLSCertificate(retaining: $0) }
    }
}
