internal import CSSL

/// The OpenSSL state shared by TLS client connections: one `SSL_CTX`, trust roots, ALPN offer.
///
/// `@unchecked Sendable` because the `SSL_CTX` is fully configured in `init` and never changed
/// afterwards, which OpenSSL allows sharing between threads.
///
/// > Important: Does blocking disk I/O (trust roots). Don't create it on an event loop.
public final class TLSClientContext: @unchecked Sendable {
    let context: SSLContextHandle
    let configuration: TLSClientConfiguration

    /// - Throws: ``TLSConfigurationError`` naming the trust-root file when it cannot be read or
    ///   holds no certificate, or naming the setting when ALPN names are invalid.
    public init(configuration: TLSClientConfiguration) throws {
        let wire = try Self.alpnWireFormat(configuration.applicationProtocols)
        let handle = try SSLContextHandle(method: TLS_client_method())
        let ctx = handle.pointer
        if let minimum = configuration.minimumVersion {
            try requireSuccess("setting the minimum TLS version") {
                CInt(CSSL_SSL_CTX_set_min_proto_version(ctx, minimum.openSSLValue))
            }
        }
        if let maximum = configuration.maximumVersion {
            try requireSuccess("setting the maximum TLS version") {
                CInt(CSSL_SSL_CTX_set_max_proto_version(ctx, maximum.openSSLValue))
            }
            if maximum < .tls12 {
                // Legacy versions need SHA-1 and other things security level 1+ forbids.
                SSL_CTX_set_security_level(ctx, 0)
                _ = CSSL_SSL_CTX_set_min_proto_version(ctx, configuration.minimumVersion?.openSSLValue ?? TLS1_VERSION)
                _ = SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0")
            }
        }
        SSL_CTX_set_options(ctx, CSSL_SSL_OP_NO_COMPRESSION() | CSSL_SSL_OP_NO_RENEGOTIATION())
        if !configuration.sessionTickets { SSL_CTX_set_options(ctx, CSSL_SSL_OP_NO_TICKET()) }
        _ = CSSL_SSL_CTX_set_mode(ctx, Int(SSL_MODE_RELEASE_BUFFERS))

        if let path = configuration.trustRootsPEMPath {
            guard !TLSCertificate.readAll(pem: try PEMFile.read(path)).isEmpty else {
                throw TLSConfigurationError.noCertificate(in: path)
            }
            do {
                try requireSuccess("loading trust roots from \(path)") { SSL_CTX_load_verify_locations(ctx, path, nil) }
            } catch {
                throw TLSConfigurationError.openSSL(path, error)
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        } else if configuration.usesSystemTrustRoots {
            try requireSuccess("loading the system's trust roots") { SSL_CTX_set_default_verify_paths(ctx) }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        }
        if !wire.isEmpty {
            // Unlike most OpenSSL calls, this one returns 0 on success.
            ERR_clear_error()
            guard SSL_CTX_set_alpn_protos(ctx, wire, CUnsignedInt(wire.count)) == 0 else {
                throw OpenSSLError.drain(while: "setting the ALPN protocols")
            }
        }
        // Sessions reach us through the new-session callback; OpenSSL keeps no client cache.
        _ = CSSL_SSL_CTX_set_session_cache_mode(ctx, CSSL_SSL_SESS_CACHE_CLIENT() | CSSL_SSL_SESS_CACHE_NO_INTERNAL())
        SSL_CTX_sess_set_new_cb(ctx, tlsClientNewSessionCallback)

        self.context = handle
        self.configuration = configuration
    }

    static func alpnWireFormat(_ protocols: [String]) throws(TLSConfigurationError) -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw .invalidSetting("application_protocols", "ALPN names must be 1...255 bytes (got \"\(name)\")")
            }
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        return wire
    }
}

/// Hands a session the server just issued to the connection's engine. Returning 1 tells
/// OpenSSL that we took ownership of the session reference.
func tlsClientNewSessionCallback(_ ssl: OpaquePointer?, _ session: OpaquePointer?) -> CInt {
    guard let ssl, let session, let engine = TLSEngine.owner(of: ssl) else { return 0 }
    engine.receivedSession = TLSSession(adopting: session)
    return 1
}
