import ProxyAuth
import Testing

private func loadErrors(_ text: String) -> [String] {
    do {
        _ = try APIKeySet(parsing: text)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

struct APIKeySetTests {
    @Test func matchesKeysByTheirDigest() throws {
        let ci = try sha256Hex("ci-secret-0123456789")
        let deploy = try sha256Hex("deploy-secret-abcdef")
        let unnamed = try sha256Hex("unnamed-secret")
        let keys = try APIKeySet(
            parsing: """
                # made with sha256sum
                \(ci)  ci-bot
                \(deploy.uppercased())\tdeploy # rotated in May

                \(unnamed)   # no name
                """
        )
        #expect(keys.count == 3)
        #expect(keys.keyNames == ["ci-bot", "deploy", "sha256:" + unnamed.prefix(8)])
        #expect(keys.match("ci-secret-0123456789") == "ci-bot")
        #expect(keys.match("deploy-secret-abcdef") == "deploy")
        #expect(keys.match("unnamed-secret") == "sha256:" + unnamed.prefix(8))
        #expect(keys.match(Array("deploy-secret-abcdef".utf8)) == "deploy")
        #expect(keys.match("xxdeploy-secret-abcdef".dropFirst(2)) == "deploy")
        #expect(keys.match("ci-secret-012345678") == nil)
        #expect(keys.match("ci-secret-0123456789 ") == nil)
        #expect(keys.match("") == nil)
        #expect(keys.match(ci) == nil)  // the digest itself is not a key
    }

    @Test func reportsEveryBadLineAtOnce() throws {
        let good = try sha256Hex("one")
        let errors = loadErrors(
            """
            \(good) one
            abc123 short
            \(String(repeating: "g", count: 64)) not-hex
            raw-api-key-pasted-by-mistake
            \(good) again
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 empty
            \(try sha256Hex("two")) two words
            """
        )
        let notADigest = "not a SHA-256 digest (expected 64 hex characters; store the key's digest, not the key)"
        #expect(
            errors == [
                "line 2: \(notADigest)",
                "line 3: \(notADigest)",
                "line 4: \(notADigest)",
                "line 5: duplicate key (same digest as line 1)",
                "line 6: this is the digest of the empty string, not of a key",
                "line 7: unexpected text after the name (names have no spaces)",
            ]
        )
        #expect(!errors.joined().contains("raw-api-key"))
    }

    @Test func refusesAFileWithoutKeys() {
        #expect(loadErrors("\n# none\n") == ["no keys (every line is blank or a comment)"])
    }
}
