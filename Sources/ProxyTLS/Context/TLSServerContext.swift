internal import CSSL

/// The OpenSSL state of one TLS listener: one `SSL_CTX` per certificate, the SNI table, the
/// ALPN preference list and the session-ticket key ring.
///
/// Build it once per listener, off the event loops (it reads files), and share it with every
/// ``TLSServerHandler`` of that listener. A handshake starts on the first (default) `SSL_CTX`;
/// its SNI callback switches to the certificate that matches the client's server name.
///
/// It is `@unchecked Sendable` because every `SSL_CTX` is fully configured in `init` and never
/// changed afterwards (OpenSSL allows sharing such contexts between threads), the name table
/// and ALPN list are immutable, and the only mutable state, the ticket key ring, is behind a lock.
public final class TLSServerContext: @unchecked Sendable {
    /// One per certificate, in configuration order. `contexts[0]` is the default.
    let contexts: [SSLContextHandle]
    let certifiedKeys: [TLSCertifiedKey]
    let serverNames: TLSServerNameTable
    /// ALPN protocol names as bytes, server preference first.
    let applicationProtocols: [[UInt8]]
    /// `nil` when session tickets are off.
    let ticketKeys: TLSTicketKeyRing?
    let handshakeTimeout: Duration
    let configuration: TLSServerConfiguration
    /// Shared with the ACME client and with the contexts that replace this one.
    let acmeChallenges: ACMETLSChallenges?
    /// The served certificates, in ``contexts`` order.
    public let servedCertificates: [TLSServedCertificate]
    /// `nil` when nothing is stapled.
    let staples: TLSStapleStore?

    static let tls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    static let groups = "X25519:P-256:P-384"
    static let sessionIDContext: [UInt8] = Array("portcullis".utf8)

    /// Reads every certificate and key and builds the OpenSSL contexts.
    ///
    /// - Throws: ``TLSConfigurationError`` naming the file when a file is missing or unreadable,
    ///   holds no certificate or key, the key does not match its certificate, or the key is an
    ///   RSA key below 2048 bits or of an unsupported type; or naming the setting when a value
    ///   is out of range.
    ///
    /// > Important: Does blocking disk I/O. Don't call it on an event loop.
    /// - Parameter previous: The context this one replaces (a configuration reload). Its
    ///   in-process ticket keys carry over, so tickets issued before the reload still resume.
    public init(configuration: TLSServerConfiguration, replacing previous: TLSServerContext? = nil) throws {
        guard !configuration.certificates.isEmpty else {
            throw TLSConfigurationError.invalidSetting("certificates", "at least one certificate is required")
        }
        guard configuration.minimumVersion >= .tls12 else {
            throw TLSConfigurationError.invalidSetting(
                "minimum_version",
                "TLS \(configuration.minimumVersion.rawValue) is not supported; use 1.2 or 1.3"
            )
        }
        guard (0...16).contains(configuration.ticketKeyRetention) else {
            throw TLSConfigurationError.invalidSetting(
                "ticket_key_retention",
                "must be 0...16 (got \(configuration.ticketKeyRetention))"
            )
        }
        let protocols = configuration.applicationProtocols.map { Array($0.utf8) }
        if let bad = protocols.first(where: { $0.isEmpty || $0.count > 255 }) {
            throw TLSConfigurationError.invalidSetting(
                "application_protocols",
                "ALPN names must be 1...255 bytes (got \"\(String(decoding: bad, as: UTF8.self))\")"
            )
        }

        let keys = try configuration.certificates.map { source throws(TLSConfigurationError) in
            try TLSCertifiedKey.load(source)
        }
        let ring: TLSTicketKeyRing?
        if !configuration.sessionTickets {
            ring = nil
        } else if !configuration.ticketKeyFiles.isEmpty {
            ring = TLSTicketKeyRing(
                shared: try configuration.ticketKeyFiles.map { path throws(TLSConfigurationError) in try TLSTicketKey.load(path) }
            )
        } else if let inherited = previous?.ticketKeys, !inherited.isShared {
            ring = inherited
        } else {
            ring = try TLSTicketKeyRing(retention: configuration.ticketKeyRetention)
        }

        self.certifiedKeys = keys
        self.contexts = try keys.map { key throws(TLSConfigurationError) in
            try Self.makeContext(serving: key, configuration: configuration)
        }
        self.serverNames = TLSServerNameTable(names: keys.map(\.leaf.serverNames))
        self.applicationProtocols = protocols
        self.ticketKeys = ring
        self.handshakeTimeout = configuration.handshakeTimeout
        self.configuration = configuration
        self.acmeChallenges = configuration.acmeChallenges
        self.servedCertificates = keys.map(TLSServedCertificate.init)
        self.staples = configuration.ocspStaples

        // The callbacks find this object through the SSL_CTX's app data. Handshakes keep the
        // context alive (each TLSEngine holds a strong reference), so an unretained pointer is enough.
        let unmanaged = Unmanaged.passUnretained(self).toOpaque()
        for context in self.contexts {
            _ = CSSL_SSL_CTX_set_app_data(context.pointer, unmanaged)
            _ = CSSL_SSL_CTX_set_tlsext_servername_callback(context.pointer, tlsServerNameCallback)
            SSL_CTX_set_alpn_select_cb(context.pointer, tlsALPNSelectCallback, nil)
            if ring != nil {
                _ = SSL_CTX_set_tlsext_ticket_key_evp_cb(context.pointer, tlsTicketKeyCallback)
            }
            if self.staples != nil {
                _ = CSSL_SSL_CTX_set_tlsext_status_cb(context.pointer, tlsStatusRequestCallback)
            }
        }
    }

    /// Starts a new ticket key and retires the oldest one beyond ``TLSServerConfiguration/ticketKeyRetention``.
    ///
    /// Thread-safe. Call it every ``TLSServerConfiguration/ticketKeyRotationInterval``. A ticket
    /// sealed before one rotation still resumes (and is renewed); one sealed before more than
    /// `ticketKeyRetention` rotations no longer does. Does nothing when tickets are off.
    public func rotateTicketKeys() {
        // RAND_bytes failing means the system has no entropy; keeping the old keys is the safe choice.
        try? self.ticketKeys?.rotate()
    }

    /// The length of one session-ticket key's material: 16 bytes of name, 32 of HMAC secret and
    /// 32 of AES key (the layout of a `ticket_key_files` file).
    public static let ticketKeyMaterialLength = 80

    /// A new random session-ticket key's material (``ticketKeyMaterialLength`` bytes).
    public static func makeTicketKeyMaterial() throws(OpenSSLError) -> [UInt8] {
        try randomBytes(Self.ticketKeyMaterialLength)
    }

    /// Replaces the session-ticket keys with keys shared by a fleet, newest (the sealing key)
    /// first, each ``ticketKeyMaterialLength`` bytes; this context's in-process rotation stops
    /// (the fleet rotates them). A context built by a reload from this one keeps them.
    ///
    /// Thread-safe. Returns `false`, changing nothing, when tickets are off, the keys come from
    /// `ticket_key_files` (files win), or `material` is empty or holds a key of another length.
    @discardableResult
    public func installSharedTicketKeys(_ material: [[UInt8]]) -> Bool {
        guard let ring = self.ticketKeys, !ring.isShared, !material.isEmpty else { return false }
        var keys: [TLSTicketKey] = []
        for bytes in material {
            guard let key = TLSTicketKey(material: bytes) else { return false }
            keys.append(key)
        }
        ring.install(keys)
        return true
    }

    /// One line per certificate for startup logs, e.g.
    /// `certs/a.pem: /CN=a.example.com (a.example.com, www.a.example.com)`.
    public var certificateSummaries: [String] {
        self.certifiedKeys.map { key in
            "\(key.source.certificatePath): \(key.leaf.subject) (\(key.leaf.serverNames.joined(separator: ", ")))"
        }
    }

    /// The DER OCSP response to staple for the certificate of `ctx`, if any. Never blocks on
    /// anything but the store's lock.
    func staple(for ctx: OpaquePointer) -> [UInt8]? {
        guard let staples = self.staples, let index = self.contexts.firstIndex(where: { $0.pointer == ctx }) else { return nil }
        return staples.response(for: self.servedCertificates[index].fingerprint)
    }

    /// The `SSL_CTX` new connections start on.
    var defaultContext: SSLContextHandle { self.contexts[0] }

    /// Finds the owner of an `SSL_CTX` from inside an OpenSSL callback.
    static func owner(of ssl: OpaquePointer?) -> TLSServerContext? {
        guard let ssl, let ctx = SSL_get_SSL_CTX(ssl), let raw = CSSL_SSL_CTX_get_app_data(ctx) else { return nil }
        return Unmanaged<TLSServerContext>.fromOpaque(raw).takeUnretainedValue()
    }

    private static func makeContext(
        serving key: TLSCertifiedKey,
        configuration: TLSServerConfiguration
    ) throws(TLSConfigurationError) -> SSLContextHandle {
        let path = key.source.certificatePath
        do {
            let handle = try SSLContextHandle(method: TLS_server_method())
            let ctx = handle.pointer
            try requireSuccess("setting the minimum TLS version") {
                CInt(CSSL_SSL_CTX_set_min_proto_version(ctx, configuration.minimumVersion.openSSLValue))
            }
            var options =
                CSSL_SSL_OP_NO_SSLv3() | CSSL_SSL_OP_NO_TLSv1() | CSSL_SSL_OP_NO_TLSv1_1()
                | CSSL_SSL_OP_NO_COMPRESSION() | CSSL_SSL_OP_NO_RENEGOTIATION()
                | CSSL_SSL_OP_CIPHER_SERVER_PREFERENCE()
            if !configuration.sessionTickets { options |= CSSL_SSL_OP_NO_TICKET() }
            SSL_CTX_set_options(ctx, options)
            try requireSuccess("setting the TLS 1.2 cipher list") { SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers) }
            try requireSuccess("setting the key exchange groups") {
                CInt(CSSL_SSL_CTX_set1_groups_list(ctx, Self.groups))
            }
            _ = CSSL_SSL_CTX_set_mode(ctx, Int(SSL_MODE_RELEASE_BUFFERS))
            _ = CSSL_SSL_CTX_set_session_cache_mode(ctx, CSSL_SSL_SESS_CACHE_OFF())
            try requireSuccess("setting the session id context") {
                SSL_CTX_set_session_id_context(ctx, Self.sessionIDContext, UInt32(Self.sessionIDContext.count))
            }
            try requireSuccess("setting the number of session tickets") {
                SSL_CTX_set_num_tickets(ctx, configuration.sessionTickets ? 1 : 0)
            }
            try key.leaf.withX509Pointer { x509 in
                try requireSuccess("using the certificate from \(path)") { SSL_CTX_use_certificate(ctx, x509) }
            }
            for intermediate in key.intermediates {
                try intermediate.withX509Pointer { x509 in
                    try requireSuccess("adding an intermediate certificate from \(path)") {
                        CInt(CSSL_SSL_CTX_add1_chain_cert(ctx, x509))
                    }
                }
            }
            try key.privateKey.withKeyPointer { pkey in
                try requireSuccess("using the private key from \(key.source.privateKeyPath)") {
                    SSL_CTX_use_PrivateKey(ctx, pkey)
                }
            }
            ERR_clear_error()
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                ERR_clear_error()
                throw TLSConfigurationError.keyMismatch(keyPath: key.source.privateKeyPath, certificatePath: path)
            }
            return handle
        } catch let error as OpenSSLError {
            throw .openSSL(path, error)
        } catch let error as TLSConfigurationError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }
}
