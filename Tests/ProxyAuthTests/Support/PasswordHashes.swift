import CCrypt
import Foundation

/// Hashes `password` with libxcrypt itself: a fresh salt for `prefix` and `count` from
/// `crypt_gensalt_rn`, then `crypt_rn`. Makes the bcrypt hashes `htpasswd -B` would (apache2-utils
/// and Python's bcrypt are not installed here) and SHA-512-crypt hashes with `rounds=`.
func cryptHash(_ password: String, prefix: String, count: UInt) throws -> String {
    var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
    guard crypt_gensalt_rn(prefix, CUnsignedLong(count), nil, 0, &setting, CInt(setting.count)) != nil else {
        throw ToolError(description: "crypt_gensalt_rn refused \(prefix) \(count)")
    }
    var data = [UInt8](repeating: 0, count: MemoryLayout<crypt_data>.size)
    let hash: String? = data.withUnsafeMutableBytes { area in
        crypt_rn(password, setting, area.baseAddress, CInt(area.count)).map { String(cString: $0) }
    }
    guard let hash else { throw ToolError(description: "crypt_rn refused \(prefix)") }
    return hash
}

/// A SHA-512-crypt hash made by `openssl passwd -6`.
func opensslSHA512Crypt(_ password: String) throws -> String {
    try toolText(["openssl", "passwd", "-6", "-stdin"], input: Array((password + "\n").utf8))
}

/// The SHA-256 of `key` in hex, as `sha256sum` prints it.
func sha256Hex(_ key: String) throws -> String {
    let line = try toolText(["sha256sum"], input: Array(key.utf8))
    return String(line.prefix(64))
}
