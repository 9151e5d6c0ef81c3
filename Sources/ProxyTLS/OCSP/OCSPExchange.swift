internal import CSSL

/// Builds OCSP requests and checks OCSP responses for one certificate, with OpenSSL's `OCSP_*`
/// API. No I/O: the caller carries the bytes (over HTTP, from a cache file).
enum OCSPExchange {
    /// A DER-encoded OCSP request for `leaf`, issued by `issuer` (certificate ID hashed with
    /// SHA-1, as RFC 5019 asks and every responder accepts; no nonce, so the answer can be stapled).
    static func request(leaf: TLSCertificate, issuer: TLSCertificate) throws(OCSPError) -> [UInt8] {
        let id = try Self.certificateID(leaf: leaf, issuer: issuer)
        clearErrorQueue()
        guard let request = OCSP_REQUEST_new() else {
            OCSP_CERTID_free(id)
            throw OCSPError("cannot build an OCSP request: \(OpenSSLError.drain(while: "allocating an OCSP request").reasons)")
        }
        defer { OCSP_REQUEST_free(request) }
        guard OCSP_request_add0_id(request, id) != nil else {  // the request owns `id` from here on
            OCSP_CERTID_free(id)
            throw OCSPError("cannot build an OCSP request: \(OpenSSLError.drain(while: "adding the certificate ID").reasons)")
        }
        let length = i2d_OCSP_REQUEST(request, nil)
        guard length > 0 else {
            throw OCSPError("cannot encode the OCSP request: \(OpenSSLError.drain(while: "encoding").reasons)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> CInt in
            var cursor = buffer.baseAddress
            return i2d_OCSP_REQUEST(request, &cursor)
        }
        guard written == length else {
            throw OCSPError("cannot encode the OCSP request: \(OpenSSLError.drain(while: "encoding").reasons)")
        }
        return bytes
    }

    /// Checks a DER-encoded OCSP response: a successful response, signed by `issuer` or by a
    /// responder certificate `issuer` delegated (OCSP signing), about `leaf`, and current now
    /// (5 minutes of clock skew allowed).
    static func check(response: [UInt8], leaf: TLSCertificate, issuer: TLSCertificate) throws(OCSPError) -> OCSPResponseCheck {
        clearErrorQueue()
        let parsed = response.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_OCSP_RESPONSE(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            clearErrorQueue()
            throw OCSPError("not an OCSP response (\(response.count) bytes that do not parse as DER OCSPResponse)")
        }
        defer { OCSP_RESPONSE_free(parsed) }
        let responseStatus = OCSP_response_status(parsed)
        guard responseStatus == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            throw OCSPError("the responder answered \(String(cString: OCSP_response_status_str(Int(responseStatus)))) (status \(responseStatus))")
        }
        guard let basic = OCSP_response_get1_basic(parsed) else {
            clearErrorQueue()
            throw OCSPError("the OCSP response holds no basic response")
        }
        defer { OCSP_BASICRESP_free(basic) }

        // The issuer is the trust anchor (an intermediate is one too: partial chains allowed).
        guard let store = X509_STORE_new() else {
            clearErrorQueue()
            throw OCSPError("cannot allocate a certificate store")
        }
        defer { X509_STORE_free(store) }
        guard let untrusted = CSSL_sk_X509_new_null() else {
            clearErrorQueue()
            throw OCSPError("cannot allocate a certificate stack")
        }
        defer { CSSL_sk_X509_free(untrusted) }  // borrows `issuer`'s X509: no pop_free
        let verified = issuer.withX509Pointer { x509 -> CInt in
            guard X509_STORE_add_cert(store, x509) == 1, CSSL_sk_X509_push(untrusted, x509) > 0 else { return -1 }
            _ = X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN))
            return OCSP_basic_verify(basic, untrusted, store, 0)
        }
        guard verified == 1 else {
            let reasons = OpenSSLError.drain(while: "verifying the OCSP response").reasons
            throw OCSPError("the OCSP response is not signed by the certificate's issuer or a responder it delegated (\(reasons))")
        }

        let id = try Self.certificateID(leaf: leaf, issuer: issuer)
        defer { OCSP_CERTID_free(id) }
        var status: CInt = -1
        var reason: CInt = -1
        var revokedAt: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        guard OCSP_resp_find_status(basic, id, &status, &reason, &revokedAt, &thisUpdate, &nextUpdate) == 1 else {
            clearErrorQueue()
            throw OCSPError("the OCSP response is about another certificate")
        }
        guard OCSP_check_validity(thisUpdate, nextUpdate, 300, -1) == 1 else {
            clearErrorQueue()
            throw OCSPError("the OCSP response is not current (outside thisUpdate...nextUpdate)")
        }
        guard let thisSeconds = TLSCertificate.unixTime(thisUpdate.map { UnsafePointer($0) }) else {
            throw OCSPError("the OCSP response has an unreadable thisUpdate")
        }
        let certificateStatus: OCSPResponseCheck.CertificateStatus
        switch status {
        case V_OCSP_CERTSTATUS_GOOD: certificateStatus = .good
        case V_OCSP_CERTSTATUS_REVOKED: certificateStatus = .revoked
        default: certificateStatus = .unknown
        }
        return OCSPResponseCheck(
            status: certificateStatus,
            thisUpdate: thisSeconds,
            nextUpdate: TLSCertificate.unixTime(nextUpdate.map { UnsafePointer($0) }),
            revokedAt: TLSCertificate.unixTime(revokedAt.map { UnsafePointer($0) })
        )
    }

    /// An owned `OCSP_CERTID *`: the caller frees it, or hands it to a request.
    private static func certificateID(leaf: TLSCertificate, issuer: TLSCertificate) throws(OCSPError) -> OpaquePointer {
        clearErrorQueue()
        let id = leaf.withX509Pointer { leafPointer in
            issuer.withX509Pointer { issuerPointer in OCSP_cert_to_id(EVP_sha1(), leafPointer, issuerPointer) }
        }
        guard let id else {
            throw OCSPError("cannot make the OCSP certificate ID: \(OpenSSLError.drain(while: "hashing the issuer").reasons)")
        }
        return id
    }
}
