import ProxyAuth
import Testing

private let now: Int64 = 1_700_000_000

private let es256Header = #"{"alg":"ES256","kid":"ec-1","typ":"JWT"}"#
private let rs256Header = #"{"alg":"RS256","kid":"rsa-1","typ":"JWT"}"#

/// Claims that pass every check of ``verifier(_:)``, with `extra` members appended.
private func claims(exp: Int64 = now + 300, extra: String = "") -> String {
    #"{"sub":"alice","iss":"https://issuer.test","aud":"api","exp":\#(exp)\#(extra)}"#
}

/// A verifier for the shared EC P-256 (kid ec-1) and RSA (kid rsa-1) keys.
private func verifier(
    _ settings: JWTVerifier.Settings = JWTVerifier.Settings(issuer: "https://issuer.test", audience: "api", leeway: 30)
) throws -> JWTVerifier {
    let keys = TestKeys.shared
    return try JWTVerifier(jwks: #"{"keys":[\#(keys.ec.jwk(kid: "ec-1")),\#(keys.rsa.jwk(kid: "rsa-1"))]}"#, settings: settings)
}

private func isMalformed(_ result: Result<JWTClaims, JWTFailure>) -> Bool {
    guard case .failure(.malformed) = result else { return false }
    return true
}

struct JWTVerifierTests {
    let keys = TestKeys.shared

    @Test func acceptsAValidES256Token() throws {
        let token = try makeToken(
            header: es256Header,
            claims: claims(extra: #","uid":12345678901234567890123,"admin":true,"groups":["a"],"name":"Al\u00efce""#),
            key: self.keys.ec
        )
        let claims = try verifier().verify(token, now: now).get()
        #expect(claims.subject == "alice")
        #expect(claims.text(of: "uid") == "12345678901234567890123")
        #expect(claims.text(of: "exp") == String(now + 300))
        #expect(claims.text(of: "name") == "Alïce")
        #expect(claims.text(of: "admin") == nil)
        #expect(claims.text(of: "groups") == nil)
        #expect(claims.text(of: "missing") == nil)
        #expect(claims["groups"] == .array([.string("a")]))
        // A Substring works as well as a String.
        #expect(try verifier().verify(("Bearer " + token).dropFirst(7), now: now).get() == claims)
    }

    @Test func acceptsAValidRS256Token() throws {
        let token = try makeToken(header: rs256Header, claims: claims(), key: self.keys.rsa)
        #expect(try verifier().verify(token, now: now).get().subject == "alice")
    }

    @Test func withoutKidTriesEveryKeyOfTheAlgorithmsType() throws {
        let es = try makeToken(header: #"{"alg":"ES256"}"#, claims: claims(), key: self.keys.ec)
        let rs = try makeToken(header: #"{"alg":"RS256"}"#, claims: claims(), key: self.keys.rsa)
        #expect(try verifier().verify(es, now: now).get().subject == "alice")
        #expect(try verifier().verify(rs, now: now).get().subject == "alice")
        // A second EC key listed first: the right one is still found.
        let twoKeys = try JWTVerifier(
            jwks: #"{"keys":[\#(self.keys.otherEC.jwk()),\#(self.keys.ec.jwk())]}"#,
            settings: .init(issuer: "https://issuer.test", audience: "api")
        )
        #expect(try twoKeys.verify(es, now: now).get().subject == "alice")
    }

    @Test func acceptsPS256AndES384WhenAllowed() throws {
        let settings = JWTVerifier.Settings(algorithms: [.ps256, .es384])
        let verifier = try JWTVerifier(
            jwks: #"{"keys":[\#(self.keys.rsa.jwk(kid: "r")),\#(self.keys.ec384.jwk(kid: "e"))]}"#,
            settings: settings
        )
        let ps = try makeToken(header: #"{"alg":"PS256","kid":"r"}"#, claims: claims(), key: self.keys.rsa, pss: true)
        let es = try makeToken(header: #"{"alg":"ES384","kid":"e"}"#, claims: claims(), key: self.keys.ec384, digest: "sha384")
        #expect(try verifier.verify(ps, now: now).get().subject == "alice")
        #expect(try verifier.verify(es, now: now).get().subject == "alice")
        // PKCS #1 v1.5 signature under a PS256 header: the padding is part of the algorithm.
        let pkcs1 = try makeToken(header: #"{"alg":"PS256","kid":"r"}"#, claims: claims(), key: self.keys.rsa)
        #expect(verifier.verify(pkcs1, now: now) == .failure(.badSignature))
    }

    @Test func checksExpiryWithLeeway() throws {
        let verifier = try verifier()  // leeway 30
        let justInLeeway = try makeToken(header: es256Header, claims: claims(exp: now - 30), key: self.keys.ec)
        let pastLeeway = try makeToken(header: es256Header, claims: claims(exp: now - 31), key: self.keys.ec)
        #expect(try verifier.verify(justInLeeway, now: now).get().subject == "alice")
        #expect(verifier.verify(pastLeeway, now: now) == .failure(.expired))
        #expect(verifier.verify(justInLeeway, now: now + 1) == .failure(.expired))

        let strict = try JWTVerifier(jwks: #"{"keys":[\#(self.keys.ec.jwk(kid: "ec-1"))]}"#, settings: .init(leeway: 0))
        let oneSecondAgo = try makeToken(header: es256Header, claims: claims(exp: now - 1), key: self.keys.ec)
        #expect(strict.verify(oneSecondAgo, now: now) == .failure(.expired))
        #expect(try strict.verify(oneSecondAgo, now: now - 1).get().subject == "alice")
    }

    @Test func checksNotBeforeWithLeeway() throws {
        let verifier = try verifier()  // leeway 30
        let soon = try makeToken(header: es256Header, claims: claims(extra: #","nbf":\#(now + 30)"#), key: self.keys.ec)
        let later = try makeToken(header: es256Header, claims: claims(extra: #","nbf":\#(now + 31)"#), key: self.keys.ec)
        #expect(try verifier.verify(soon, now: now).get().subject == "alice")
        #expect(verifier.verify(later, now: now) == .failure(.notYetValid))
        #expect(try verifier.verify(later, now: now + 1).get().subject == "alice")
    }

    @Test func requiresANumericExp() throws {
        let verifier = try verifier()
        let noExp = try makeToken(header: es256Header, claims: #"{"sub":"alice","iss":"https://issuer.test","aud":"api"}"#, key: self.keys.ec)
        let textExp = try makeToken(header: es256Header, claims: #"{"iss":"https://issuer.test","aud":"api","exp":"2099"}"#, key: self.keys.ec)
        let textNbf = try makeToken(header: es256Header, claims: claims(extra: #","nbf":"0""#), key: self.keys.ec)
        #expect(verifier.verify(noExp, now: now) == .failure(.missingExpiry))
        #expect(verifier.verify(textExp, now: now) == .failure(.malformed(reason: "exp is not a number")))
        #expect(verifier.verify(textNbf, now: now) == .failure(.malformed(reason: "nbf is not a number")))
    }

    @Test func checksAudience() throws {
        let verifier = try verifier()
        func token(_ aud: String) throws -> String {
            try makeToken(header: es256Header, claims: #"{"iss":"https://issuer.test","exp":\#(now + 60)\#(aud)}"#, key: self.keys.ec)
        }
        #expect(verifier.verify(try token(#","aud":"other""#), now: now) == .failure(.wrongAudience))
        #expect(verifier.verify(try token(#","aud":["other","api-x"]"#), now: now) == .failure(.wrongAudience))
        #expect(verifier.verify(try token(""), now: now) == .failure(.wrongAudience))
        #expect(verifier.verify(try token(#","aud":7"#), now: now) == .failure(.wrongAudience))
        #expect(try verifier.verify(try token(#","aud":["other","api"]"#), now: now).get().text(of: "iss") == "https://issuer.test")
        // Without a configured audience, aud is not checked.
        let anyAudience = try JWTVerifier(jwks: #"{"keys":[\#(self.keys.ec.jwk(kid: "ec-1"))]}"#, settings: .init())
        #expect(try anyAudience.verify(try token(#","aud":"other""#), now: now).get().text(of: "aud") == "other")
    }

    @Test func checksIssuer() throws {
        let verifier = try verifier()
        let wrong = try makeToken(header: es256Header, claims: #"{"iss":"https://evil.test","aud":"api","exp":\#(now + 60)}"#, key: self.keys.ec)
        let missing = try makeToken(header: es256Header, claims: #"{"aud":"api","exp":\#(now + 60)}"#, key: self.keys.ec)
        let prefix = try makeToken(header: es256Header, claims: #"{"iss":"https://issuer.test/","aud":"api","exp":\#(now + 60)}"#, key: self.keys.ec)
        #expect(verifier.verify(wrong, now: now) == .failure(.wrongIssuer))
        #expect(verifier.verify(missing, now: now) == .failure(.wrongIssuer))
        #expect(verifier.verify(prefix, now: now) == .failure(.wrongIssuer))
    }

    @Test func refusesASignatureByAnotherKey() throws {
        let verifier = try verifier()
        let forgedEC = try makeToken(header: es256Header, claims: claims(), key: self.keys.otherEC)
        let forgedRSA = try makeToken(header: rs256Header, claims: claims(), key: self.keys.otherRSA)
        #expect(verifier.verify(forgedEC, now: now) == .failure(.badSignature))
        #expect(verifier.verify(forgedRSA, now: now) == .failure(.badSignature))
    }

    @Test func refusesATamperedToken() throws {
        let verifier = try verifier()
        let token = try makeToken(header: es256Header, claims: claims(), key: self.keys.ec)
        let parts = token.split(separator: ".").map(String.init)
        let escalated = parts[0] + "." + base64URL(claims(extra: #","admin":true"#)) + "." + parts[2]
        #expect(verifier.verify(escalated, now: now) == .failure(.badSignature))
        // A signature of the wrong length for P-256 is refused without reaching OpenSSL.
        let signature = Base64URLTestDecoding.decode(parts[2])
        let shortened = parts[0] + "." + parts[1] + "." + base64URL(Array(signature.dropLast()))
        let lengthened = parts[0] + "." + parts[1] + "." + base64URL(signature + [0])
        #expect(verifier.verify(shortened, now: now) == .failure(.badSignature))
        #expect(verifier.verify(lengthened, now: now) == .failure(.badSignature))
        // The same token verifies untouched, so the failures above are the tampering's doing.
        #expect(try verifier.verify(token, now: now).get().subject == "alice")
    }

    @Test func alwaysRefusesAlgNone() throws {
        let verifier = try verifier()
        for alg in ["none", "None", "NONE", "nOnE"] {
            let unsigned = base64URL(#"{"alg":"\#(alg)"}"#) + "." + base64URL(claims()) + "."
            #expect(verifier.verify(unsigned, now: now) == .failure(.algorithmNotAllowed), "alg \(alg)")
            // Even with some signature bytes attached.
            #expect(verifier.verify(unsigned + "AAAA", now: now) == .failure(.algorithmNotAllowed), "alg \(alg)")
        }
    }

    @Test func refusesAlgorithmsOutsideTheAllowedList() throws {
        let esOnly = try JWTVerifier(
            jwks: #"{"keys":[\#(self.keys.ec.jwk(kid: "ec-1")),\#(self.keys.rsa.jwk(kid: "rsa-1"))]}"#,
            settings: .init(algorithms: [.es256])
        )
        let rs = try makeToken(header: rs256Header, claims: claims(), key: self.keys.rsa)
        #expect(esOnly.verify(rs, now: now) == .failure(.algorithmNotAllowed))
        #expect(esOnly.skippedKeys == [#"keys[1] (kid "rsa-1"): no allowed algorithm can use this RSA key"#])
        // HS256 (the RSA-public-key-as-HMAC-secret attack) and unknown names.
        for alg in ["HS256", "es256", "ES256K", "EdDSA", ""] {
            let token = base64URL(#"{"alg":"\#(alg)","kid":"ec-1"}"#) + "." + base64URL(claims()) + ".AAAA"
            #expect(try verifier().verify(token, now: now) == .failure(.algorithmNotAllowed), "alg \(alg)")
        }
    }

    @Test func neverUsesAKeyOfTheWrongType() throws {
        let verifier = try verifier()
        // RS256 header naming the EC key, signed with RSA: the EC key does not fit RS256.
        let rsOnECKey = try makeToken(header: #"{"alg":"RS256","kid":"ec-1"}"#, claims: claims(), key: self.keys.rsa)
        #expect(verifier.verify(rsOnECKey, now: now) == .failure(.unknownKey))
        let esOnRSAKey = try makeToken(header: #"{"alg":"ES256","kid":"rsa-1"}"#, claims: claims(), key: self.keys.ec)
        #expect(verifier.verify(esOnRSAKey, now: now) == .failure(.unknownKey))
        // With only an EC key loaded, an RS256 token has no key at all.
        let ecOnly = try JWTVerifier(jwks: #"{"keys":[\#(self.keys.ec.jwk())]}"#, settings: .init())
        let rs = try makeToken(header: #"{"alg":"RS256"}"#, claims: claims(), key: self.keys.rsa)
        #expect(ecOnly.verify(rs, now: now) == .failure(.unknownKey))
        // A key that names its alg serves that alg only.
        let pinned = try JWTVerifier(
            jwks: #"{"keys":[\#(self.keys.rsa.jwk(kid: "r", extra: #""alg":"RS256""#))]}"#,
            settings: .init(algorithms: [.rs256, .ps256])
        )
        let ps = try makeToken(header: #"{"alg":"PS256","kid":"r"}"#, claims: claims(), key: self.keys.rsa, pss: true)
        #expect(pinned.verify(ps, now: now) == .failure(.unknownKey))
        let pinnedRS = try makeToken(header: #"{"alg":"RS256","kid":"r"}"#, claims: claims(), key: self.keys.rsa)
        #expect(try pinned.verify(pinnedRS, now: now).get().subject == "alice")
    }

    @Test func refusesAnUnknownKid() throws {
        let token = try makeToken(header: #"{"alg":"ES256","kid":"ec-2"}"#, claims: claims(), key: self.keys.ec)
        #expect(try verifier().verify(token, now: now) == .failure(.unknownKey))
        let numericKid = try makeToken(header: #"{"alg":"ES256","kid":1}"#, claims: claims(), key: self.keys.ec)
        #expect(try verifier().verify(numericKid, now: now) == .failure(.malformed(reason: "kid is not a string")))
    }

    @Test func refusesMalformedTokens() throws {
        let verifier = try verifier()
        let good = try makeToken(header: es256Header, claims: claims(), key: self.keys.ec)
        let parts = good.split(separator: ".").map(String.init)
        let cases: [(String, String)] = [
            ("", "not three dot-separated parts"),
            (parts[0] + "." + parts[1], "not three dot-separated parts"),
            (good + ".", "not three dot-separated parts"),
            (good + "." + parts[2], "not three dot-separated parts"),
            ("." + parts[1] + "." + parts[2], "header is not base64url"),
            (parts[0] + "=." + parts[1] + "." + parts[2], "header is not base64url"),
            ("eyJ!" + "." + parts[1] + "." + parts[2], "header is not base64url"),
            (parts[0] + "." + parts[1] + "+." + parts[2], "payload is not base64url"),
            (parts[0] + "." + parts[1] + "." + parts[2] + "=", "signature is not base64url"),
            (base64URL("{\"alg\":\"ES256\"") + "." + parts[1] + "." + parts[2], "header is not a JSON object"),
            (base64URL("[\"ES256\"]") + "." + parts[1] + "." + parts[2], "header is not a JSON object"),
            (base64URL(#"{"alg":"ES256","alg":"none"}"#) + "." + parts[1] + "." + parts[2], "header is not a JSON object"),
            (base64URL(#"{"kid":"ec-1"}"#) + "." + parts[1] + "." + parts[2], "header has no alg"),
            (base64URL(#"{"alg":256}"#) + "." + parts[1] + "." + parts[2], "header has no alg"),
            (String(repeating: "A", count: JWTVerifier.maximumTokenLength + 1), "longer than 16384 bytes"),
        ]
        for (token, reason) in cases {
            #expect(verifier.verify(token, now: now) == .failure(.malformed(reason: reason)), "\(token.prefix(60))")
        }
        // Properly signed, but the claims are not a JSON object.
        for body in ["not json", "[1,2]", #"{"exp":1,}"#, ""] {
            let token = try makeToken(header: es256Header, claims: body, key: self.keys.ec)
            #expect(verifier.verify(token, now: now) == .failure(.malformed(reason: "claims are not a JSON object")), "\(body)")
        }
        // crit names extensions we do not understand, so the token must be refused.
        let critical = try makeToken(header: #"{"alg":"ES256","kid":"ec-1","crit":["b64"],"b64":false}"#, claims: claims(), key: self.keys.ec)
        #expect(isMalformed(verifier.verify(critical, now: now)))
    }

    @Test func failureDescriptionsNeverQuoteTheToken() throws {
        let failures: [JWTFailure] = [
            .malformed(reason: "header is not base64url"), .algorithmNotAllowed, .unknownKey, .badSignature,
            .missingExpiry, .expired, .notYetValid, .wrongIssuer, .wrongAudience,
        ]
        #expect(
            failures.map(\.description) == [
                "malformed token: header is not base64url", "algorithm not allowed", "no key matches the token's kid and alg",
                "bad signature", "token has no exp claim", "token expired", "token not yet valid", "wrong issuer", "wrong audience",
            ]
        )
    }

    @Test func verifiesFromManyTasksAtOnce() async throws {
        let verifier = try verifier()
        let es = try makeToken(header: es256Header, claims: claims(), key: self.keys.ec)
        let rs = try makeToken(header: rs256Header, claims: claims(), key: self.keys.rsa)
        let forged = try makeToken(header: es256Header, claims: claims(), key: self.keys.otherEC)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<25).allSatisfy { round in
                        let token = (task + round) % 2 == 0 ? es : rs
                        return (try? verifier.verify(token, now: now).get().subject) == "alice"
                            && verifier.verify(forged, now: now) == .failure(.badSignature)
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: true, count: 8))
    }
}

/// Decodes base64url for tampering with test tokens (the library's decoder is internal).
enum Base64URLTestDecoding {
    static func decode(_ text: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var bits: UInt32 = 0
        var count = 0
        var output: [UInt8] = []
        for character in text.utf8 {
            bits = bits << 6 | UInt32(alphabet.firstIndex(of: character)!)
            count += 6
            if count >= 8 {
                count -= 8
                output.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return output
    }
}
