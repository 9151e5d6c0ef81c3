internal import CSSL

// OpenSSL callbacks of the server contexts. C function pointers cannot capture, so each
// callback finds its TLSServerContext through the SSL_CTX app data (see TLSServerContext.init).
// They run synchronously inside SSL_do_handshake, on the connection's event loop.

/// SNI: moves the connection to the `SSL_CTX` whose certificate serves the requested name.
/// Unknown or absent names stay on the default context. Never aborts the handshake.
func tlsServerNameCallback(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<CInt>?, _ arg: UnsafeMutableRawPointer?)
    -> CInt
{
    guard let ssl, let owner = TLSServerContext.owner(of: ssl) else { return SSL_TLSEXT_ERR_OK }
    let requested = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    guard let index = owner.serverNames.certificateIndex(for: requested), index != 0 else {
        return SSL_TLSEXT_ERR_OK
    }
    _ = SSL_set_SSL_CTX(ssl, owner.contexts[index].pointer)
    return SSL_TLSEXT_ERR_OK
}

/// ALPN: picks the first protocol in *our* list that the client also offers. Without overlap
/// the handshake continues without ALPN (`SSL_TLSEXT_ERR_NOACK`) rather than failing.
func tlsALPNSelectCallback(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?,
    _ offeredLength: CUnsignedInt,
    _ arg: UnsafeMutableRawPointer?
) -> CInt {
    guard let owner = TLSServerContext.owner(of: ssl), let out, let outLength, let offered else {
        return SSL_TLSEXT_ERR_NOACK
    }
    let client = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
    if let challenges = owner.acmeChallenges, let ssl,
        let position = alpnPosition(of: ACMETLSChallenges.protocolBytes, in: client),
        let answer = challenges.answer(for: SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) })
    {
        // RFC 8737: answer with the challenge certificate on this connection only, and with it
        // alone: the listener's certificates (an RSA one in its own slot, or the intermediates
        // chained to an ECDSA one) would otherwise stay loaded beside it, and OpenSSL could send
        // them instead or after it.
        SSL_certs_clear(ssl)
        let usedCertificate = answer.certificate.withX509Pointer { SSL_use_certificate(ssl, $0) }
        let usedKey = answer.key.withKeyPointer { SSL_use_PrivateKey(ssl, $0) }
        guard usedCertificate == 1, usedKey == 1 else {
            ERR_clear_error()
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }
        out.pointee = offered + position
        outLength.pointee = UInt8(ACMETLSChallenges.protocolBytes.count)
        return SSL_TLSEXT_ERR_OK
    }
    for wanted in owner.applicationProtocols {
        var index = 0
        while index < client.count {
            let length = Int(client[index])
            let start = index + 1
            guard start + length <= client.count else { break }
            if length == wanted.count && client[start..<(start + length)].elementsEqual(wanted) {
                // Point into the client's list: it outlives the callback, our arrays might not.
                out.pointee = offered + start
                outLength.pointee = UInt8(length)
                return SSL_TLSEXT_ERR_OK
            }
            index = start + length
        }
    }
    return SSL_TLSEXT_ERR_NOACK
}

/// The offset of `wanted`'s bytes in a client's ALPN list (length-prefixed names), if offered.
private func alpnPosition(of wanted: [UInt8], in client: UnsafeBufferPointer<UInt8>) -> Int? {
    var index = 0
    while index < client.count {
        let length = Int(client[index])
        let start = index + 1
        guard start + length <= client.count else { return nil }
        if length == wanted.count && client[start..<(start + length)].elementsEqual(wanted) { return start }
        index = start + length
    }
    return nil
}

/// Session tickets: seals with the newest key of the ring, opens with any key still in it.
///
/// Returns 1 (ticket sealed, or opened with the newest key), 2 (opened with an older key:
/// resume and issue a fresh ticket), 0 (unknown key: full handshake) or -1 (error).
func tlsTicketKeyCallback(
    _ ssl: OpaquePointer?,
    _ keyName: UnsafeMutablePointer<UInt8>?,
    _ iv: UnsafeMutablePointer<UInt8>?,
    _ cipherContext: OpaquePointer?,
    _ macContext: OpaquePointer?,
    _ encrypt: CInt
) -> CInt {
    guard let owner = TLSServerContext.owner(of: ssl), let ring = owner.ticketKeys,
        let keyName, let iv, let cipherContext, let macContext
    else { return -1 }
    let cipher = EVP_aes_256_cbc()
    let ivLength = Int(EVP_CIPHER_get_iv_length(cipher))

    if encrypt == 1 {
        let key = ring.newest
        guard RAND_bytes(iv, CInt(ivLength)) == 1 else { return -1 }
        key.name.withUnsafeBufferPointer { keyName.update(from: $0.baseAddress!, count: TLSTicketKey.nameLength) }
        let ok = key.aesKey.withUnsafeBufferPointer { EVP_EncryptInit_ex(cipherContext, cipher, nil, $0.baseAddress, iv) }
        guard ok == 1, setHMACKey(macContext, key.hmacKey) else { return -1 }
        return 1
    }

    let name = UnsafeRawBufferPointer(start: keyName, count: TLSTicketKey.nameLength)
    guard let (key, isNewest) = ring.key(named: name) else { return 0 }
    let ok = key.aesKey.withUnsafeBufferPointer { EVP_DecryptInit_ex(cipherContext, cipher, nil, $0.baseAddress, iv) }
    guard ok == 1, setHMACKey(macContext, key.hmacKey) else { return -1 }
    return isNewest ? 1 : 2
}

/// Keys an `EVP_MAC_CTX` for HMAC-SHA256.
private func setHMACKey(_ macContext: OpaquePointer, _ key: [UInt8]) -> Bool {
    // OSSL_PARAM keeps pointers, so every string must outlive the set_params call: static literals do.
    let keyParameter: StaticString = "key"
    let digestParameter: StaticString = "digest"
    let digest: StaticString = "SHA256"
    var bytes = key
    return bytes.withUnsafeMutableBytes { raw in
        var parameters = [
            OSSL_PARAM_construct_octet_string(cString(keyParameter), raw.baseAddress, raw.count),
            OSSL_PARAM_construct_utf8_string(cString(digestParameter), UnsafeMutablePointer(mutating: cString(digest)), 0),
            OSSL_PARAM_construct_end(),
        ]
        return EVP_MAC_CTX_set_params(macContext, &parameters) == 1
    }
}

private func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Status request (OCSP stapling): staples the current response of the certificate the
/// connection serves (after SNI), when there is one. Only copies bytes already fetched; a
/// certificate without a response is served without a staple (`SSL_TLSEXT_ERR_NOACK`).
func tlsStatusRequestCallback(_ ssl: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) -> CInt {
    guard let ssl, let ctx = SSL_get_SSL_CTX(ssl), let owner = TLSServerContext.owner(of: ssl),
        let response = owner.staple(for: ctx), !response.isEmpty
    else { return SSL_TLSEXT_ERR_NOACK }
    // OpenSSL takes ownership of the copy and frees it with the connection.
    guard let copy = CSSL_OPENSSL_malloc(response.count) else { return SSL_TLSEXT_ERR_NOACK }
    response.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    guard CSSL_SSL_set_tlsext_status_ocsp_resp(ssl, copy.assumingMemoryBound(to: UInt8.self), response.count) == 1 else {
        CSSL_OPENSSL_free(copy)
        return SSL_TLSEXT_ERR_NOACK
    }
    return SSL_TLSEXT_ERR_OK
}
