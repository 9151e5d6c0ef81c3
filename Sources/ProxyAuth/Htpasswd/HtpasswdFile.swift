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
    /// A stored hash, or the stand-in for unknown users.
    private struct Entry: Sendable {
        /// The hash text; it is also the setting `crypt_rn` hashes a candidate password with.
        let hash: String
        /// The same text as bytes, to compare `crypt_rn`'s output with.
        let bytes: [UInt8]

        init(hash: some StringProtocol) {
            self.hash = String(hash)
            self.bytes = Array(hash.utf8)
        }
    }

    private let entries: [String: Entry]
    /// What an unknown user's password is hashed with: a fresh salt of the first user's scheme and cost.
    private let standIn: Entry

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
                let message = "user \(user): duplicate entry (first on line \(first))"
                problems.append(.init(line: line.number, message: message))
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
                entries[user] = Entry(hash: hash)
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
        let salt = CryptFunction.makeSetting(prefix: recipe.prefix, count: recipe.count)
        self.standIn = salt.map { Entry(hash: $0) } ?? entries[firstUser]!
    }

    /// Checks a user's password.
    ///
    /// - Returns: `true` when `user` is in the file and `password` hashes to the stored hash.
    ///   An unknown user costs the same hash computation as a known one, and is `false`.
    public func verify(user: String, password: String) -> Bool {
        let entry = self.entries[user]
        // The same work whether or not the user exists; only the final answer differs.
        let stored = entry ?? self.standIn
        guard let computed = CryptFunction.hash(password: password, setting: stored.hash) else {
            return false
        }
        return constantTimeEquals(computed, stored.bytes) && entry != nil
    }
}
