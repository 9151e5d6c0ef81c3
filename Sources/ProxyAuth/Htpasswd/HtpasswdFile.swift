/// The users of an htpasswd file, for HTTP Basic authentication.
///
/// Each content line is `user:hash`; blank lines and `#` comments are skipped, and a CRLF line
/// end is fine. Hashes must be bcrypt (`$2y$`, `$2b$`, `$2a$`) or SHA-512-crypt (`$6$`), as
/// written by `htpasswd -B` or `openssl passwd -6`. Loading reports every bad line at once.
///
/// ``verify(user:password:)`` takes as long for an unknown user as for a known one: it hashes
/// the password against a stand-in of the same scheme and cost as the file's first user, so
/// response times do not reveal which users exist. (Keep all users on one scheme and cost, or
/// the differences between users give that away instead.) The stored and computed hashes are
/// compared in constant time.
///
/// bcrypt looks at the first 72 bytes of a password only; SHA-512-crypt at all of them.
/// Passwords longer than 511 bytes, or holding a NUL byte, never verify.
///
/// Immutable once loaded, so one value serves every event loop.
///
/// > Important: A verification costs one full password hash (bcrypt cost 10: ~70 ms of CPU).
/// > Run it off the event loop.
public struct HtpasswdFile: Sendable {
    private struct Entry: Sendable {
        /// The stored hash; it is also the setting `crypt_rn` hashes the candidate with.
        let hash: String
    }

    private let entries: [String: Entry]
    /// What an unknown user's password is hashed with: a fresh salt of the first user's scheme and cost.
    private let standIn: String

    /// The user names, sorted.
    public var users: [String] {
        self.entries.keys.sorted()
    }

    /// Parses the text of an htpasswd file.
    ///
    /// - Throws: ``AuthLoadError`` listing every problem with its line: a line without `:`, an
    ///   empty user, a duplicate user, an unsupported scheme (MD5 `$apr1$`, SHA-1 `{SHA}`, DES,
    ///   plain text), a malformed hash; or a file with no users at all.
    public init(parsing text: String) throws(AuthLoadError) {
        var entries: [String: Entry] = [:]
        var firstLine: [String: Int] = [:]
        var firstScheme: PasswordHashScheme? = nil
        var problems: [AuthLoadError.Problem] = []
        for line in ContentLine.lines(of: text) {
            guard let colon = line.text.firstIndex(of: ":") else {
                problems.append(.init(line: line.number, message: "expected user:hash"))
                continue
            }
            let user = String(line.text[..<colon].trimmingBlanks())
            let hash = line.text[line.text.index(after: colon)...].trimmingBlanks()
            guard !user.isEmpty else {
                problems.append(.init(line: line.number, message: "empty user name before ':'"))
                continue
            }
            if let first = firstLine[user] {
                problems.append(.init(line: line.number, message: "user \(user): duplicate entry (first on line \(first))"))
                continue
            }
            firstLine[user] = line.number
            switch PasswordHashScheme.classify(hash) {
            case .failure(let problem):
                problems.append(.init(line: line.number, message: "user \(user): \(problem.message)"))
            case .success(let scheme):
                guard CryptFunction.supports(setting: String(hash)) else {
                    problems.append(
                        .init(line: line.number, message: "user \(user): this system's libcrypt cannot check this hash")
                    )
                    continue
                }
                entries[user] = Entry(hash: String(hash))
                firstScheme = firstScheme ?? scheme
            }
        }
        if problems.isEmpty && entries.isEmpty {
            problems.append(.init(line: nil, message: "no users (every line is blank or a comment)"))
        }
        guard problems.isEmpty, let firstScheme, let firstUser = firstLine.min(by: { $0.value < $1.value })?.key else {
            throw AuthLoadError(problems: problems)
        }
        let recipe = firstScheme.settingRecipe
        self.entries = entries
        // Should libxcrypt fail to make a salt, the first user's own hash is an exact stand-in: its
        // result is thrown away.
        self.standIn = CryptFunction.makeSetting(prefix: recipe.prefix, count: recipe.count) ?? entries[firstUser]!.hash
    }

    /// Checks a user's password.
    ///
    /// - Returns: `true` when `user` is in the file and `password` hashes to the stored hash.
    ///   An unknown user costs the same hash computation as a known one, and is `false`.
    public func verify(user: String, password: String) -> Bool {
        guard let entry = self.entries[user] else {
            let computed = CryptFunction.hash(password: password, setting: self.standIn) ?? []
            _ = constantTimeEquals(computed, Array(self.standIn.utf8))
            return false
        }
        guard let computed = CryptFunction.hash(password: password, setting: entry.hash) else {
            return false
        }
        var stored = entry.hash
        return stored.withUTF8 { storedBytes in
            computed.withUnsafeBytes { constantTimeEquals($0, UnsafeRawBufferPointer(storedBytes)) }
        }
    }
}
