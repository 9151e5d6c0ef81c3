internal import CSSL

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

extension TLSCertificate {
    /// The issuer in OpenSSL's one-line form, such as `/O=Portcullis Development/CN=Portcullis Development CA`.
    var issuer: String {
        self.withX509Pointer { x509 in
            guard let name = X509_get_issuer_name(x509), let text = X509_NAME_oneline(name, nil, 0) else { return "" }
            defer { CSSL_OPENSSL_free(text) }
            return String(cString: text)
        }
    }

    /// Start of validity, in seconds since 1970 (UTC).
    var notBefore: Int64? { self.withX509Pointer { Self.unixTime(X509_get0_notBefore($0)) } }

    /// End of validity, in seconds since 1970 (UTC).
    var notAfter: Int64? { self.withX509Pointer { Self.unixTime(X509_get0_notAfter($0)) } }

    /// SHA-256 of the DER encoding, lower-case hex: names this exact certificate.
    var fingerprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: CUnsignedInt = 0
        ERR_clear_error()
        guard self.withX509Pointer({ X509_digest($0, EVP_sha256(), &digest, &length) }) == 1 else {
            ERR_clear_error()
            return ""
        }
        return digest[0..<Int(length)].map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The OCSP responder URLs of the Authority Information Access extension, in certificate order.
    var ocspResponders: [String] {
        guard let stack = self.withX509Pointer({ X509_get1_ocsp($0) }) else { return [] }
        defer { X509_email_free(stack) }
        var urls: [String] = []
        for index in 0..<CSSL_sk_OPENSSL_STRING_num(stack) {
            if let url = CSSL_sk_OPENSSL_STRING_value(stack, index) { urls.append(String(cString: url)) }
        }
        return urls
    }

    /// An ASN.1 time as seconds since 1970 (UTC); `nil` when OpenSSL cannot read it.
    static func unixTime(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else {
            ERR_clear_error()
            return nil
        }
        return Int64(timegm(&parts))
    }
}
