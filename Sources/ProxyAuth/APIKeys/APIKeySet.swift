/// The API keys a route accepts, stored as SHA-256 digests so the file holds no usable secret.
///
/// Each content line is a key's SHA-256 digest in hex (64 characters, either case), optionally
/// followed by whitespace and a name for logs, and optionally by a `#` comment:
///
///     # made with: printf %s "$KEY" | sha256sum
///     9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  ci-bot
///     60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  # unnamed
///
/// A key without a name is called `sha256:` and the first 8 hex digits of its digest.
///
/// ``match(_:)`` hashes the presented key once and compares the digest with
/// every stored digest, always all of them, in constant time. Only a hash of the key is
/// compared, so even a timing leak would tell an attacker about a digest, not about a key.
///
/// Immutable once loaded, so one value serves every event loop.
public struct APIKeySet: Sendable {
    /// Every digest, back to back, ``SHA256Digest/byteCount`` bytes each.
    private let digests: [UInt8]
    /// The name of each digest, in the same order.
    private let names: [String]

    /// How many keys the set holds.
    public var count: Int {
        self.names.count
    }

    /// The key names, in file order.
    public var keyNames: [String] {
        self.names
    }

    /// Parses the text of a keys file.
    ///
    /// - Throws: ``AuthLoadError`` listing every problem with its line: something other than 64
    ///   hex digits, a duplicate digest, the digest of the empty string, text after the name; or
    ///   a file with no keys at all.
    public init(parsing text: String) throws(AuthLoadError) {
        var digests: [UInt8] = []
        var names: [String] = []
        var firstLine: [[UInt8]: Int] = [:]
        var problems: [AuthLoadError.Problem] = []
        let emptyKeyDigest = SHA256Digest.hash([])
        for line in ContentLine.lines(of: text) {
            let allWords = line.text.split(whereSeparator: Substring.isBlank)
            let words = allWords.prefix(while: { !$0.hasPrefix("#") })  // a trailing # comment is dropped
            func report(_ message: String) {
                problems.append(.init(line: line.number, message: message))
            }
            guard let digest = Self.decodeHexDigest(words[0]) else {
                report("not a SHA-256 digest (expected 64 hex characters; store the key's digest, not the key)")
                continue
            }
            if words.count > 2 {
                report("unexpected text after the name (names have no spaces)")
                continue
            }
            if digest == emptyKeyDigest {
                report("this is the digest of the empty string, not of a key")
                continue
            }
            if let first = firstLine[digest] {
                report("duplicate key (same digest as line \(first))")
                continue
            }
            firstLine[digest] = line.number
            let name = words.count > 1 ? String(words[1]) : nil
            digests.append(contentsOf: digest)
            names.append(name ?? "sha256:" + words[0].prefix(8).lowercased())
        }
        if problems.isEmpty && names.isEmpty {
            problems.append(.init(line: nil, message: "no keys (every line is blank or a comment)"))
        }
        guard problems.isEmpty else {
            throw AuthLoadError(problems: problems)
        }
        self.digests = digests
        self.names = names
    }

    /// Looks up a presented key, such as the value of an `X-API-Key` header.
    ///
    /// - Returns: The name of the matching key, or `nil` if no stored digest matches.
    public func match(_ presentedKey: some StringProtocol) -> String? {
        let contiguous = presentedKey.utf8.withContiguousStorageIfAvailable {
            self.matchDigest(of: UnsafeRawBufferPointer($0))
        }
        if let found = contiguous {
            return found
        }
        return Array(presentedKey.utf8).withUnsafeBytes { self.matchDigest(of: $0) }
    }

    /// Looks up a presented key given as bytes.
    ///
    /// - Returns: The name of the matching key, or `nil` if no stored digest matches.
    public func match(_ presentedKey: some Collection<UInt8>) -> String? {
        let contiguous = presentedKey.withContiguousStorageIfAvailable {
            self.matchDigest(of: UnsafeRawBufferPointer($0))
        }
        if let found = contiguous {
            return found
        }
        return Array(presentedKey).withUnsafeBytes { self.matchDigest(of: $0) }
    }

    private func matchDigest(of key: UnsafeRawBufferPointer) -> String? {
        let width = SHA256Digest.byteCount
        let found = withUnsafeTemporaryAllocation(byteCount: width, alignment: 1) { presented -> Int in
            guard SHA256Digest.hash(key, into: presented) else { return -1 }
            return self.digests.withUnsafeBytes { stored in
                var found = -1
                for slot in 0..<self.names.count {
                    var difference: UInt8 = 0
                    for offset in 0..<width {
                        difference |= stored[slot * width + offset] ^ presented[offset]
                    }
                    // 1 when difference is 0, else 0; then all ones or all zeros. No branch on the outcome.
                    let isMatch = Int((UInt32(difference) &- 1) >> 31)
                    let mask = 0 &- isMatch
                    found = (slot & mask) | (found & ~mask)
                }
                return found
            }
        }
        return found >= 0 ? self.names[found] : nil
    }

    /// The 32 bytes of a 64-digit hex digest, or `nil`.
    private static func decodeHexDigest(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == SHA256Digest.byteCount * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256Digest.byteCount)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.hexValue(digits[index]), let low = Self.hexValue(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
