import Foundation
@testable import ProxyServer
import ProxyTLS
import Testing

/// The pure parts of the ACME client: base64url, JWS and thumbprint, the order flow, renewal
/// arithmetic. Signatures are checked by an independent implementation (Python's `cryptography`).
struct ACMEProtocolTests {
    @Test func base64URLRoundTripsWithoutPadding() throws {
        let cases: [(String, String)] = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("\u{FB}\u{FF}", "w7vDvw")]
        for (plain, encoded) in cases {
            #expect(ACMEBase64URL.encode(plain) == encoded)
            #expect(ACMEBase64URL.decode(encoded) == Array(plain.utf8))
        }
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x3E]
        #expect(ACMEBase64URL.encode(bytes) == "-_-_Pg")
        #expect(ACMEBase64URL.decode("abc=") == nil)
        #expect(ACMEBase64URL.decode("a") == nil)
    }

    @Test func jsonStringsAreEscaped() {
        #expect(ACMEJSON.string("a\"b\\c\n\u{01}") == "\"a\\\"b\\\\c\\n\\u0001\"")
        #expect(ACMEJSON.object([("a", "1"), ("b", ACMEJSON.array(["true"]))]) == "{\"a\":1,\"b\":[true]}")
    }

    @Test func jwkThumbprintFollowsRFC7638() throws {
        // RFC 7638 §3: the required members in lexicographic order, no whitespace.
        let x = [UInt8](repeating: 1, count: 32)
        let y = [UInt8](repeating: 2, count: 32)
        let jwk = ACMEJWS.jwk(x: x, y: y)
        #expect(jwk == "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"\(ACMEBase64URL.encode(x))\",\"y\":\"\(ACMEBase64URL.encode(y))\"}")
        let jws = try ACMEJWS(key: ACMEAccountKey.generate())
        #expect(jws.thumbprint.count == 43)
        #expect(jws.keyAuthorization(token: "tok") == "tok.\(jws.thumbprint)")
    }

    @Test func es256SignaturesVerifyWithAnIndependentImplementation() async throws {
        let key = try ACMEAccountKey.generate()
        let jws = try ACMEJWS(key: key)
        let body = try jws.sign(payload: "{\"termsOfServiceAgreed\":true}", url: "https://ca.test/new-acct", nonce: "n0nce", signer: .jwk)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        let protected = try #require(object["protected"])
        let payload = try #require(object["payload"])
        let signature = try #require(ACMEBase64URL.decode(try #require(object["signature"])))
        #expect(signature.count == 64)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(try #require(ACMEBase64URL.decode(protected)))) as? [String: Any])
        #expect(header["alg"] as? String == "ES256")
        #expect(header["nonce"] as? String == "n0nce")
        #expect(header["url"] as? String == "https://ca.test/new-acct")
        let jwk = try #require(header["jwk"] as? [String: String])
        #expect(String(decoding: try #require(ACMEBase64URL.decode(payload)), as: UTF8.self) == "{\"termsOfServiceAgreed\":true}")

        // Many signatures: some r or s have a leading zero byte, which the DER→raw step must pad.
        var lines: [String] = []
        for index in 0..<40 {
            let message = Array("message \(index)".utf8)
            let raw = try key.sign(message)
            lines.append("\(ACMEBase64URL.encode(message)) \(ACMEBase64URL.encode(raw))")
        }
        lines.insert("\(ACMEBase64URL.encode(Array("\(protected).\(payload)".utf8))) \(ACMEBase64URL.encode(signature))", at: 0)
        let script = """
            import sys, base64
            from cryptography.hazmat.primitives.asymmetric import ec, utils
            from cryptography.hazmat.primitives import hashes
            def d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
            x, y = int.from_bytes(d(sys.argv[1]), "big"), int.from_bytes(d(sys.argv[2]), "big")
            key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            count = 0
            for line in sys.stdin.read().split("\\n"):
                if not line: continue
                message, raw = (d(part) for part in line.split(" "))
                assert len(raw) == 64
                key.verify(utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")), message, ec.ECDSA(hashes.SHA256()))
                count += 1
            print(count)
            """
        let python = try require(which("python3"), "python3")
        let result = try await run(python, ["-c", script, try #require(jwk["x"]), try #require(jwk["y"])], timeout: 30, stdin: lines.joined(separator: "\n"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "41")
    }

    @Test func derSignaturesBecomeFixedLengthRawPairs() throws {
        // SEQUENCE { INTEGER 1, INTEGER 0x00FF… (33 bytes with the sign byte) }
        let r: [UInt8] = [0x02, 0x01, 0x01]
        let s: [UInt8] = [0x02, 0x21, 0x00] + [UInt8](repeating: 0xFF, count: 32)
        let der: [UInt8] = [0x30, UInt8(r.count + s.count)] + r + s
        let raw = try ACMEAccountKey.rawSignature(fromDER: der)
        #expect(raw == [UInt8](repeating: 0, count: 31) + [1] + [UInt8](repeating: 0xFF, count: 32))
        #expect(throws: (any Error).self) { try ACMEAccountKey.rawSignature(fromDER: [0x30, 0x00, 0x01]) }
    }

    @Test func certificateRequestCarriesEveryDomainAndVerifies() async throws {
        let request = try ACMECertificateRequest.make(domains: ["a.example.com", "b.example.com"])
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(request.der).write(to: URL(fileURLWithPath: directory + "/req.der"))
        let openssl = try require(which("openssl"), "openssl")
        let shown = try await run(openssl, ["req", "-inform", "DER", "-in", directory + "/req.der", "-noout", "-text", "-verify"], timeout: 10)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("DNS:a.example.com, DNS:b.example.com"))
        #expect(shown.stdout.contains("CN = a.example.com"))
        #expect(shown.stdout.contains("prime256v1") || shown.stdout.contains("P-256"))
        #expect(String(decoding: request.privateKeyPEM, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(throws: (any Error).self) { try ACMECertificateRequest.make(domains: []) }
        #expect(throws: (any Error).self) { try ACMECertificateRequest.make(domains: ["bad,name"]) }
    }

    @Test func renewalAtTwoThirdsLessJitterAndBackoffDoublesToTheCap() {
        let schedule = ACMERenewalSchedule(retryInitial: .seconds(30), retryMax: .seconds(300))
        // 90 days: two thirds is day 60; the jitter takes at most 5 % of 90 days (4.5 days).
        let day: Int64 = 86_400
        #expect(schedule.renewalTime(notBefore: 0, notAfter: 90 * day, random: 0) == 60 * day)
        #expect(schedule.renewalTime(notBefore: 0, notAfter: 90 * day, random: 1) == 60 * day - 90 * day / 20)
        #expect(schedule.renewalTime(notBefore: 1000, notAfter: 1000, random: 0.5) == 1000)
        #expect(schedule.backoff(afterFailures: 0) == .zero)
        #expect(schedule.backoff(afterFailures: 1) == .seconds(30))
        #expect(schedule.backoff(afterFailures: 2) == .seconds(60))
        #expect(schedule.backoff(afterFailures: 4) == .seconds(240))
        #expect(schedule.backoff(afterFailures: 5) == .seconds(300))
        #expect(schedule.backoff(afterFailures: 1000) == .seconds(300))
    }

    @Test func urlPartsOfCAAddresses() {
        #expect(ACMEDirectoryURLParts("https://127.0.0.1:14000/dir") == ACMEDirectoryURLParts(host: "127.0.0.1", port: 14000, path: "/dir"))
        #expect(ACMEDirectoryURLParts("https://acme.example/a/b?c") == ACMEDirectoryURLParts(host: "acme.example", port: 443, path: "/a/b?c"))
        #expect(ACMEDirectoryURLParts("https://[::1]:8443") == ACMEDirectoryURLParts(host: "::1", port: 8443, path: "/"))
        #expect(ACMEDirectoryURLParts("http://plain.example/") == nil)
        #expect(ACMEDirectoryURLParts("https://host:99999/") == nil)
    }
}

extension ACMEDirectoryURLParts {
    init(host: String, port: Int, path: String) {
        self.init("https://x/")!
        self.host = host
        self.port = port
        self.path = path
    }
}
