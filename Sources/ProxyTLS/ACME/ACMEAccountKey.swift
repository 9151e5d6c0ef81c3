internal import CSSL

/// An ACME account key: ECDSA P-256, signing JWS messages with ES256 (RFC 7518 §3.4).
///
/// Owns one `EVP_PKEY` (through ``TLSPrivateKey``). OpenSSL signs in DER
/// (`ECDSA-Sig-Value`); ``sign(_:)`` returns the JWS form instead: `r` and `s` as 32-byte
/// big-endian integers, back to back.
///
/// > Important: Key generation and file I/O block; don't call them on an event loop.
public final class ACMEAccountKey: Sendable {
    let key: TLSPrivateKey

    init(key: TLSPrivateKey) {
        self.key = key
    }

    /// A fresh P-256 key.
    public static func generate() throws -> ACMEAccountKey {
        ACMEAccountKey(key: try X509Builder.generateKey(.ecdsaP256))
    }

    /// Reads a PEM private key; it must be ECDSA P-256 (the only curve we sign ES256 with).
    public init(pem: [UInt8]) throws {
        let key = try TLSPrivateKey.read(pem: pem)
        guard key.kind == .ecdsa(curve: "prime256v1") else {
            throw TLSConfigurationError.invalidSetting("account key", "an ACME account key must be ECDSA P-256")
        }
        self.key = key
    }

    /// The key as PKCS#8 PEM, for `state_dir` (write it with mode 0600).
    public func pemBytes() throws -> [UInt8] {
        try self.key.pemBytes()
    }

    /// The public point's affine coordinates, 32 bytes each (the JWK's `x` and `y`).
    public func publicCoordinates() throws -> (x: [UInt8], y: [UInt8]) {
        (try self.coordinate("qx"), try self.coordinate("qy"))
    }

    private func coordinate(_ name: String) throws(OpenSSLError) -> [UInt8] {
        var bignum: OpaquePointer? = nil
        try requireSuccess("reading the account key's public point") {
            self.key.withKeyPointer { EVP_PKEY_get_bn_param($0, name, &bignum) }
        }
        defer { BN_free(bignum) }
        var bytes = [UInt8](repeating: 0, count: 32)
        try requireSuccess("encoding the account key's public point") {
            BN_bn2binpad(bignum, &bytes, 32) == 32 ? 1 : 0
        }
        return bytes
    }

    /// ES256: SHA-256 and ECDSA over `message`, as the 64-byte `r || s` JWS wants.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        let der = try self.key.withKeyPointer { pkey throws(OpenSSLError) in try digestSign(message, key: pkey) }
        return try Self.rawSignature(fromDER: der)
    }

    /// Converts OpenSSL's DER `ECDSA-Sig-Value` to `r || s`, each left-padded to 32 bytes.
    public static func rawSignature(fromDER der: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        let signature: OpaquePointer = try requirePointer("decoding an ECDSA signature") {
            der.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
            }
        }
        defer { ECDSA_SIG_free(signature) }
        var raw = [UInt8](repeating: 0, count: 64)
        let r = ECDSA_SIG_get0_r(signature)
        let s = ECDSA_SIG_get0_s(signature)
        let written = raw.withUnsafeMutableBufferPointer { buffer in
            BN_bn2binpad(r, buffer.baseAddress, 32) + BN_bn2binpad(s, buffer.baseAddress! + 32, 32)
        }
        guard written == 64 else { throw OpenSSLError.drain(while: "encoding an ECDSA signature") }
        return raw
    }
}

/// `EVP_DigestSign` with SHA-256: the DER signature of `message`.
func digestSign(_ message: [UInt8], key: OpaquePointer) throws(OpenSSLError) -> [UInt8] {
    let context = try requirePointer("allocating a digest context") { EVP_MD_CTX_new() }
    defer { EVP_MD_CTX_free(context) }
    try requireSuccess("starting a signature") { EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) }
    var length = 0
    try requireSuccess("sizing a signature") { EVP_DigestSign(context, nil, &length, message, message.count) }
    var signature = [UInt8](repeating: 0, count: length)
    try requireSuccess("signing") { EVP_DigestSign(context, &signature, &length, message, message.count) }
    return Array(signature.prefix(length))
}

/// SHA-256 of `bytes` (JWK thumbprints, TLS-ALPN-01 key authorization digests).
public func acmeSHA256(_ bytes: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: 32)
    var length: CUnsignedInt = 0
    let ok = EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil)
    precondition(ok == 1 && length == 32, "SHA-256 is always available in OpenSSL 3")
    return digest
}
