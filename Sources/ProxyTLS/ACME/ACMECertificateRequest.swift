internal import CSSL

/// A certificate signing request for an ACME order (RFC 8555 §7.4), made with a fresh
/// ECDSA P-256 key (one key per order: a renewal never reuses the old certificate's key).
public struct ACMECertificateRequest: Sendable {
    /// The CSR in DER, for the order's `finalize` (base64url-encoded there).
    public var der: [UInt8]
    /// The new certificate's private key, PKCS#8 PEM (write it with mode 0600).
    public var privateKeyPEM: [UInt8]

    /// Makes the key and the CSR: CN the first domain, every domain a SAN `dNSName`.
    ///
    /// > Important: Generates a key; don't call it on an event loop.
    public static func make(domains: [String]) throws -> ACMECertificateRequest {
        guard let first = domains.first else {
            throw TLSConfigurationError.invalidSetting("domains", "a certificate request needs at least one name")
        }
        for name in domains where name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-.*".contains($0) }) {
            throw TLSConfigurationError.invalidSetting("domains", "not a usable host name: \"\(name)\"")
        }
        let key = try X509Builder.generateKey(.ecdsaP256)
        let request = try requirePointer("allocating a certificate request") { X509_REQ_new() }
        defer { X509_REQ_free(request) }
        try requireSuccess("setting the request version") { X509_REQ_set_version(request, 0) }
        let subject = try requirePointer("allocating a subject name") { X509_NAME_new() }
        defer { X509_NAME_free(subject) }
        try requireSuccess("setting the request subject") {
            X509_NAME_add_entry_by_txt(subject, "CN", CSSL_MBSTRING_UTF8(), first, -1, -1, 0)
        }
        try requireSuccess("setting the request subject") { X509_REQ_set_subject_name(request, subject) }
        try key.withKeyPointer { pkey in
            try requireSuccess("setting the request's public key") { X509_REQ_set_pubkey(request, pkey) }
        }
        let extensions = try requirePointer("allocating the request extensions") { CSSL_sk_X509_EXTENSION_new_null() }
        defer { CSSL_sk_X509_EXTENSION_pop_free(extensions) }
        let names = domains.map { "DNS:\($0)" }.joined(separator: ",")
        let san = try requirePointer("building the subjectAltName") {
            X509V3_EXT_conf_nid(nil, nil, NID_subject_alt_name, names)
        }
        guard CSSL_sk_X509_EXTENSION_push(extensions, san) > 0 else {
            X509_EXTENSION_free(san)
            throw OpenSSLError.drain(while: "adding the subjectAltName")
        }
        try requireSuccess("adding the request extensions") { X509_REQ_add_extensions(request, extensions) }
        clearErrorQueue()
        let signed = key.withKeyPointer { X509_REQ_sign(request, $0, EVP_sha256()) }
        guard signed > 0 else { throw OpenSSLError.drain(while: "signing the certificate request") }

        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509_REQ(request, &buffer)
        guard length > 0, let buffer else { throw OpenSSLError.drain(while: "encoding the certificate request") }
        defer { CSSL_OPENSSL_free(buffer) }
        return ACMECertificateRequest(
            der: Array(UnsafeBufferPointer(start: buffer, count: Int(length))),
            privateKeyPEM: try key.pemBytes()
        )
    }
}
