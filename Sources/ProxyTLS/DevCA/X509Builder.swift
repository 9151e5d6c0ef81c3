internal import CSSL

/// Makes keys and signs X.509 certificates with OpenSSL's own APIs (no `openssl` CLI).
enum X509Builder {
    static func generateKey(_ type: DevKeyType) throws -> TLSPrivateKey {
        switch type {
        case .ecdsaP256:
            return TLSPrivateKey(adopting: try requirePointer("generating an ECDSA P-256 key") { CSSL_EVP_EC_gen("P-256") })
        case .rsa(let bits):
            guard (512...16_384).contains(bits) else {
                throw TLSConfigurationError.invalidSetting("key_type", "RSA key size must be 512...16384 bits (got \(bits))")
            }
            return TLSPrivateKey(adopting: try requirePointer("generating an RSA-\(bits) key") { CSSL_EVP_RSA_gen(CUnsignedInt(bits)) })
        }
    }

    /// An X.509 v3 extension in OpenSSL's config syntax, e.g. `(NID_basic_constraints, "critical,CA:TRUE")`.
    struct Extension {
        var nid: CInt
        var value: String
        /// A dotted OID for an extension OpenSSL has no NID for (its value then in `DER:` syntax).
        var oid: String? = nil

        init(nid: CInt, value: String) {
            self.nid = nid
            self.value = value
        }

        init(oid: String, value: String) {
            self.nid = NID_undef
            self.value = value
            self.oid = oid
        }
    }

    /// Builds and signs one certificate.
    ///
    /// - Parameters:
    ///   - issuer: The CA certificate and key, or `nil` for a self-signed certificate.
    ///   - extensions: Added in order. Put subjectKeyIdentifier before authorityKeyIdentifier.
    static func makeCertificate(
        commonName: String,
        key: TLSPrivateKey,
        issuer: (certificate: TLSCertificate, key: TLSPrivateKey)?,
        validDays: Int,
        extensions: [Extension]
    ) throws -> TLSCertificate {
        let certificate = TLSCertificate(adopting: try requirePointer("allocating a certificate") { X509_new() })
        try certificate.withX509Pointer { x509 in
            try requireSuccess("setting the certificate version") { X509_set_version(x509, 2) }
            try Self.setRandomSerial(x509)
            guard X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
                X509_time_adj_ex(X509_getm_notAfter(x509), CInt(validDays), 0, nil) != nil
            else { throw OpenSSLError.drain(while: "setting the validity period") }
            try key.withKeyPointer { pkey in
                try requireSuccess("setting the public key") { X509_set_pubkey(x509, pkey) }
            }
            let subject = X509_get_subject_name(x509)
            try requireSuccess("setting the subject") {
                X509_NAME_add_entry_by_txt(subject, "O", CSSL_MBSTRING_UTF8(), "Portcullis Development", -1, -1, 0)
            }
            try requireSuccess("setting the subject") {
                X509_NAME_add_entry_by_txt(subject, "CN", CSSL_MBSTRING_UTF8(), commonName, -1, -1, 0)
            }
            let issuerName = issuer.map { $0.certificate.withX509Pointer { X509_get_subject_name($0) } } ?? subject
            try requireSuccess("setting the issuer") { X509_set_issuer_name(x509, issuerName) }

            var v3 = X509V3_CTX()
            let issuerPointer = issuer.map { $0.certificate.withX509Pointer { $0 } } ?? x509
            X509V3_set_ctx(&v3, issuerPointer, x509, nil, nil, 0)
            for wanted in extensions {
                let ext = try requirePointer("building extension \(wanted.value)") {
                    if let oid = wanted.oid { return X509V3_EXT_nconf(nil, &v3, oid, wanted.value) }
                    return X509V3_EXT_conf_nid(nil, &v3, wanted.nid, wanted.value)
                }
                defer { X509_EXTENSION_free(ext) }
                try requireSuccess("adding extension \(wanted.value)") { X509_add_ext(x509, ext, -1) }
            }

            let signer = issuer?.key ?? key
            ERR_clear_error()
            let signed = signer.withKeyPointer { X509_sign(x509, $0, EVP_sha256()) }
            guard signed > 0 else { throw OpenSSLError.drain(while: "signing the certificate") }
        }
        return certificate
    }

    /// A positive random 128-bit serial, as CA/B rules ask for (at least 64 random bits).
    private static func setRandomSerial(_ x509: OpaquePointer) throws {
        var bytes = try randomBytes(16)
        bytes[0] = (bytes[0] & 0x7F) | 0x01  // positive, and no leading zero byte
        let bignum = try requirePointer("building the serial number") { BN_bin2bn(bytes, CInt(bytes.count), nil) }
        defer { BN_free(bignum) }
        ERR_clear_error()
        guard BN_to_ASN1_INTEGER(bignum, X509_get_serialNumber(x509)) != nil else {
            throw OpenSSLError.drain(while: "setting the serial number")
        }
    }

    static func pemBytes(of certificate: TLSCertificate) throws -> [UInt8] {
        let bio = try requirePointer("allocating a memory BIO") { BIO_new(BIO_s_mem()) }
        defer { BIO_free(bio) }
        try certificate.withX509Pointer { x509 in
            try requireSuccess("encoding a certificate as PEM") { PEM_write_bio_X509(bio, x509) }
        }
        return readMemoryBIO(bio)
    }
}
