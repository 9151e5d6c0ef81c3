internal import CSSL

/// Authenticated encryption of small secrets with AES-256-GCM (OpenSSL's EVP), for values kept
/// in a shared store that must not reveal them (a fleet's session-ticket keys in etcd).
///
/// A sealed value is `"PCS1"`, a fresh random 12-byte nonce, the ciphertext and the 16-byte tag.
/// `associatedData` is authenticated, not stored: a value opened under other associated data
/// (moved to another key, say) fails like a tampered one.
public enum SecretSeal {
    public static let keyLength = 32
    static let magic: [UInt8] = Array("PCS1".utf8)
    static let nonceLength = 12
    static let tagLength = 16

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The key is not 32 bytes.
        case badKey(Int)
        /// Too short, or not a sealed value at all.
        case malformed
        /// The tag does not match: another key, other associated data, or changed bytes.
        case notAuthentic
        /// OpenSSL failed (no entropy, out of memory).
        case openSSL(String)

        public var description: String {
            switch self {
            case .badKey(let count): "a sealing key must be \(SecretSeal.keyLength) bytes (got \(count))"
            case .malformed: "not a sealed value (too short or no PCS1 header)"
            case .notAuthentic: "the sealed value does not open with this secret (another secret, or changed bytes)"
            case .openSSL(let what): "OpenSSL failed while \(what)"
            }
        }
    }

    public static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(Failure) -> [UInt8] {
        guard key.count == Self.keyLength else { throw .badKey(key.count) }
        var nonce = [UInt8](repeating: 0, count: Self.nonceLength)
        guard nonce.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, CInt(Self.nonceLength)) }) == 1 else {
            ERR_clear_error()
            throw .openSSL("generating a nonce")
        }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        try Self.crypt(encrypt: true, key: key, nonce: nonce, associatedData: associatedData, input: plaintext, output: &ciphertext, tag: &tag)
        return Self.magic + nonce + ciphertext + tag
    }

    public static func open(_ sealed: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(Failure) -> [UInt8] {
        guard key.count == Self.keyLength else { throw .badKey(key.count) }
        let overhead = Self.magic.count + Self.nonceLength + Self.tagLength
        guard sealed.count >= overhead, sealed.starts(with: Self.magic) else { throw .malformed }
        let nonce = Array(sealed[Self.magic.count..<(Self.magic.count + Self.nonceLength)])
        let ciphertext = Array(sealed[(Self.magic.count + Self.nonceLength)..<(sealed.count - Self.tagLength)])
        var tag = Array(sealed.suffix(Self.tagLength))
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        try Self.crypt(encrypt: false, key: key, nonce: nonce, associatedData: associatedData, input: ciphertext, output: &plaintext, tag: &tag)
        return plaintext
    }

    /// One GCM pass. Encrypting fills `tag`; decrypting checks it (``Failure/notAuthentic``).
    private static func crypt(
        encrypt: Bool, key: [UInt8], nonce: [UInt8], associatedData: [UInt8], input: [UInt8], output: inout [UInt8], tag: inout [UInt8]
    ) throws(Failure) {
        // The thread's OpenSSL error queue is empty before and after (a failure's entries would
        // be read by the next TLS call on this thread); `Failure` says what went wrong.
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let context = EVP_CIPHER_CTX_new() else { throw .openSSL("making a cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        let mode: CInt = encrypt ? 1 : 0
        // GCM's default IV length is 12 bytes, the nonce's.
        guard EVP_CipherInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce, mode) == 1 else { throw .openSSL("starting AES-256-GCM") }
        var length: CInt = 0
        if !associatedData.isEmpty {
            guard EVP_CipherUpdate(context, nil, &length, associatedData, CInt(associatedData.count)) == 1 else {
                throw .openSSL("authenticating associated data")
            }
        }
        if !input.isEmpty {
            let ok = output.withUnsafeMutableBufferPointer { out in
                EVP_CipherUpdate(context, out.baseAddress, &length, input, CInt(input.count))
            }
            guard ok == 1 else { throw .openSSL("running AES-256-GCM") }
        }
        if !encrypt {
            let set = tag.withUnsafeMutableBytes { EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, CInt(Self.tagLength), $0.baseAddress) }
            guard set == 1 else { throw .openSSL("setting the GCM tag") }
        }
        var final = [UInt8](repeating: 0, count: 16)
        guard EVP_CipherFinal_ex(context, &final, &length) == 1 else {
            if encrypt { throw .openSSL("finishing AES-256-GCM") }
            throw .notAuthentic
        }
        if encrypt {
            let got = tag.withUnsafeMutableBytes { EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, CInt(Self.tagLength), $0.baseAddress) }
            guard got == 1 else { throw .openSSL("reading the GCM tag") }
        }
    }
}
