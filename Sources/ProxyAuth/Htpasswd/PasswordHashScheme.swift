/// The password hash schemes an htpasswd file may use, with their cost.
///
/// Only slow, salted schemes are accepted. Apache's MD5 (`$apr1$`), SHA-1 (`{SHA}`), DES crypt
/// and plain text are refused at load time: a stolen file in any of those is cracked in hours.
enum PasswordHashScheme: Hashable, Sendable {
    /// bcrypt (`$2y$`, `$2b$`, `$2a$`), with its cost (log2 of the rounds, 4...31).
    case bcrypt(cost: Int)
    /// SHA-512-crypt (`$6$`), with its `rounds=` or `nil` for the default 5000.
    case sha512Crypt(rounds: Int?)

    /// The advice that ends every "unsupported" message.
    static let advice = "use bcrypt ($2y$) or SHA-512-crypt ($6$)"

    /// Recognises `hash` and checks its shape.
    ///
    /// - Returns: The scheme, or a message for the user (it names the scheme, never the hash).
    static func classify(_ hash: Substring) -> Result<PasswordHashScheme, Problem> {
        let bytes = Array(hash.utf8)
        if bytes.starts(with: Array("$2y$".utf8)) || bytes.starts(with: Array("$2b$".utf8))
            || bytes.starts(with: Array("$2a$".utf8))
        {
            return Self.classifyBcrypt(bytes)
        }
        if bytes.starts(with: Array("$6$".utf8)) {
            return Self.classifySHA512Crypt(bytes[3...])
        }
        return .failure(Problem("unsupported hash scheme \(Self.schemeName(of: hash)); \(Self.advice)"))
    }

    /// A message about a hash, a `Result` failure.
    struct Problem: Error, Hashable {
        let message: String

        init(_ message: String) {
            self.message = message
        }
    }

    /// The prefix and count that make a new setting of the same method and cost with
    /// ``CryptFunction/makeSetting(prefix:count:)``.
    var settingRecipe: (prefix: String, count: UInt) {
        switch self {
        case .bcrypt(let cost): ("$2b$", UInt(cost))
        case .sha512Crypt(let rounds): ("$6$", UInt(rounds ?? 0))
        }
    }

    /// `$2y$10$` + 22 characters of salt + 31 of hash, 60 in all.
    private static func classifyBcrypt(_ bytes: [UInt8]) -> Result<PasswordHashScheme, Problem> {
        let shape = "expected $2y$, a two-digit cost 04-31, $ and 53 characters of salt and hash"
        guard bytes.count == 60, bytes[6] == UInt8(ascii: "$"), Self.isDigit(bytes[4]), Self.isDigit(bytes[5]) else {
            return .failure(Problem("malformed bcrypt hash (\(shape))"))
        }
        let cost = Int(bytes[4] - UInt8(ascii: "0")) * 10 + Int(bytes[5] - UInt8(ascii: "0"))
        guard (4...31).contains(cost) else {
            return .failure(Problem("bcrypt cost \(cost) is out of range 04-31"))
        }
        guard bytes[7...].allSatisfy(Self.isCryptAlphabet) else {
            return .failure(Problem("malformed bcrypt hash (\(shape))"))
        }
        return .success(.bcrypt(cost: cost))
    }

    /// `$6$` + optional `rounds=N$` + 1-16 characters of salt + `$` + 86 characters of hash.
    private static func classifySHA512Crypt(_ rest: ArraySlice<UInt8>) -> Result<PasswordHashScheme, Problem> {
        let shape = "expected $6$, an optional rounds=N$, a salt of 1-16 characters, $ and 86 characters of hash"
        var fields = rest.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        var rounds: Int? = nil
        if let first = fields.first, first.starts(with: Array("rounds=".utf8)) {
            let digits = first.dropFirst(7)
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(Self.isDigit),
                let value = Int(String(decoding: digits, as: UTF8.self))
            else {
                return .failure(Problem("malformed SHA-512-crypt hash (\(shape))"))
            }
            guard value >= 1000 else {
                return .failure(Problem("SHA-512-crypt rounds=\(value) is below the minimum of 1000"))
            }
            rounds = value
            fields.removeFirst()
        }
        guard fields.count == 2, (1...16).contains(fields[0].count),
            fields[0].allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }),
            fields[1].count == 86, fields[1].allSatisfy(Self.isCryptAlphabet)
        else {
            return .failure(Problem("malformed SHA-512-crypt hash (\(shape))"))
        }
        return .success(.sha512Crypt(rounds: rounds))
    }

    /// `./0-9A-Za-z`, the alphabet both schemes write their salt and hash in.
    private static func isCryptAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            true
        default:
            false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// How to name a refused scheme without quoting the hash, which may be a plain-text password:
    /// only a short identifier in `$…$` or `{…}` is shown.
    private static func schemeName(of hash: Substring) -> String {
        let bytes = Array(hash.utf8)
        for (open, close) in [(UInt8(ascii: "$"), UInt8(ascii: "$")), (UInt8(ascii: "{"), UInt8(ascii: "}"))] {
            guard bytes.first == open, let end = bytes.dropFirst().firstIndex(of: close), (2...9).contains(end) else {
                continue
            }
            let identifier = bytes[1..<end]
            if identifier.allSatisfy({ Self.isDigit($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                return String(decoding: bytes[...end], as: UTF8.self)
            }
        }
        return "(plain text or DES crypt)"
    }
}
