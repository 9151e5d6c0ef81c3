internal import CSSL

/// A private key held in OpenSSL memory. Owns one `EVP_PKEY` reference; `deinit` frees it.
final class TLSPrivateKey {
    /// Owned `EVP_PKEY *`.
    private let key: OpaquePointer

    init(adopting key: OpaquePointer) {
        self.key = key
    }

    deinit {
        EVP_PKEY_free(self.key)
    }

    /// Parses the first private key in a PEM document (PKCS#8, traditional RSA or EC).
    static func read(pem: [UInt8]) throws(OpenSSLError) -> TLSPrivateKey {
        let key: OpaquePointer = try requirePointer("reading a PEM private key") {
            pem.withUnsafeBytes { bytes in
                guard let bio = BIO_new_mem_buf(bytes.baseAddress, CInt(bytes.count)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
            }
        }
        return TLSPrivateKey(adopting: key)
    }

    /// Calls `body` with the raw `EVP_PKEY *`. Don't store the pointer, and don't free it.
    func withKeyPointer<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.key)
    }

    enum Kind: Equatable {
        case rsa(bits: Int)
        case ecdsa(curve: String)
        case other(String)
    }

    var kind: Kind {
        switch EVP_PKEY_get_base_id(self.key) {
        case EVP_PKEY_RSA:
            return .rsa(bits: Int(EVP_PKEY_get_bits(self.key)))
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(self.key, &name, name.count, &length) == 1 else {
                return .ecdsa(curve: "unknown")
            }
            return .ecdsa(curve: String(decoding: name[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default:
            let type = EVP_PKEY_get0_type_name(self.key).map { String(cString: $0) } ?? "unknown"
            return .other(type)
        }
    }

    /// PEM (PKCS#8, unencrypted) text of this key.
    func pemBytes() throws(OpenSSLError) -> [UInt8] {
        let bio = try requirePointer("allocating a memory BIO") { BIO_new(BIO_s_mem()) }
        defer { BIO_free(bio) }
        try requireSuccess("encoding a private key as PEM") {
            PEM_write_bio_PrivateKey(bio, self.key, nil, nil, 0, nil, nil)
        }
        return readMemoryBIO(bio)
    }
}

/// Copies everything written to a memory BIO.
func readMemoryBIO(_ bio: OpaquePointer) -> [UInt8] {
    var data: UnsafeMutablePointer<CChar>? = nil
    let length = CSSL_BIO_get_mem_data(bio, &data)
    guard length > 0, let data else { return [] }
    return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
        Array(UnsafeBufferPointer(start: $0, count: Int(length)))
    }
}

// Immutable after init; EVP_PKEY may be used from several threads for signing.
extension TLSPrivateKey: @unchecked Sendable {}
