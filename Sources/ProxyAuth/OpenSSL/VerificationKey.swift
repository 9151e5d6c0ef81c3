internal import CSSL

/// A public key held in OpenSSL memory, for checking JWS signatures.
///
/// Owns one `EVP_PKEY` reference and frees it in `deinit`. Built once, at load time, from a
/// JWK's parameters with OpenSSL 3's `EVP_PKEY_fromdata`, then checked with
/// `EVP_PKEY_public_check` (an EC point must lie on its curve).
final class VerificationKey {
    /// The family of key, which decides the algorithms that may use it.
    enum KeyType: Hashable, Sendable, CustomStringConvertible {
        case ellipticCurve(EllipticCurve)
        case rsa

        var description: String {
            switch self {
            case .ellipticCurve(let curve): "EC \(curve.rawValue)"
            case .rsa: "RSA"
            }
        }
    }

    /// Why OpenSSL would not build a key, with its reasons.
    struct ImportError: Error {
        let reason: String
    }

    /// Owned `EVP_PKEY *`.
    private let key: OpaquePointer
    let type: KeyType

    /// Adopts a key whose reference the caller owns; the caller must not free it afterwards.
    private init(adopting key: OpaquePointer, type: KeyType) {
        self.key = key
        self.type = type
    }

    deinit {
        EVP_PKEY_free(self.key)
    }

    /// The key size in bits (the modulus for RSA, the group order for EC).
    var bits: Int {
        Int(EVP_PKEY_get_bits(self.key))
    }

    /// Builds an EC public key from its affine coordinates.
    ///
    /// - Parameters:
    ///   - curve: The curve the point lies on.
    ///   - x: The big-endian x coordinate, exactly ``EllipticCurve/coordinateByteCount`` bytes.
    ///   - y: The big-endian y coordinate, the same length.
    static func ellipticCurve(_ curve: EllipticCurve, x: [UInt8], y: [UInt8]) throws(ImportError) -> VerificationKey {
        let point = [0x04] + x + y  // SEC 1 uncompressed form
        let key = try Self.fromData(keyType: "EC") { builder in
            point.withUnsafeBytes { point in
                let group = Self.cString(curve.groupName)
                return OSSL_PARAM_BLD_push_utf8_string(builder, Self.cString("group"), group, 0) == 1
                    && OSSL_PARAM_BLD_push_octet_string(builder, Self.cString("pub"), point.baseAddress, point.count)
                        == 1
            }
        }
        return VerificationKey(adopting: key, type: .ellipticCurve(curve))
    }

    /// Builds an RSA public key from its modulus and public exponent (big-endian bytes).
    static func rsa(modulus: [UInt8], exponent: [UInt8]) throws(ImportError) -> VerificationKey {
        OpenSSLErrorQueue.clear()
        guard let n = BN_bin2bn(modulus, CInt(modulus.count), nil) else {
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        defer { BN_free(n) }
        guard let e = BN_bin2bn(exponent, CInt(exponent.count), nil) else {
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        defer { BN_free(e) }
        let key = try Self.fromData(keyType: "RSA") { builder in
            OSSL_PARAM_BLD_push_BN(builder, Self.cString("n"), n) == 1
                && OSSL_PARAM_BLD_push_BN(builder, Self.cString("e"), e) == 1
        }
        return VerificationKey(adopting: key, type: .rsa)
    }

    /// Runs `EVP_PKEY_fromdata` on the parameters `push` adds to a builder, then checks the key.
    ///
    /// The builder keeps pointers to the parameter names and values until
    /// `OSSL_PARAM_BLD_to_param`, and the parameters keep the names after it: names are static
    /// text, and values must outlive this call.
    private static func fromData(keyType: StaticString, push: (OpaquePointer) -> Bool) throws(ImportError)
        -> OpaquePointer
    {
        OpenSSLErrorQueue.clear()
        guard let builder = OSSL_PARAM_BLD_new() else {
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard push(builder), let parameters = OSSL_PARAM_BLD_to_param(builder) else {
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, Self.cString(keyType), nil) else {
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_fromdata_init(context) == 1,
            EVP_PKEY_fromdata(context, &key, CSSL_EVP_PKEY_PUBLIC_KEY(), parameters) == 1,
            let key
        else {
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        guard let checkContext = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            EVP_PKEY_free(key)
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        defer { EVP_PKEY_CTX_free(checkContext) }
        guard EVP_PKEY_public_check(checkContext) == 1 else {
            EVP_PKEY_free(key)
            throw ImportError(reason: OpenSSLErrorQueue.drainReasons())
        }
        return key
    }

    /// Checks a JWS signature over `message` (the token's `header.payload` text).
    ///
    /// Makes a fresh `EVP_MD_CTX` each time and only reads the key, so any number of threads may
    /// verify with one key at once.
    ///
    /// - Parameters:
    ///   - signature: The decoded signature: raw `r || s` for ECDSA, as JWS writes it.
    ///   - message: The signed bytes.
    ///   - algorithm: The token's algorithm; the caller has matched it to ``type``.
    /// - Returns: `true` only for a valid signature. Any failure is dropped from the error queue.
    func verify(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, algorithm: JWTAlgorithm) -> Bool {
        guard case .ellipticCurve(let curve) = self.type else {
            return self.verifyEncoded(signature: signature, message: message, algorithm: algorithm)
        }
        guard let der = ECDSASignature.der(fromRaw: signature, curve: curve) else { return false }
        return der.withUnsafeBytes { self.verifyEncoded(signature: $0, message: message, algorithm: algorithm) }
    }

    private func verifyEncoded(
        signature: UnsafeRawBufferPointer,
        message: UnsafeRawBufferPointer,
        algorithm: JWTAlgorithm
    ) -> Bool {
        guard signature.count > 0 else { return false }
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else {
            OpenSSLErrorQueue.discard()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer? = nil  // owned by `context`
        guard EVP_DigestVerifyInit(context, &keyContext, algorithm.messageDigest, nil, self.key) == 1 else {
            OpenSSLErrorQueue.discard()
            return false
        }
        if algorithm.usesPSS {
            // RFC 7518 §3.5: MGF1 with the message digest (OpenSSL's default), salt as long as the digest.
            guard let keyContext,
                EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST) == 1
            else {
                OpenSSLErrorQueue.discard()
                return false
            }
        }
        let status = EVP_DigestVerify(
            context,
            signature.baseAddress?.assumingMemoryBound(to: UInt8.self),
            signature.count,
            message.baseAddress?.assumingMemoryBound(to: UInt8.self),
            message.count
        )
        guard status == 1 else {
            OpenSSLErrorQueue.discard()
            return false
        }
        return true
    }

    /// A static string as the `const char *` OpenSSL wants. Literals are NUL-terminated and live
    /// for the whole run, so OpenSSL may keep the pointer.
    private static func cString(_ text: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

// Immutable after init. OpenSSL 3 allows one EVP_PKEY to be used for verification by many
// threads at once, as long as each uses its own EVP_MD_CTX (as verify does).
extension VerificationKey: @unchecked Sendable {}
