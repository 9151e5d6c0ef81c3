import ProxyAuth
import Testing

/// Hashes made once per run: bcrypt by libxcrypt (what `htpasswd -B` writes), SHA-512-crypt by
/// `openssl passwd -6`.
private struct Hashes: Sendable {
    let bcrypt2b: String
    let bcrypt2y: String
    let bcrypt2a: String
    let sha512: String
    let sha512Rounds: String

    static let shared: Hashes = {
        do {
            return Hashes(
                bcrypt2b: try cryptHash("alice-pw", prefix: "$2b$", count: 4),
                bcrypt2y: try cryptHash("bob-pw", prefix: "$2y$", count: 4),
                bcrypt2a: try cryptHash("carol-pw", prefix: "$2a$", count: 4),
                sha512: try opensslSHA512Crypt("dave-pw"),
                sha512Rounds: try cryptHash("erin-pw", prefix: "$6$", count: 2000)
            )
        } catch {
            fatalError("cannot make password hashes: \(error)")
        }
    }()
}

private func loadErrors(_ text: String) -> [String] {
    do {
        _ = try HtpasswdFile(parsing: text)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

struct HtpasswdFileTests {
    @Test func checksBcryptAndSHA512CryptPasswords() throws {
        let hashes = Hashes.shared
        #expect(hashes.bcrypt2b.hasPrefix("$2b$04$"))
        #expect(hashes.bcrypt2y.hasPrefix("$2y$04$"))
        #expect(hashes.sha512.hasPrefix("$6$"))
        #expect(hashes.sha512Rounds.hasPrefix("$6$rounds=2000$"))
        let file = try HtpasswdFile(
            parsing: """
                # team
                alice:\(hashes.bcrypt2b)
                bob:\(hashes.bcrypt2y)\r
                  carol : \(hashes.bcrypt2a)  

                dave:\(hashes.sha512)
                erin:\(hashes.sha512Rounds)
                """
        )
        #expect(file.users == ["alice", "bob", "carol", "dave", "erin"])
        for (user, password) in [("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw"), ("dave", "dave-pw"), ("erin", "erin-pw")] {
            #expect(file.verify(user: user, password: password), "\(user) with the right password")
            #expect(!file.verify(user: user, password: password + "x"), "\(user) with a wrong password")
            #expect(!file.verify(user: user, password: ""), "\(user) with an empty password")
            #expect(!file.verify(user: user, password: password + "\0"), "\(user) with a NUL appended")
        }
        #expect(!file.verify(user: "alice", password: "bob-pw"))  // another user's password
        #expect(!file.verify(user: "mallory", password: "alice-pw"))
        #expect(!file.verify(user: "Alice", password: "alice-pw"))
        #expect(!file.verify(user: "", password: ""))
    }

    @Test func unknownUsersCostAHashComputation() throws {
        // Cost 9: ~30 ms a hash. An unknown user answered without hashing would take microseconds.
        let file = try HtpasswdFile(parsing: "alice:\(try cryptHash("pw", prefix: "$2b$", count: 9))\n")
        func fastest(_ user: String) -> Duration {
            (0..<3).map { _ in ContinuousClock().measure { _ = file.verify(user: user, password: "wrong") } }.min()!
        }
        let known = fastest("alice")
        let unknown = fastest("nobody")
        #expect(known > .milliseconds(5))
        #expect(unknown > known / 4, "known user \(known), unknown user \(unknown)")
    }

    @Test func reportsEveryBadLineAtOnce() throws {
        let good = Hashes.shared.bcrypt2b
        let sha = Hashes.shared.sha512
        let shaHash = sha.split(separator: "$").last!
        let errors = loadErrors(
            """
            alice:\(good)
            # Apache MD5, SHA-1, DES and plain text are all refused
            bob:$apr1$KRvA8XnW$aVdOcMd1TFydOGYaWPnGo.
            carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=
            dave:rqXexS6ZhobKA
            erin:password123
            frank:$1$salt$qJH7.N4xYta3aEG/dfqo/0
            no colon here
            :\(good)
            alice:\(sha)
            gina:$2b$03$\(good.dropFirst(7))
            hank:$2b$10$tooShort
            ivan:$6$rounds=999$salt$\(shaHash)
            judy:$6$$\(shaHash)
            kim:$6$saltsaltsaltsalt1$\(shaHash)
            """
        )
        #expect(
            errors == [
                "line 3: user bob: unsupported hash scheme $apr1$; use bcrypt ($2y$) or SHA-512-crypt ($6$)",
                "line 4: user carol: unsupported hash scheme {SHA}; use bcrypt ($2y$) or SHA-512-crypt ($6$)",
                "line 5: user dave: unsupported hash scheme (plain text or DES crypt); use bcrypt ($2y$) or SHA-512-crypt ($6$)",
                "line 6: user erin: unsupported hash scheme (plain text or DES crypt); use bcrypt ($2y$) or SHA-512-crypt ($6$)",
                "line 7: user frank: unsupported hash scheme $1$; use bcrypt ($2y$) or SHA-512-crypt ($6$)",
                "line 8: expected user:hash",
                "line 9: empty user name before ':'",
                "line 10: user alice: duplicate entry (first on line 1)",
                "line 11: user gina: bcrypt cost 3 is out of range 04-31",
                "line 12: user hank: malformed bcrypt hash (expected $2y$, a two-digit cost 04-31, $ and 53 characters of salt and hash)",
                "line 13: user ivan: SHA-512-crypt rounds=999 is below the minimum of 1000",
                "line 14: user judy: malformed SHA-512-crypt hash (expected $6$, an optional rounds=N$, a salt of 1-16 characters, $ and 86 characters of hash)",
                "line 15: user kim: malformed SHA-512-crypt hash (expected $6$, an optional rounds=N$, a salt of 1-16 characters, $ and 86 characters of hash)",
            ]
        )
        // A plain-text password in the file is never repeated in a message.
        #expect(!errors.joined().contains("password123"))
    }

    @Test func refusesAFileWithoutUsers() {
        #expect(loadErrors("") == ["no users (every line is blank or a comment)"])
        #expect(loadErrors("# nobody yet\n\n   \n") == ["no users (every line is blank or a comment)"])
    }
}
