internal import CSSL

/// SHA-256 through OpenSSL's one-shot `EVP_Digest`.
public enum SHA256Digest {
    /// The digest length in bytes.
    static let byteCount = 32

    /// Hashes `bytes` into `output`, which must hold ``byteCount`` bytes.
    ///
    /// - Returns: `false` only if OpenSSL fails (it has no reason to for SHA-256); `output` is
    ///   then all zeros, which no caller treats as a match because the error is reported.
    static func hash(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        precondition(output.count >= Self.byteCount)
        OpenSSLErrorQueue.clear()
        var length: CUnsignedInt = 0
        let status = EVP_Digest(
            bytes.baseAddress,  // NULL is fine for 0 bytes: EVP_DigestUpdate returns early
            bytes.count,
            output.baseAddress!.assumingMemoryBound(to: UInt8.self),
            &length,
            EVP_sha256(),
            nil
        )
        guard status == 1, length == Self.byteCount else {
            OpenSSLErrorQueue.discard()
            output.initializeMemory(as: UInt8.self, repeating: 0)
            return false
        }
        return true
    }

    /// The digest of `bytes` as a new array, for load time and tests.
    public static func hash(_ bytes: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: Self.byteCount)
        let succeeded = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { Self.hash(input, into: $0) }
        }
        return succeeded ? output : nil
    }
}
