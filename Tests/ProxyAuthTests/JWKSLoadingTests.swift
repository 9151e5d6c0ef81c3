import Foundation
import ProxyAuth
import Testing

private func loadErrors(_ jwks: String, _ settings: JWTVerifier.Settings = .init()) -> [String] {
    do {
        _ = try JWTVerifier(jwks: jwks, settings: settings)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

struct JWKSLoadingTests {
    let keys = TestKeys.shared

    @Test func skipsKeysItCannotUseAndSaysWhy() throws {
        let ec = self.keys.ec.jwk(kid: "good")
        let coordinate = base64URL([UInt8](repeating: 1, count: 32))
        let x = #""x":"\#(coordinate)""#
        let verifier = try JWTVerifier(
            jwks: """
                {"keys": [
                  {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ed"},
                  {"kty":"EC","crv":"secp256k1",\(x),"y":"\(coordinate)","kid":"k1"},
                  \(self.keys.rsa.jwk(kid: "enc", extra: #""use":"enc""#)),
                  {"kty":"oct","k":"c2VjcmV0"},
                  \(ec),
                  {"kty":"EC","crv":"P-256",\(x),"y":"AAAA"},
                  \(self.keys.rsa.jwk(extra: #""alg":"ES256""#)),
                  \(self.keys.rsa.jwk(kid: "hs", extra: #""alg":"HS256""#)),
                  {"crv":"P-256"},
                  "not an object"
                ]}
                """,
            settings: .init()
        )
        #expect(verifier.keyCount == 1)
        #expect(
            verifier.skippedKeys == [
                #"keys[0] (kid "ed"): unsupported kty "OKP""#,
                #"keys[1] (kid "k1"): unsupported crv "secp256k1""#,
                #"keys[2] (kid "enc"): "use" is "enc", not "sig""#,
                #"keys[3]: unsupported kty "oct""#,
                #"keys[5]: "y" is not 32 bytes of base64url"#,
                "keys[6]: alg ES256 does not fit this RSA key",
                #"keys[7] (kid "hs"): unsupported alg "HS256""#,
                #"keys[8]: no "kty""#,
                "keys[9]: not a JSON object",
            ]
        )
        let token = try makeToken(header: #"{"alg":"ES256","kid":"good"}"#, claims: #"{"exp":2000000000}"#, key: self.keys.ec)
        #expect(try verifier.verify(token, now: 1_700_000_000).get().text(of: "exp") == "2000000000")
    }

    @Test func refusesAPointThatIsNotOnTheCurve() throws {
        // The real key's x with y changed in its last byte: OpenSSL's public-key check refuses it.
        var members = self.keys.ec.publicMembers
        let yStart = members.range(of: #""y":""#)!.upperBound
        let y = String(members[yStart...].prefix(while: { $0 != "\"" }))
        var yBytes = Base64URLTestDecoding.decode(y)
        yBytes[31] ^= 1
        members = members.replacingOccurrences(of: y, with: base64URL(yBytes))
        let errors = loadErrors(#"{"keys":[{\#(members)}]}"#)
        #expect(errors.count == 2)
        #expect(errors.first?.hasPrefix("keys[0]: OpenSSL refused the key (") == true)
        #expect(errors.last == "JWKS has no usable key for the allowed algorithms (ES256, RS256)")
    }

    @Test func refusesWeakOrMalformedRSAKeys() {
        let small = base64URL([0xC0] + [UInt8](repeating: 0x11, count: 127))  // 1024 bits
        let leadingZero = base64URL([0x00] + [UInt8](repeating: 0xC1, count: 256))
        #expect(
            loadErrors(
                #"{"keys":[{"kty":"RSA","n":"\#(small)","e":"AQAB"},{"kty":"RSA","n":"\#(leadingZero)","e":"AQAB"},{"kty":"RSA","n":"AQAB"}]}"#
            ) == [
                "keys[0]: RSA key has 1024 bits; at least 2048 are required",
                "keys[1]: \"n\" is not a base64url integer without leading zeros",
                "keys[2]: \"e\" is not a base64url integer without leading zeros",
                "JWKS has no usable key for the allowed algorithms (ES256, RS256)",
            ]
        )
    }

    @Test func reportsDocumentProblems() {
        #expect(loadErrors("{\n  \"keys\": [\n    {},,\n  ]\n}") == ["line 3: column 8: JWKS is not valid JSON (unexpected character)"])
        #expect(loadErrors(#"{"kty":"EC"}"#) == [#"JWKS is not an object with a "keys" array"#])
        #expect(loadErrors(#"{"keys":{}}"#) == [#"JWKS is not an object with a "keys" array"#])
        #expect(loadErrors(#"{"keys":[]}"#) == ["JWKS has no usable key for the allowed algorithms (ES256, RS256)"])
        #expect(
            loadErrors(#"{"keys":[\#(self.keys.ec.jwk())]}"#, .init(algorithms: [.rs256, .ps256])) == [
                "keys[0]: no allowed algorithm can use this EC P-256 key",
                "JWKS has no usable key for the allowed algorithms (PS256, RS256)",
            ]
        )
    }

    @Test func reportsBadSettingsWithTheKeys() {
        #expect(
            loadErrors(#"{"keys":[\#(self.keys.ec.jwk())]}"#, .init(algorithms: [], leeway: -5)) == [
                "algorithms: at least one algorithm must be allowed",
                "leeway: must not be negative (got -5)",
            ]
        )
    }
}
