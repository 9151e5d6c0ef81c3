internal import CCrypt

/// libxcrypt's reentrant `crypt_rn` and its helpers.
///
/// `crypt_rn` keeps all of its state in a caller-supplied `struct crypt_data` (32 KiB), so any
/// number of threads may hash at once; plain `crypt` uses one static buffer and may not be
/// called from more than one thread.
enum CryptFunction {
    /// Hashes `password` with `setting` (a stored hash, or a salt from ``makeSetting(prefix:count:)``).
    ///
    /// - Returns: The hash text as UTF-8 bytes, which equals the stored hash exactly when the
    ///   password is right; `nil` when libxcrypt refuses the setting or the passphrase (longer
    ///   than 511 bytes), or when `password` contains a NUL byte, which C would cut it at.
    static func hash(password: String, setting: String) -> [UInt8]? {
        guard password.utf8.count < CRYPT_MAX_PASSPHRASE_SIZE, !password.utf8.contains(0) else {
            return nil
        }
        let size = MemoryLayout<crypt_data>.size
        return withUnsafeTemporaryAllocation(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment) {
            data in
            // libxcrypt asks for a zeroed area on first use; each call here gets a fresh one.
            data.initializeMemory(as: UInt8.self, repeating: 0)
            defer { data.initializeMemory(as: UInt8.self, repeating: 0) }
            guard let output = crypt_rn(password, setting, data.baseAddress, CInt(size)) else {
                return nil
            }
            return UnsafeRawPointer(output).withMemoryRebound(to: UInt8.self, capacity: Int(CRYPT_OUTPUT_SIZE)) {
                Array(UnsafeBufferPointer(start: $0, count: Self.terminatedLength($0, limit: Int(CRYPT_OUTPUT_SIZE))))
            }
        }
    }

    /// Whether this system's libxcrypt can hash with `setting` (`crypt_checksalt`). Legacy
    /// methods count as supported: whether to allow them is the caller's decision.
    static func supports(setting: String) -> Bool {
        let status = crypt_checksalt(setting)
        return status == CRYPT_SALT_OK || status == CRYPT_SALT_METHOD_LEGACY
    }

    /// Makes a fresh setting (method, cost and random salt, no hash) with `crypt_gensalt_rn`.
    ///
    /// - Parameters:
    ///   - prefix: The method, such as `$2b$` or `$6$`.
    ///   - count: The cost: log2 rounds for bcrypt, rounds for SHA-512-crypt, 0 for the default.
    /// - Returns: The setting, or `nil` if libxcrypt refuses.
    static func makeSetting(prefix: String, count: UInt) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(CRYPT_GENSALT_OUTPUT_SIZE)) { buffer in
            // A NULL rbytes makes libxcrypt draw the salt from the operating system's random source.
            guard crypt_gensalt_rn(prefix, CUnsignedLong(count), nil, 0, buffer.baseAddress, CInt(buffer.count)) != nil
            else {
                return nil
            }
            return String(cString: buffer.baseAddress!)
        }
    }

    private static func terminatedLength(_ text: UnsafePointer<UInt8>, limit: Int) -> Int {
        var length = 0
        while length < limit, text[length] != 0 {
            length += 1
        }
        return length
    }
}
